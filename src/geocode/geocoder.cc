#include "geocode/geocoder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <unordered_set>

#include "geocode/text.h"

namespace ncc::geocode {
namespace {

constexpr double kMinScore = 0.5;
constexpr double kCrossingGapMeters = 40;  // ends of two streets this close count as crossing

// How well query tokens name `name`: every query token must match one of the name's tokens,
// exactly or (the last one, as the caller is still typing) as a prefix. 0 when not.
double NameScore(const std::vector<std::string>& q, const Name& name) {
  if (q.empty()) return 0;
  double matched = 0;
  std::vector<bool> used(name.tokens.size(), false);
  for (size_t i = 0; i < q.size(); ++i) {
    double best = 0;
    size_t at = SIZE_MAX;
    for (size_t j = 0; j < name.tokens.size(); ++j) {
      if (used[j]) continue;
      const std::string& t = name.tokens[j];
      double s = t == q[i]                                                     ? 1.0
                 : (i + 1 == q.size() && t.compare(0, q[i].size(), q[i]) == 0) ? 0.8
                                                                               : 0;
      if (s > best) best = s, at = j;
    }
    if (best == 0) return 0;
    used[at] = true;
    matched += best;
  }
  // Names with words the caller did not say rank below the name they did say in full.
  double coverage = static_cast<double>(q.size()) / name.tokens.size();
  return matched / q.size() * (0.6 + 0.4 * coverage);
}

double BestNameScore(const std::vector<std::string>& q, const std::vector<Name>& names,
                     const std::string** label) {
  double best = 0;
  for (const Name& n : names) {
    double s = NameScore(q, n);
    if (s > best) best = s, *label = &n.text;
  }
  return best;
}

// Entries any of whose tokens starts with `token` (exact ones included).
std::unordered_set<uint32_t> Candidates(const PlaceIndex& index, const std::string& token,
                                        bool prefix) {
  std::unordered_set<uint32_t> out;
  auto it = std::lower_bound(
      index.postings.begin(), index.postings.end(), token,
      [](const PlaceIndex::Posting& p, const std::string& t) { return p.token < t; });
  for (; it != index.postings.end(); ++it) {
    if (prefix ? it->token.compare(0, token.size(), token) != 0 : it->token != token) break;
    out.insert(it->entry);
  }
  return out;
}

struct NamedHit {
  uint32_t entry;
  double score;
  const std::string* label;
};

// Streets and places the tokens name, best first.
std::vector<NamedHit> FindNamed(const PlaceIndex& index, const std::vector<std::string>& q,
                                bool streets_only) {
  std::vector<NamedHit> hits;
  if (q.empty()) return hits;
  // The rarest of the whole tokens narrows the search; the last one may be a prefix.
  std::unordered_set<uint32_t> pool;
  bool first = true;
  for (size_t i = 0; i < q.size(); ++i) {
    auto c = Candidates(index, q[i], i + 1 == q.size());
    if (first || c.size() < pool.size()) pool = std::move(c);
    first = false;
  }
  for (uint32_t e : pool) {
    if (streets_only && e >= index.streets.size()) continue;
    const std::string* label = nullptr;
    const auto& names = e < index.streets.size() ? index.streets[e].names
                                                 : index.places[e - index.streets.size()].names;
    double s = BestNameScore(q, names, &label);
    if (s >= kMinScore) hits.push_back({e, s, label});
  }
  std::sort(hits.begin(), hits.end(), [](const NamedHit& a, const NamedHit& b) {
    return a.score != b.score ? a.score > b.score : a.entry < b.entry;
  });
  return hits;
}

std::optional<LatLon> ParseCoordinates(const std::string& text) {
  LatLon p;
  char tail = 0;
  if (std::sscanf(text.c_str(), " %lf , %lf %c", &p.lat, &p.lon, &tail) != 2 &&
      std::sscanf(text.c_str(), " %lf %lf %c", &p.lat, &p.lon, &tail) != 2)
    return std::nullopt;
  if (!ValidateLatLon(p, "q").ok()) return std::nullopt;
  return p;
}

// Splits "A / B", "A & B", "A @ B", "A and B", "A at B" into the two streets' tokens.
bool SplitCrossing(const std::string& text, std::vector<std::string>* a,
                   std::vector<std::string>* b) {
  for (const char* sep : {"/", "&", "@", "\\"}) {
    size_t at = text.find(sep);
    if (at == std::string::npos) continue;
    *a = CanonicalTokens(text.substr(0, at));
    *b = CanonicalTokens(text.substr(at + 1));
    return !a->empty() && !b->empty();
  }
  std::vector<std::string> all = CanonicalTokens(text);
  for (size_t i = 1; i + 1 < all.size(); ++i) {
    if (all[i] != "and" && all[i] != "at") continue;
    a->assign(all.begin(), all.begin() + i);
    b->assign(all.begin() + i + 1, all.end());
    return true;
  }
  return false;
}

// Where two streets cross: a shared node, else their closest nodes when they almost meet.
std::optional<LatLon> Crossing(const PlaceIndex& index, const Street& a, const Street& b) {
  std::vector<int64_t> shared;
  std::set_intersection(a.nodes.begin(), a.nodes.end(), b.nodes.begin(), b.nodes.end(),
                        std::back_inserter(shared));
  if (!shared.empty()) {
    double lat = 0, lon = 0;  // a dual carriageway crosses twice: the middle of its crossings
    for (int64_t id : shared) lat += index.node_at.at(id).lat, lon += index.node_at.at(id).lon;
    return LatLon{lat / shared.size(), lon / shared.size()};
  }
  double best = kCrossingGapMeters;
  std::optional<LatLon> at;
  for (int64_t i : a.nodes)
    for (int64_t j : b.nodes) {
      const LatLon &p = index.node_at.at(i), &q = index.node_at.at(j);
      if (std::abs(p.lat - q.lat) > 0.001) continue;  // cheap reject before the haversine
      double d = DistanceMeters(p, q);
      if (d < best) best = d, at = LatLon{(p.lat + q.lat) / 2, (p.lon + q.lon) / 2};
    }
  return at;
}

void SearchCrossings(const PlaceIndex& index, const std::vector<std::string>& qa,
                     const std::vector<std::string>& qb, std::vector<Match>& out) {
  auto as = FindNamed(index, qa, true), bs = FindNamed(index, qb, true);
  constexpr size_t kTry = 5;  // the best few of each side
  for (size_t i = 0; i < std::min(kTry, as.size()); ++i)
    for (size_t j = 0; j < std::min(kTry, bs.size()); ++j) {
      if (as[i].entry == bs[j].entry) continue;
      auto at = Crossing(index, index.streets[as[i].entry], index.streets[bs[j].entry]);
      if (!at) continue;
      out.push_back({*as[i].label + " / " + *bs[j].label, "intersection", "", *at,
                     as[i].score * bs[j].score, ""});
    }
}

long NumberOf(const std::string& house) {
  return std::strtol(house.c_str(), nullptr, 10);
}

// "12 Main St" (a house), "3200 block of Fillmore St" (the block's houses, 3200-3299).
void SearchHouses(const PlaceIndex& index, const std::string& number, bool block,
                  const std::vector<std::string>& street_tokens, std::vector<Match>& out) {
  auto streets = FindNamed(index, street_tokens, true);
  long wanted = NumberOf(number);
  for (size_t i = 0; i < std::min<size_t>(3, streets.size()); ++i) {
    const NamedHit& s = streets[i];
    auto it = index.addresses_by_street.find(s.entry);
    const Address* exact = nullptr;
    double lat = 0, lon = 0;
    size_t in_block = 0;
    if (it != index.addresses_by_street.end())
      for (uint32_t a : it->second) {
        const Address& addr = index.addresses[a];
        if (!block && addr.number == number) exact = &addr;
        long n = NumberOf(addr.number);
        if (block ? (n / 100 == wanted / 100) : false) {
          lat += addr.at.lat, lon += addr.at.lon, ++in_block;
        }
      }
    if (exact) {
      out.push_back({number + " " + *s.label, "address", "", exact->at, s.score, ""});
    } else if (in_block > 0) {
      out.push_back({std::to_string(wanted / 100 * 100) + " block of " + *s.label,
                     "block",
                     "",
                     {lat / in_block, lon / in_block},
                     s.score * 0.95,
                     ""});
    } else {
      out.push_back({*s.label, "street", "", index.streets[s.entry].at, s.score * 0.7,
                     "house number " + number + " is not in the map: the street's middle"});
    }
  }
}

void SearchNamed(const PlaceIndex& index, const std::vector<std::string>& q,
                 std::vector<Match>& out) {
  for (const NamedHit& h : FindNamed(index, q, false)) {
    if (h.entry < index.streets.size()) {
      out.push_back({*h.label, "street", "", index.streets[h.entry].at, h.score, ""});
    } else {
      const NamedPlace& p = index.places[h.entry - index.streets.size()];
      out.push_back({*h.label, "place", p.what, p.at, h.score, ""});
    }
  }
}

}  // namespace

void IndexPlaces(PlaceIndex& index) {
  index.postings.clear();
  auto add = [&](const std::vector<Name>& names, uint32_t entry) {
    std::set<std::string> tokens;
    for (const Name& n : names) tokens.insert(n.tokens.begin(), n.tokens.end());
    for (const std::string& t : tokens) index.postings.push_back({t, entry});
  };
  for (uint32_t i = 0; i < index.streets.size(); ++i) add(index.streets[i].names, i);
  for (uint32_t i = 0; i < index.places.size(); ++i)
    add(index.places[i].names, static_cast<uint32_t>(index.streets.size()) + i);
  std::sort(index.postings.begin(), index.postings.end(),
            [](const PlaceIndex::Posting& a, const PlaceIndex::Posting& b) {
              return a.token != b.token ? a.token < b.token : a.entry < b.entry;
            });
  index.addresses_by_street.clear();
  for (uint32_t i = 0; i < index.addresses.size(); ++i)
    if (index.addresses[i].street != kNoStreet)
      index.addresses_by_street[index.addresses[i].street].push_back(i);
}

namespace {

// What a dispatcher's address carries besides the street: a "CALL BOX:" style prefix, a ", PR"
// district or ", City" after it. Searched again without them when the whole finds nothing.
std::string WithoutQualifiers(const std::string& text) {
  std::string t = text;
  if (size_t colon = t.find(':'); colon != std::string::npos) t = t.substr(colon + 1);
  if (size_t comma = t.rfind(','); comma != std::string::npos) t = t.substr(0, comma);
  return t;
}

void SearchText(const PlaceIndex& index, const std::string& text, std::vector<Match>& out) {
  std::vector<std::string> tokens = CanonicalTokens(text);
  if (tokens.empty()) return;
  std::vector<std::string> qa, qb;
  if (SplitCrossing(text, &qa, &qb)) SearchCrossings(index, qa, qb, out);
  if (out.empty() && IsHouseNumber(tokens.front()) && tokens.size() > 1) {
    bool block = tokens.size() > 3 && tokens[1] == "block" && tokens[2] == "of";
    std::vector<std::string> street(tokens.begin() + (block ? 3 : 1), tokens.end());
    SearchHouses(index, tokens.front(), block, street, out);
  }
  if (out.empty()) SearchNamed(index, tokens, out);
}

}  // namespace

StatusOr<std::vector<Match>> Search(const PlaceIndex& index, const Query& query) {
  if (query.text.size() > kMaxQueryBytes)
    return InvalidArgument("at most " + std::to_string(kMaxQueryBytes) + " bytes", "q");
  if (query.limit == 0 || query.limit > kMaxLimit)
    return InvalidArgument("must be 1 to " + std::to_string(kMaxLimit), "limit");
  if (query.near) NCC_RETURN_IF_ERROR(ValidateLatLon(*query.near, "near"));
  std::vector<std::string> tokens = CanonicalTokens(query.text);
  if (tokens.empty()) return InvalidArgument("names no street, place or number", "q");

  std::vector<Match> out;
  if (auto p = ParseCoordinates(query.text)) {
    out.push_back({"", "coordinates", "", *p, 1.0, ""});
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f, %.6f", p->lat, p->lon);
    out.back().label = buf;
    return out;
  }
  SearchText(index, query.text, out);
  if (out.empty()) {
    std::string shorter = WithoutQualifiers(query.text);
    if (shorter != query.text) SearchText(index, shorter, out);
  }

  if (query.near) {  // a nearer match wins a near tie: 10 km away costs a tenth of the score
    for (Match& m : out) m.score /= 1 + DistanceMeters(*query.near, m.at) / 100'000;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Match& a, const Match& b) { return a.score > b.score; });
  if (out.size() > query.limit) out.resize(query.limit);
  return out;
}

}  // namespace ncc::geocode

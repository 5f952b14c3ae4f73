// libFuzzer: address search (src/geocode), GET /api/v1/geocode's q as a call-taker types it, and
// the place reader over OSM extracts (a second reader of the same files as `ncc import-osm`).
// First byte even: the rest is a query against a small index built by hand (streets that cross,
// house numbers, Arabic and Latin names); odd: the rest is an OSM XML file read into an index,
// then searched with the names it holds. Invariants: at most `limit` matches, best first, scores
// in 0..1, every point a valid lat/lon, every label non-empty.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "geocode/geocoder.h"
#include "geocode/text.h"

namespace {

using ncc::LatLon;
using namespace ncc::geocode;

Name MakeName(const std::string& text) {
  return Name{text, CanonicalTokens(text)};
}

PlaceIndex HandIndex() {
  PlaceIndex index;
  index.streets.push_back({{MakeName("Union Street")}, {1, 2, 3}, {37.7980, -122.4330}});
  index.streets.push_back({{MakeName("Buchanan Street")}, {2, 4, 5}, {37.7985, -122.4325}});
  index.streets.push_back(
      {{MakeName("Rue Grimaldi"), MakeName("شارع غريمالدي")}, {6, 7}, {43.7311, 7.4197}});
  index.node_at = {{1, {37.7979, -122.4340}}, {2, {37.7980, -122.4330}}, {3, {37.7981, -122.4320}},
                   {4, {37.7990, -122.4331}}, {5, {37.7970, -122.4329}}, {6, {43.7310, 7.4196}},
                   {7, {43.7312, 7.4198}}};
  index.addresses.push_back({"12", 2, "Rue Grimaldi", {43.7311, 7.4197}});
  index.addresses.push_back({"3200", 0, "Union Street", {37.7980, -122.4331}});
  index.places.push_back(
      {{MakeName("Centre Hospitalier Princesse Grace"), MakeName("مستشفى الأميرة غريس")},
       "amenity=hospital",
       {43.7277, 7.4131}});
  IndexPlaces(index);
  return index;
}

void Check(const ncc::StatusOr<std::vector<Match>>& matches, size_t limit) {
  if (!matches.ok()) return;
  if (matches->size() > limit) std::abort();
  double previous = 2;
  for (const Match& m : *matches) {
    if (m.label.empty() || !(m.score >= 0 && m.score <= 1) || m.score > previous) std::abort();
    if (!ncc::ValidateLatLon(m.at, "at").ok()) std::abort();
    previous = m.score;
  }
}

void SearchHand(const uint8_t* data, size_t size) {
  static const PlaceIndex index = HandIndex();
  Query q;
  q.text.assign(reinterpret_cast<const char*>(data), size);
  q.limit = 1 + (size % kMaxLimit);
  if (size % 3 == 0) q.near = LatLon{37.79, -122.43};
  Check(Search(index, q), q.limit);
}

void ReadAndSearch(const uint8_t* data, size_t size) {
  static const std::string dir = [] {
    auto d = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                 : std::filesystem::temp_directory_path();
    auto p = d / ("ncc-fuzz-geocode-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p.string();
  }();
  std::string path = dir + "/in.osm";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto index = ReadPlaces(path);
  std::filesystem::remove(path);
  if (!index.ok()) return;
  for (const Street& s : index->streets) {
    for (int64_t node : s.nodes)
      if (!index->node_at.count(node)) std::abort();
    Query q{s.names.at(0).text, 5, std::nullopt};
    Check(Search(*index, q), q.limit);
  }
  for (const Address& a : index->addresses)
    if (a.street != kNoStreet && a.street >= index->streets.size()) std::abort();
  for (const NamedPlace& p : index->places) Check(Search(*index, {p.names.at(0).text, 3, {}}), 3);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 1 << 20) return 0;
  if (data[0] & 1)
    ReadAndSearch(data + 1, size - 1);
  else
    SearchHand(data + 1, size - 1);
  return 0;
}

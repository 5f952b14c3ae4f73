#include "correlate/rules.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ncc::correlate {

void Rules::SetPair(AlarmKind a, AlarmKind b, double distance_m, int64_t window_ms) {
  PairRule r{true, distance_m, window_ms};
  pairs[static_cast<size_t>(a)][static_cast<size_t>(b)] = r;
  pairs[static_cast<size_t>(b)][static_cast<size_t>(a)] = r;
}

int64_t Rules::MaxWindowMs() const {
  int64_t m = dedupe_window_ms;
  for (const auto& row : pairs)
    for (const PairRule& r : row)
      if (r.compatible) m = std::max(m, r.window_ms);
  return m;
}

double Rules::MaxDistanceM() const {
  double m = 0;
  for (const auto& row : pairs)
    for (const PairRule& r : row)
      if (r.compatible) m = std::max(m, r.distance_m);
  return m;
}

int Rules::RaiseFor(size_t sources) const {
  int raise = 0;
  for (const Escalation& e : escalation)
    if (sources >= e.min_sources) raise = std::max(raise, e.raise);
  return raise;
}

StatusOr<Rules> ParseRules(std::string_view text) {
  using Json = nlohmann::json;
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("rules must be a JSON object", "");
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() || version->get<int64_t>() != 1)
    return InvalidArgument("version must be 1", "version");
  Rules rules;
  auto pairs = j.find("pairs");
  if (pairs == j.end() || !pairs->is_array()) return InvalidArgument("must be an array", "pairs");
  for (size_t i = 0; i < pairs->size(); ++i) {
    const Json& p = (*pairs)[i];
    std::string at = "pairs[" + std::to_string(i) + "]";
    if (!p.is_object()) return InvalidArgument("must be an object", at);
    auto kinds = p.find("kinds");
    if (kinds == p.end() || !kinds->is_array() || kinds->size() != 2)
      return InvalidArgument("must be an array of two alarm kinds", at + ".kinds");
    AlarmKind k[2];
    for (size_t n = 0; n < 2; ++n) {
      auto kind = (*kinds)[n].is_string() ? AlarmKindFromName((*kinds)[n].get<std::string>())
                                          : std::nullopt;
      if (!kind)
        return InvalidArgument("unknown alarm kind", at + ".kinds[" + std::to_string(n) + "]");
      k[n] = *kind;
    }
    auto d = p.find("distance_m");
    if (d == p.end() || !d->is_number() || !(d->get<double>() >= 0 && d->get<double>() <= 100'000))
      return InvalidArgument("must be a number of metres in [0, 100000]", at + ".distance_m");
    auto w = p.find("window_s");
    if (w == p.end() || !w->is_number() || !(w->get<double>() >= 0 && w->get<double>() <= 86'400))
      return InvalidArgument("must be a number of seconds in [0, 86400]", at + ".window_s");
    if (rules.Pair(k[0], k[1]).compatible)
      return AlreadyExists("kind pair listed twice", at + ".kinds");
    rules.SetPair(k[0], k[1], d->get<double>(), static_cast<int64_t>(w->get<double>() * 1000));
  }
  if (auto pr = j.find("priority"); pr != j.end()) {
    if (!pr->is_object()) return InvalidArgument("must be an object", "priority");
    for (const auto& [name, value] : pr->items()) {
      auto kind = AlarmKindFromName(name);
      if (!kind) return InvalidArgument("unknown alarm kind", "priority." + name);
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 5)
        return InvalidArgument("must be an integer in [1, 5]", "priority." + name);
      rules.priority[static_cast<size_t>(*kind)] = static_cast<int>(value.get<int64_t>());
    }
  }
  if (auto es = j.find("escalation"); es != j.end()) {
    if (!es->is_array()) return InvalidArgument("must be an array", "escalation");
    for (size_t i = 0; i < es->size(); ++i) {
      const Json& e = (*es)[i];
      std::string at = "escalation[" + std::to_string(i) + "]";
      auto ms = e.is_object() ? e.find("min_sources") : e.end();
      if (!e.is_object() || ms == e.end() || !ms->is_number_integer() || ms->get<int64_t>() < 2 ||
          ms->get<int64_t>() > 1000)
        return InvalidArgument("must be an integer in [2, 1000]", at + ".min_sources");
      auto raise = e.find("raise");
      if (raise == e.end() || !raise->is_number_integer() || raise->get<int64_t>() < 0 ||
          raise->get<int64_t>() > 4)
        return InvalidArgument("must be an integer in [0, 4]", at + ".raise");
      rules.escalation.push_back(
          {static_cast<size_t>(ms->get<int64_t>()), static_cast<int>(raise->get<int64_t>())});
    }
    std::sort(
        rules.escalation.begin(), rules.escalation.end(),
        [](const Escalation& a, const Escalation& b) { return a.min_sources < b.min_sources; });
  }
  if (auto ty = j.find("types"); ty != j.end()) {
    if (!ty->is_object()) return InvalidArgument("must be an object", "types");
    for (const auto& [name, value] : ty->items()) {
      auto kind = AlarmKindFromName(name);
      if (!kind) return InvalidArgument("unknown alarm kind", "types." + name);
      bool ok = value.is_string() && !value.get_ref<const std::string&>().empty() &&
                value.get_ref<const std::string&>().size() <= 64;
      for (char c : ok ? value.get_ref<const std::string&>() : std::string())
        ok = ok &&
             ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
      if (!ok)
        return InvalidArgument("must be an incident type code (a-z, 0-9, '.', '_', '-')",
                               "types." + name);
      rules.type[static_cast<size_t>(*kind)] = value.get<std::string>();
    }
  }
  if (auto dw = j.find("dedupe_window_s"); dw != j.end()) {
    if (!dw->is_number() || !(dw->get<double>() >= 0 && dw->get<double>() <= 86'400))
      return InvalidArgument("must be a number of seconds in [0, 86400]", "dedupe_window_s");
    rules.dedupe_window_ms = static_cast<int64_t>(dw->get<double>() * 1000);
  }
  return rules;
}

StatusOr<Rules> LoadRulesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read rules file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseRules(ss.str());
}

StatusOr<Rules> DefaultRules() {
  // Generated by CMake from rules/default.json (one source of truth for the file and the binary).
  static constexpr std::string_view kDefault =
#include "default_rules.inc"
      ;
  return ParseRules(kDefault);
}

}  // namespace ncc::correlate

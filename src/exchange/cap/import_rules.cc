#include "exchange/cap/import_rules.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ncc::cap {
namespace {

using nlohmann::json;

bool SameText(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k)
    if (std::tolower(static_cast<unsigned char>(a[k])) !=
        std::tolower(static_cast<unsigned char>(b[k])))
      return false;
  return true;
}

bool Matches(const ImportRules::Rule& r, const CapAlert& a) {
  auto field = [](const std::string& want, const std::string& have) {
    return want.empty() || SameText(want, have);
  };
  return field(r.category, a.category) && field(r.event, a.event) &&
         field(r.severity, a.severity) && field(r.urgency, a.urgency) &&
         field(r.certainty, a.certainty);
}

// CAP 1.2 categories (3.2.2) to ncc's type families, so that the plans' family rows apply.
std::string DefaultType(const std::string& category) {
  static const std::pair<const char*, const char*> kTypes[] = {{"Geo", "hazard.geo"},
                                                               {"Met", "hazard.weather"},
                                                               {"Safety", "civil.safety"},
                                                               {"Security", "security.alert"},
                                                               {"Rescue", "rescue.alert"},
                                                               {"Fire", "fire.alert"},
                                                               {"Health", "medical.public_health"},
                                                               {"Env", "hazard.environment"},
                                                               {"Transport", "traffic.alert"},
                                                               {"Infra", "infrastructure.alert"},
                                                               {"CBRNE", "hazard.cbrne"}};
  for (const auto& [cap, type] : kTypes)
    if (SameText(category, cap)) return type;
  return "call";  // Other, or none
}

// Extreme 1, Severe 2, Moderate 3, Minor 4 (Unknown: 3); Immediate raises by one.
int DefaultPriority(const CapAlert& a) {
  int p = SameText(a.severity, "Extreme")  ? 1
          : SameText(a.severity, "Severe") ? 2
          : SameText(a.severity, "Minor")  ? 4
                                           : 3;
  if (SameText(a.urgency, "Immediate") && p > 1) --p;
  return p;
}

Status ReadRule(const json& j, const std::string& at, ImportRules::Rule& r) {
  if (!j.is_object()) return InvalidArgument("must be an object", at);
  for (const auto& [key, value] : j.items())
    if (key != "when" && key != "type" && key != "priority")
      return InvalidArgument("unknown field (when, type, priority)", at + "." + key);
  if (!j.contains("when") || !j["when"].is_object() || j["when"].empty())
    return InvalidArgument("must name at least one alert field to match", at + ".when");
  for (const auto& [key, value] : j["when"].items()) {
    std::string* slot = key == "category"    ? &r.category
                        : key == "event"     ? &r.event
                        : key == "severity"  ? &r.severity
                        : key == "urgency"   ? &r.urgency
                        : key == "certainty" ? &r.certainty
                                             : nullptr;
    if (!slot)
      return InvalidArgument("category, event, severity, urgency or certainty",
                             at + ".when." + key);
    if (!value.is_string() || value.get<std::string>().empty() ||
        value.get<std::string>().size() > 256)
      return InvalidArgument("must be a non-empty string", at + ".when." + key);
    *slot = value;
  }
  if (j.contains("type")) {
    if (!j["type"].is_string()) return InvalidArgument("must be a type code", at + ".type");
    r.type = j["type"];
    bool code = !r.type.empty() && r.type.size() <= 64;
    for (char c : r.type)
      code = code &&
             ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
    if (!code) return InvalidArgument("must be 1..64 of a-z 0-9 . _ -", at + ".type");
  }
  if (j.contains("priority")) {
    if (!j["priority"].is_number_integer() || j["priority"].get<int64_t>() < 1 ||
        j["priority"].get<int64_t>() > 5)
      return InvalidArgument("must be 1 (most urgent) to 5", at + ".priority");
    r.priority = j["priority"].get<int>();
  }
  if (r.type.empty() && r.priority == 0)
    return InvalidArgument("a rule must give a type or a priority", at);
  return Status::Ok();
}

}  // namespace

StatusOr<ImportRules> ImportRules::Parse(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return InvalidArgument("not JSON", "rules");
  if (!doc.is_object() || !doc.contains("rules") || !doc["rules"].is_array())
    return InvalidArgument("must be {\"rules\": [...]}", "rules");
  if (doc["rules"].size() > 1000) return InvalidArgument("more than 1000 rules", "rules");
  ImportRules out;
  for (size_t k = 0; k < doc["rules"].size(); ++k) {
    Rule r;
    NCC_RETURN_IF_ERROR(ReadRule(doc["rules"][k], "rules[" + std::to_string(k) + "]", r));
    out.rules_.push_back(std::move(r));
  }
  return out;
}

StatusOr<ImportRules> ImportRules::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read the CAP import rules " + path);
  std::stringstream s;
  s << in.rdbuf();
  auto rules = Parse(s.str());
  if (!rules.ok())
    return Status(rules.status().code(), path + ": " + rules.status().message(),
                  rules.status().field());
  return rules;
}

ImportRules::Outcome ImportRules::For(const CapAlert& alert) const {
  Outcome out{"", 0, "default"};
  for (size_t k = 0; k < rules_.size() && (out.type.empty() || out.priority == 0); ++k) {
    const Rule& r = rules_[k];
    if (!Matches(r, alert)) continue;
    if (out.type.empty() && !r.type.empty()) out.type = r.type;
    if (out.priority == 0 && r.priority != 0) out.priority = r.priority;
    if (out.rule == "default") out.rule = "rules[" + std::to_string(k) + "]";
  }
  if (out.type.empty()) out.type = DefaultType(alert.category);
  if (out.priority == 0) out.priority = DefaultPriority(alert);
  return out;
}

}  // namespace ncc::cap

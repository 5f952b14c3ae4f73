#include "exchange/cap/cap_warning.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <set>
#include <sstream>

#include "core/json_depth.h"
#include "core/json_writer.h"

namespace ncc::cap {
namespace {

using nlohmann::json;

constexpr const char* kNamespace = "urn:oasis:names:tc:emergency:cap:1.2";
constexpr size_t kMaxPoints = 1000;

bool OneOf(const std::string& v, std::initializer_list<std::string_view> allowed) {
  for (std::string_view a : allowed)
    if (v == a) return true;
  return false;
}

// Text a warning carries: no C0 controls but tab, CR and LF (XML 1.0 cannot hold them).
Status CheckText(const std::string& s, size_t max, const std::string& field) {
  if (s.size() > max) return InvalidArgument("at most " + std::to_string(max) + " bytes", field);
  for (unsigned char c : s)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
      return InvalidArgument("control character " + std::to_string(c) + " in text", field);
  return Status::Ok();
}

StatusOr<std::string> Text(const json& o, const char* key, const std::string& path, bool required,
                           size_t max) {
  std::string field = path.empty() ? key : path + "." + key;
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) {
    if (required) return InvalidArgument("required", field);
    return std::string();
  }
  if (!it->is_string()) return Malformed("must be a string", field);
  std::string s = it->get<std::string>();
  NCC_RETURN_IF_ERROR(CheckText(s, max, field));
  return s;
}

Status OnlyKnown(const json& o, std::initializer_list<std::string_view> known,
                 const std::string& path) {
  for (const auto& [k, v] : o.items()) {
    bool ok = false;
    for (std::string_view n : known) ok = ok || k == n;
    if (!ok) return Malformed("unknown field", path.empty() ? k : path + "." + k);
  }
  return Status::Ok();
}

StatusOr<LatLon> Point(const json& p, const std::string& field) {
  if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
    return Malformed("must be [lat, lon]", field);
  LatLon ll{p[0].get<double>(), p[1].get<double>()};
  NCC_RETURN_IF_ERROR(ValidateLatLon(ll, field));
  return ll;
}

Status ReadPolygon(const json& ring, WarningArea& area) {
  if (!ring.is_array()) return Malformed("must be an array of [lat, lon]", "area.polygon");
  if (ring.size() > kMaxPoints)
    return InvalidArgument("at most " + std::to_string(kMaxPoints) + " points", "area.polygon");
  for (size_t k = 0; k < ring.size(); ++k) {
    auto p = Point(ring[k], "area.polygon[" + std::to_string(k) + "]");
    if (!p.ok()) return p.status();
    area.polygon.push_back(*p);
  }
  auto same = [](const LatLon& a, const LatLon& b) { return a.lat == b.lat && a.lon == b.lon; };
  if (!area.polygon.empty() && !same(area.polygon.front(), area.polygon.back()))
    area.polygon.push_back(area.polygon.front());  // CAP wants the ring closed
  if (area.polygon.size() < 4)
    return InvalidArgument("a polygon needs at least 3 distinct points", "area.polygon");
  return Status::Ok();
}

Status ReadCircle(const json& c, WarningArea& area) {
  if (!c.is_object()) return Malformed("must be {lat, lon, radius_km}", "area.circle");
  NCC_RETURN_IF_ERROR(OnlyKnown(c, {"lat", "lon", "radius_km"}, "area.circle"));
  for (const char* k : {"lat", "lon", "radius_km"})
    if (!c.contains(k) || !c[k].is_number())
      return Malformed("must be a number", std::string("area.circle.") + k);
  LatLon centre{c["lat"].get<double>(), c["lon"].get<double>()};
  NCC_RETURN_IF_ERROR(ValidateLatLon(centre, "area.circle"));
  double r = c["radius_km"].get<double>();
  if (!std::isfinite(r) || r <= 0 || r > 5000)
    return InvalidArgument("must be more than 0 and at most 5000", "area.circle.radius_km");
  area.centre = centre;
  area.radius_km = r;
  return Status::Ok();
}

Status ReadArea(const json& body, WarningArea& area) {
  auto it = body.find("area");
  if (it == body.end() || it->is_null()) return InvalidArgument("required", "area");
  if (!it->is_object()) return Malformed("must be an object", "area");
  NCC_RETURN_IF_ERROR(OnlyKnown(*it, {"description", "polygon", "circle"}, "area"));
  auto desc = Text(*it, "description", "area", true, 512);
  if (!desc.ok()) return desc.status();
  if (desc->empty()) return InvalidArgument("must not be empty", "area.description");
  area.description = *desc;
  bool polygon = it->contains("polygon"), circle = it->contains("circle");
  if (polygon == circle)
    return InvalidArgument("exactly one of polygon and circle", polygon ? "area.circle" : "area");
  return polygon ? ReadPolygon((*it)["polygon"], area) : ReadCircle((*it)["circle"], area);
}

Status ReadInfo(const json& body, WarningRequest& w) {
  auto it = body.find("info");
  if (it == body.end() || it->is_null()) {
    if (w.msg_type == "Cancel") return Status::Ok();
    return InvalidArgument("required: one block per language (ar, en)", "info");
  }
  if (!it->is_array()) return Malformed("must be an array", "info");
  if (it->empty() && w.msg_type != "Cancel") return InvalidArgument("at least one block", "info");
  if (it->size() > 2) return InvalidArgument("at most one block per language (ar, en)", "info");
  std::set<std::string> languages;
  for (size_t k = 0; k < it->size(); ++k) {
    const json& b = (*it)[k];
    std::string path = "info[" + std::to_string(k) + "]";
    if (!b.is_object()) return Malformed("must be an object", path);
    NCC_RETURN_IF_ERROR(
        OnlyKnown(b, {"language", "event", "headline", "description", "instruction"}, path));
    WarningInfo info;
    auto language = Text(b, "language", path, true, 8);
    auto event = Text(b, "event", path, true, 256);
    auto headline = Text(b, "headline", path, true, 160);
    auto description = Text(b, "description", path, false, 4000);
    auto instruction = Text(b, "instruction", path, false, 4000);
    for (const auto* s : {&language, &event, &headline, &description, &instruction})
      if (!s->ok()) return s->status();
    if (!OneOf(*language, {"ar", "en"}))
      return InvalidArgument("must be ar or en", path + ".language");
    if (!languages.insert(*language).second)
      return InvalidArgument("a second block in " + *language, path + ".language");
    if (event->empty()) return InvalidArgument("must not be empty", path + ".event");
    if (headline->empty()) return InvalidArgument("must not be empty", path + ".headline");
    w.info.push_back({*language, *event, *headline, *description, *instruction});
  }
  return Status::Ok();
}

Status ReadGrades(const json& body, WarningRequest& w) {
  struct Enum {
    const char* key;
    std::string* out;
    std::initializer_list<std::string_view> allowed;
  };
  const Enum kEnums[] = {
      {"category",
       &w.category,
       {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
        "CBRNE", "Other"}},
      {"urgency", &w.urgency, {"Immediate", "Expected", "Future", "Past", "Unknown"}},
      {"severity", &w.severity, {"Extreme", "Severe", "Moderate", "Minor", "Unknown"}},
      {"certainty", &w.certainty, {"Observed", "Likely", "Possible", "Unlikely", "Unknown"}},
  };
  for (const Enum& e : kEnums) {
    auto v = Text(body, e.key, "", true, 32);
    if (!v.ok()) return v.status();
    if (!OneOf(*v, e.allowed))
      return InvalidArgument("not a CAP 1.2 " + std::string(e.key) + " value", e.key);
    *e.out = *v;
  }
  auto audience = Text(body, "audience", "", false, 512);
  if (!audience.ok()) return audience.status();
  w.audience = *audience;
  auto expires = Text(body, "expires", "", false, 40);
  if (!expires.ok()) return expires.status();
  if (!expires->empty()) {
    Time t;
    if (!ParseTime(*expires, t))
      return InvalidArgument("must be YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)", "expires");
    w.expires = t;
  }
  return Status::Ok();
}

std::string Degrees(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

void Add(pugi::xml_node parent, const char* name, const std::string& text) {
  parent.append_child(name).text().set(text.c_str());
}

std::string ReferencesText(const IssuedWarning& w) {
  std::string out;
  for (const IssuedWarning::Reference& r : w.references)
    out += (out.empty() ? "" : " ") + r.sender + "," + r.identifier + "," + CapTime(r.sent);
  return out;
}

void AddArea(pugi::xml_node info, const WarningArea& a) {
  pugi::xml_node area = info.append_child("area");
  Add(area, "areaDesc", a.description);
  if (a.centre) {
    char r[32];
    std::snprintf(r, sizeof r, "%.3f", a.radius_km);
    Add(area, "circle", Degrees(a.centre->lat) + "," + Degrees(a.centre->lon) + " " + r);
    return;
  }
  std::string ring;
  for (const LatLon& p : a.polygon)
    ring += (ring.empty() ? "" : " ") + Degrees(p.lat) + "," + Degrees(p.lon);
  Add(area, "polygon", ring);
}

}  // namespace

StatusOr<WarningRequest> ReadWarningRequest(std::string_view text) {
  if (text.size() > (1 << 20)) return Status(StatusCode::kResourceExhausted, "at most 1 MiB", "");
  if (JsonNestedDeeperThan(text, 16)) return Malformed("nested deeper than 16", "body");
  json body = json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return Malformed("not a JSON object", "body");
  NCC_RETURN_IF_ERROR(OnlyKnown(body,
                                {"msg_type", "references", "category", "urgency", "severity",
                                 "certainty", "audience", "expires", "area", "info"},
                                ""));
  WarningRequest w;
  auto type = Text(body, "msg_type", "", false, 16);
  if (!type.ok()) return type.status();
  if (!type->empty()) w.msg_type = *type;
  if (!OneOf(w.msg_type, {"Alert", "Update", "Cancel"}))
    return InvalidArgument("must be Alert, Update or Cancel", "msg_type");
  if (auto it = body.find("references"); it != body.end() && !it->is_null()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() == 0)
      return Malformed("must be the id of an issued warning", "references");
    w.references = it->get<uint64_t>();
  }
  if ((w.msg_type == "Alert") != (w.references == 0))
    return InvalidArgument(
        w.msg_type == "Alert" ? "an Alert references nothing" : "names the warning it replaces",
        "references");
  NCC_RETURN_IF_ERROR(ReadGrades(body, w));
  if (w.msg_type != "Cancel" || body.contains("area")) NCC_RETURN_IF_ERROR(ReadArea(body, w.area));
  NCC_RETURN_IF_ERROR(ReadInfo(body, w));
  if (!w.info.empty() && w.area.description.empty())
    return InvalidArgument("required with info blocks", "area");
  return w;
}

std::string WarningIdentifier(uint64_t id, const CapOptions& options) {
  return "ncc-" + options.sender + "-warning-" + std::to_string(id);
}

std::string WriteWarning(const IssuedWarning& w, const CapOptions& options) {
  const WarningRequest& r = w.request;
  pugi::xml_document doc;
  pugi::xml_node alert = doc.append_child("alert");
  alert.append_attribute("xmlns") = kNamespace;
  Add(alert, "identifier", WarningIdentifier(w.id, options));
  Add(alert, "sender", options.sender);
  Add(alert, "sent", CapTime(w.sent));
  Add(alert, "status", "Actual");
  Add(alert, "msgType", r.msg_type);
  Add(alert, "source", "ncc");
  Add(alert, "scope", "Public");
  if (!w.references.empty()) Add(alert, "references", ReferencesText(w));
  for (const WarningInfo& i : r.info) {
    pugi::xml_node info = alert.append_child("info");
    Add(info, "language", i.language == "ar" ? "ar" : "en-US");
    Add(info, "category", r.category);
    Add(info, "event", i.event);
    Add(info, "urgency", r.urgency);
    Add(info, "severity", r.severity);
    Add(info, "certainty", r.certainty);
    if (!r.audience.empty()) Add(info, "audience", r.audience);
    if (r.expires) Add(info, "expires", CapTime(*r.expires));
    if (!w.sender_name.empty()) Add(info, "senderName", w.sender_name);
    Add(info, "headline", i.headline);
    if (!i.description.empty()) Add(info, "description", i.description);
    if (!i.instruction.empty()) Add(info, "instruction", i.instruction);
    if (!r.area.description.empty()) AddArea(info, r.area);
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default | pugi::format_no_declaration, pugi::encoding_utf8);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + out.str();
}

}  // namespace ncc::cap

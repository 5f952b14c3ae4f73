#include "exchange/cap/cap_warning.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <set>
#include <sstream>

#include "core/commands.h"
#include "core/json_depth.h"
#include "core/json_writer.h"
#include "core/markup.h"

namespace ncc::cap {
namespace {

using nlohmann::json;

constexpr const char* kNamespace = "urn:oasis:names:tc:emergency:cap:1.2";

Status OnlyKnown(const json& o, std::initializer_list<std::string_view> known,
                 const std::string& path) {
  for (const auto& [k, v] : o.items()) {
    bool ok = false;
    for (std::string_view n : known) ok = ok || k == n;
    if (!ok) return Malformed("unknown field", path.empty() ? k : path + "." + k);
  }
  return Status::Ok();
}

// The JSON shape only: what the values may be is CheckWarningContent's (core), once.
StatusOr<std::string> Text(const json& o, const char* key, const std::string& path) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Malformed("must be a string", path.empty() ? key : path + "." + key);
  return it->get<std::string>();
}

StatusOr<LatLon> Point(const json& p, const std::string& field) {
  if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
    return Malformed("must be [lat, lon]", field);
  return LatLon{p[0].get<double>(), p[1].get<double>()};
}

Status ReadPolygon(const json& ring, WarningArea& area) {
  if (!ring.is_array()) return Malformed("must be an array of [lat, lon]", "area.polygon");
  if (ring.size() > Limits::kWarningPoints)
    return InvalidArgument("at most " + std::to_string(Limits::kWarningPoints) + " points",
                           "area.polygon");
  for (size_t k = 0; k < ring.size(); ++k) {
    auto p = Point(ring[k], "area.polygon[" + std::to_string(k) + "]");
    if (!p.ok()) return p.status();
    area.polygon.push_back(*p);
  }
  auto same = [](const LatLon& a, const LatLon& b) { return a.lat == b.lat && a.lon == b.lon; };
  if (!area.polygon.empty() && !same(area.polygon.front(), area.polygon.back()))
    area.polygon.push_back(area.polygon.front());  // CAP wants the ring closed
  return Status::Ok();
}

Status ReadCircle(const json& c, WarningArea& area) {
  if (!c.is_object()) return Malformed("must be {lat, lon, radius_km}", "area.circle");
  NCC_RETURN_IF_ERROR(OnlyKnown(c, {"lat", "lon", "radius_km"}, "area.circle"));
  for (const char* k : {"lat", "lon", "radius_km"})
    if (!c.contains(k) || !c[k].is_number())
      return Malformed("must be a number", std::string("area.circle.") + k);
  area.centre = LatLon{c["lat"].get<double>(), c["lon"].get<double>()};
  area.radius_km = c["radius_km"].get<double>();
  return Status::Ok();
}

Status ReadArea(const json& body, WarningArea& area) {
  auto it = body.find("area");
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_object()) return Malformed("must be an object", "area");
  NCC_RETURN_IF_ERROR(OnlyKnown(*it, {"description", "polygon", "circle"}, "area"));
  auto desc = Text(*it, "description", "area");
  if (!desc.ok()) return desc.status();
  area.description = *desc;
  if (it->contains("polygon") && it->contains("circle"))
    return InvalidArgument("exactly one of polygon and circle", "area.circle");
  if (it->contains("polygon")) return ReadPolygon((*it)["polygon"], area);
  if (it->contains("circle")) return ReadCircle((*it)["circle"], area);
  return Status::Ok();
}

Status ReadInfo(const json& body, WarningRequest& w) {
  auto it = body.find("info");
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return Malformed("must be an array", "info");
  if (it->size() > 2) return InvalidArgument("at most one block per language (ar, en)", "info");
  for (size_t k = 0; k < it->size(); ++k) {
    const json& b = (*it)[k];
    std::string path = "info[" + std::to_string(k) + "]";
    if (!b.is_object()) return Malformed("must be an object", path);
    NCC_RETURN_IF_ERROR(
        OnlyKnown(b, {"language", "event", "headline", "description", "instruction"}, path));
    auto language = Text(b, "language", path);
    auto event = Text(b, "event", path);
    auto headline = Text(b, "headline", path);
    auto description = Text(b, "description", path);
    auto instruction = Text(b, "instruction", path);
    for (const auto* s : {&language, &event, &headline, &description, &instruction})
      if (!s->ok()) return s->status();
    w.info.push_back({*language, *event, *headline, *description, *instruction});
  }
  return Status::Ok();
}

Status ReadGrades(const json& body, WarningRequest& w) {
  for (auto [key, out] : {std::pair{"category", &w.category}, std::pair{"urgency", &w.urgency},
                          std::pair{"severity", &w.severity}, std::pair{"certainty", &w.certainty},
                          std::pair{"audience", &w.audience}}) {
    auto v = Text(body, key, "");
    if (!v.ok()) return v.status();
    *out = *v;
  }
  auto expires = Text(body, "expires", "");
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
  auto type = Text(body, "msg_type", "");
  if (!type.ok()) return type.status();
  if (!type->empty()) w.msg_type = *type;
  if (auto it = body.find("references"); it != body.end() && !it->is_null()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() == 0)
      return Malformed("must be the id of an issued warning", "references");
    w.references = it->get<uint64_t>();
  }
  NCC_RETURN_IF_ERROR(ReadGrades(body, w));
  NCC_RETURN_IF_ERROR(ReadArea(body, w.area));
  NCC_RETURN_IF_ERROR(ReadInfo(body, w));
  NCC_RETURN_IF_ERROR(CheckWarningContent(w));
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

IssuedWarning IssuedFrom(const PublicWarning& w, const World& world, const CapOptions& options) {
  IssuedWarning out;
  out.id = w.id;
  out.sent = w.sent;
  out.sender_name = w.agency;
  out.request = w.content;
  // The chain back to the first Alert; ids only go down, so it ends.
  for (uint64_t ref = w.content.references; ref != 0;) {
    const PublicWarning* before = world.FindWarning(ref);
    if (!before || before->id >= w.id) break;
    out.references.push_back(
        {options.sender, WarningIdentifier(before->id, options), before->sent});
    ref = before->content.references;
  }
  std::reverse(out.references.begin(), out.references.end());
  return out;
}

std::string WriteWarningFeed(const std::vector<WarningFeedEntry>& entries,
                             const CapOptions& options, Time updated) {
  // Written as text, not through a DOM: each alert goes in byte for byte, so a signed alert
  // stays verifiable inside the feed (its signature uses exclusive canonicalisation).
  const std::string sender = EscapeMarkup(options.sender);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  out += "  <id>urn:ncc:" + sender + ":warnings</id>\n";
  out += "  <title>Public warnings (" + sender + ")</title>\n";
  out += "  <updated>" + FormatTime(updated) + "</updated>\n";
  out += "  <author><name>" + sender + "</name></author>\n";
  for (const WarningFeedEntry& e : entries) {
    const PublicWarning& w = *e.warning;
    std::string headline = w.content.info.empty() ? w.content.msg_type + " of warning " +
                                                        std::to_string(w.content.references)
                                                  : w.content.info.front().headline;
    std::string id = std::to_string(w.id);
    out += "  <entry>\n";
    out += "    <id>urn:ncc:" + EscapeMarkup(WarningIdentifier(w.id, options)) + "</id>\n";
    out += "    <title>" + EscapeMarkup(headline) + "</title>\n";
    out += "    <updated>" + FormatTime(w.sent) + "</updated>\n";
    out += "    <link rel=\"alternate\" type=\"application/cap+xml\" href=\"/api/v1/alerts/" + id +
           "/cap\"/>\n";
    out += "    <content type=\"application/cap+xml\">" + e.alert + "</content>\n";
    out += "  </entry>\n";
  }
  return out + "</feed>\n";
}

}  // namespace ncc::cap

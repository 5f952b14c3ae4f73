#include "exchange/cap/cap_parser.h"

#include <charconv>
#include <cmath>
#include <pugixml.hpp>
#include <vector>

#include "core/json_writer.h"
#include "exchange/cap/xml_input.h"

namespace ncc::cap {
namespace {

bool ParseDouble(std::string_view s, double& out) {
  // CAP's coordinate pattern allows a sign either way ("+41.12,-117.61", common in NWS
  // alerts); from_chars takes only '-'.
  if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  // from_chars for double is in libstdc++ 11+; keep it locale-free.
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

// "lat,lon" (WGS 84) with both in range.
bool ParsePoint(std::string_view s, LatLon& out) {
  size_t comma = s.find(',');
  if (comma == std::string_view::npos) return false;
  return ParseDouble(s.substr(0, comma), out.lat) && ParseDouble(s.substr(comma + 1), out.lon) &&
         out.lat >= -90 && out.lat <= 90 && out.lon >= -180 && out.lon <= 180;
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    size_t j = i;
    while (j < s.size() && !(s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r')) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// "lat,lon radius_km": the centre.
Status Circle(const std::string& text, const std::string& where, LatLon& out) {
  auto parts = Split(text);
  double radius = 0;
  if (parts.size() != 2 || !ParsePoint(parts[0], out) || !ParseDouble(parts[1], radius) ||
      radius < 0)
    return InvalidArgument("a circle is \"lat,lon radius\" in WGS 84 with radius >= 0 km", where);
  return Status::Ok();
}

// "lat,lon lat,lon ... lat,lon", closed, at least 4 pairs: the centroid of the vertices (the
// closing repeat counted once). Good enough to place an incident; not an area centroid.
Status Polygon(const std::string& text, const std::string& where, LatLon& out) {
  auto parts = Split(text);
  if (parts.size() < 4 || parts.size() > 10'000)
    return InvalidArgument("a polygon needs 4 to 10000 \"lat,lon\" pairs", where);
  std::vector<LatLon> points(parts.size());
  for (size_t k = 0; k < parts.size(); ++k)
    if (!ParsePoint(parts[k], points[k]))
      return InvalidArgument("pair " + std::to_string(k) + " is not \"lat,lon\" in range", where);
  if (!(points.front() == points.back()))
    return InvalidArgument("a polygon must end where it starts", where);
  double lat = 0, lon = 0;
  for (size_t k = 0; k + 1 < points.size(); ++k) lat += points[k].lat, lon += points[k].lon;
  out = {lat / static_cast<double>(points.size() - 1),
         lon / static_cast<double>(points.size() - 1)};
  return Status::Ok();
}

// <references>: whitespace-separated "sender,identifier,sent" triples.
Status ParseReferences(const std::string& text, std::vector<CapReference>& out) {
  auto triples = Split(text);
  if (triples.size() > 100) return InvalidArgument("more than 100 references", "alert.references");
  for (size_t k = 0; k < triples.size(); ++k) {
    std::string_view t = triples[k];
    size_t a = t.find(','), b = a == std::string_view::npos ? a : t.find(',', a + 1);
    if (b == std::string_view::npos || t.find(',', b + 1) != std::string_view::npos || a == 0 ||
        b == a + 1 || b + 1 == t.size())
      return InvalidArgument(
          "reference " + std::to_string(k) + " is not \"sender,identifier,sent\"",
          "alert.references");
    out.push_back({std::string(t.substr(0, a)), std::string(t.substr(a + 1, b - a - 1)),
                   std::string(t.substr(b + 1))});
  }
  return Status::Ok();
}

Status Required(pugi::xml_node parent, const char* name, const std::string& path,
                std::string& out) {
  auto found = Children(parent, name);
  if (found.empty() || Text(found[0]).empty())
    return InvalidArgument("<" + std::string(name) + "> is required", path + "." + name);
  out = Text(found[0]);
  return Status::Ok();
}

std::string Optional(pugi::xml_node parent, const char* name) {
  auto found = Children(parent, name);
  return found.empty() ? "" : Text(found[0]);
}

// The info fields ncc keeps, from `info` (at `ipath`) and its area `area`.
Status ReadInfo(pugi::xml_node info, pugi::xml_node area, const std::string& ipath, CapAlert& a) {
  NCC_RETURN_IF_ERROR(Required(info, "event", ipath, a.event));
  a.category = Optional(info, "category");
  a.urgency = Optional(info, "urgency");
  a.severity = Optional(info, "severity");
  a.certainty = Optional(info, "certainty");
  a.headline = Optional(info, "headline");
  a.description = Optional(info, "description");
  a.area_desc = area ? Optional(area, "areaDesc") : "";
  return Status::Ok();
}

// Places one <area> at `apath`: its circle, else its polygon, else (with a table) its first
// known geocode, else its areaDesc. Returns false when it cannot be placed; `unknown` then
// names its first geocode the table lacks. A malformed circle or polygon is an error.
StatusOr<bool> PlaceArea(pugi::xml_node area, const std::string& apath, const AreaTable* table,
                         CapAlert& a, Status& unknown) {
  // Real feeds carry empty <polygon></polygon> elements: those are absent, not malformed.
  auto first = [&](std::string_view element) -> std::pair<std::string, std::string> {
    auto found = Children(area, element);
    for (size_t j = 0; j < found.size(); ++j)
      if (!Text(found[j]).empty()) return {Text(found[j]), Indexed(apath, element, j)};
    return {"", ""};
  };
  auto [circle, circle_at] = first("circle");
  auto [polygon, polygon_at] = first("polygon");
  if (!circle.empty()) {
    NCC_RETURN_IF_ERROR(Circle(circle, circle_at, a.location));
    a.where = circle_at;
    return true;
  }
  if (!polygon.empty()) {
    NCC_RETURN_IF_ERROR(Polygon(polygon, polygon_at, a.location));
    a.where = polygon_at;
    return true;
  }
  auto geocodes = Children(area, "geocode");
  for (size_t j = 0; j < geocodes.size(); ++j) {
    std::string scheme = Optional(geocodes[j], "valueName"), value = Optional(geocodes[j], "value");
    const AreaTable::Area* known = table ? table->FindCode(scheme, value) : nullptr;
    if (known) {
      a.location = known->centre;
      a.where = Indexed(apath, "geocode", j);
      return true;
    }
    if (unknown.ok())
      unknown = InvalidArgument("geocode " + scheme.substr(0, 32) + " " + value.substr(0, 32) +
                                    (table ? " is not in the area table (--cap-areas)"
                                           : " cannot be placed: no area table (--cap-areas)"),
                                Indexed(apath, "geocode", j));
  }
  std::string desc = Optional(area, "areaDesc");
  const AreaTable::Area* named = table && !desc.empty() ? table->FindName(desc) : nullptr;
  if (!named) return false;
  a.location = named->centre;
  a.where = apath + ".areaDesc";
  return true;
}

// Cancel, Ack and Error act on the alerts they reference; they need no place.
bool ActsOnReferences(const std::string& msg_type) {
  return msg_type == "Cancel" || msg_type == "Ack" || msg_type == "Error";
}

Status ReadHeader(pugi::xml_node root, CapAlert& a) {
  const std::string path = "alert";
  NCC_RETURN_IF_ERROR(Required(root, "identifier", path, a.identifier));
  NCC_RETURN_IF_ERROR(Required(root, "sender", path, a.sender));
  std::string sent;
  NCC_RETURN_IF_ERROR(Required(root, "sent", path, sent));
  // CAP: seconds, and an offset ("Z" is not allowed; UTC is -00:00).
  if (!ParseTime(sent, a.sent) || sent.find('.') != std::string::npos || sent.back() == 'Z')
    return InvalidArgument(
        "must be YYYY-MM-DDThh:mm:ss with an offset, e.g. "
        "2026-11-30T01:40:00+03:00",
        "alert.sent");
  NCC_RETURN_IF_ERROR(Required(root, "status", path, a.status));
  NCC_RETURN_IF_ERROR(Required(root, "msgType", path, a.msg_type));
  NCC_RETURN_IF_ERROR(Required(root, "scope", path, a.scope));
  if (a.identifier.size() > 256)
    return InvalidArgument("at most 256 characters", "alert.identifier");
  if (a.sender.size() > 256) return InvalidArgument("at most 256 characters", "alert.sender");
  NCC_RETURN_IF_ERROR(ParseReferences(Optional(root, "references"), a.references));
  if (a.msg_type != "Alert" && a.references.empty())
    return InvalidArgument(
        "a " + a.msg_type.substr(0, 16) + " must reference the alert it is about",
        "alert.references");
  return Status::Ok();
}

// The first <area> (of the first <info> that has one) that can be placed.
Status Place(pugi::xml_node root, const AreaTable* table, CapAlert& a) {
  auto infos = Children(root, "info");
  if (infos.empty() && !ActsOnReferences(a.msg_type))
    return InvalidArgument("no <info>: nothing to place", "alert.info");
  Status unknown;
  for (size_t k = 0; k < infos.size(); ++k) {
    std::string ipath = Indexed("alert", "info", k);
    auto areas = Children(infos[k], "area");
    for (size_t m = 0; m < areas.size(); ++m) {
      auto placed = PlaceArea(areas[m], Indexed(ipath, "area", m), table, a, unknown);
      if (!placed.ok()) return placed.status();
      if (*placed) return ReadInfo(infos[k], areas[m], ipath, a);
    }
  }
  if (ActsOnReferences(a.msg_type)) {
    a.placed = false;
    return infos.empty() ? Status::Ok() : ReadInfo(infos[0], {}, "alert.info[0]", a);
  }
  if (!unknown.ok()) return unknown;
  return InvalidArgument(
      "no <area> with a <circle>, a <polygon> or a known geocode or areaDesc: "
      "the alert cannot be placed",
      "alert.info[0].area");
}

}  // namespace

StatusOr<CapAlert> ParseAlert(std::string_view raw, const CapLimits& limits,
                              const AreaTable* table) {
  CapAlert a;
  pugi::xml_document doc;
  NCC_RETURN_IF_ERROR(LoadPartnerXml(raw, limits, doc, &a.encoding));
  pugi::xml_node root = doc.document_element();
  if (LocalName(root.name()) != "alert")
    return InvalidArgument("the root element must be <alert>", "alert");
  std::string_view name(root.name());
  std::string prefix = name.find(':') == std::string_view::npos
                           ? "xmlns"
                           : "xmlns:" + std::string(name.substr(0, name.find(':')));
  std::string ns = root.attribute(prefix.c_str()).value();
  if (ns == "urn:oasis:names:tc:emergency:cap:1.2")
    a.version = "1.2";
  else if (ns == "urn:oasis:names:tc:emergency:cap:1.1")
    a.version = "1.1";
  else
    return InvalidArgument("namespace '" + ns.substr(0, 80) + "' is not CAP 1.1 or 1.2", "alert");
  NCC_RETURN_IF_ERROR(ReadHeader(root, a));
  NCC_RETURN_IF_ERROR(Place(root, table, a));
  return a;
}

}  // namespace ncc::cap

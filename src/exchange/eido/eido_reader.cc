#include "exchange/eido/eido_reader.h"

#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "core/json_depth.h"
#include "exchange/eido/eido_writer.h"

namespace ncc::eido {
namespace {

using nlohmann::json;

constexpr std::string_view kIncidentUrn = "urn:emergency:uid:incidentid:";

// Text ncc keeps: valid UTF-8 is the parser's; control characters other than tab, CR and LF
// are refused (they would reach the hash-chained log and every export).
Status CheckText(const std::string& s, size_t max, const std::string& field) {
  if (s.size() > max) return InvalidArgument("at most " + std::to_string(max) + " bytes", field);
  for (unsigned char c : s)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
      return InvalidArgument("control character " + std::to_string(c) + " in text", field);
  return Status::Ok();
}

std::string Join(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : path + "." + key;
}

// The string at `key` of `object` (absent: ""), or kMalformed naming path.key.
StatusOr<std::string> Text(const json& object, const char* key, const std::string& path,
                           bool required, size_t max) {
  std::string field = Join(path, key);
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) return Malformed("required", field);
    return std::string();
  }
  if (!it->is_string()) return Malformed("must be a string", field);
  std::string s = it->get<std::string>();
  NCC_RETURN_IF_ERROR(CheckText(s, max, field));
  return s;
}

// An array member (absent: empty), or kMalformed naming it.
StatusOr<const json*> Array(const json& object, const char* key, const std::string& path,
                            size_t max) {
  static const json kEmpty = json::array();
  std::string field = Join(path, key);
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return &kEmpty;
  if (!it->is_array()) return Malformed("must be an array", field);
  if (it->size() > max)
    return Status(StatusCode::kResourceExhausted, "at most " + std::to_string(max), field);
  return &*it;
}

// Every data component starts with the prologue ($id, lastUpdateTimeStamp,
// updatedByAgencyReference), as the schema's PrologueType requires.
Status CheckPrologue(const json& c, const std::string& path) {
  if (!c.is_object()) return Malformed("must be an object", path.empty() ? "eido" : path);
  auto id = Text(c, "$id", path, true, 512);
  if (!id.ok()) return id.status();
  if (id->empty()) return InvalidArgument("must not be empty", Join(path, "$id"));
  auto stamp = Text(c, "lastUpdateTimeStamp", path, true, 64);
  if (!stamp.ok()) return stamp.status();
  auto ref = c.find("updatedByAgencyReference");
  if (ref == c.end()) return Malformed("required", Join(path, "updatedByAgencyReference"));
  if (!ref->is_object() || !ref->contains("$ref") || !(*ref)["$ref"].is_string())
    return Malformed("must be {\"$ref\": string}", Join(path, "updatedByAgencyReference"));
  return Status::Ok();
}

std::string UnescapeHtml(std::string_view s) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
  std::string out;
  out.reserve(s.size());
  for (size_t k = 0; k < s.size();) {
    bool done = false;
    if (s[k] == '&')
      for (const auto& [entity, c] : kEntities)
        if (s.substr(k, entity.size()) == entity) {
          out += c;
          k += entity.size();
          done = true;
          break;
        }
    if (!done) out += s[k++];
  }
  return out;
}

bool IsTypeCode(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

// urn:emergency:uid:incidentid:<n>:<issuer> with issuer == own: n.
std::optional<uint64_t> OwnIncident(std::string_view id, std::string_view own) {
  if (id.substr(0, kIncidentUrn.size()) != kIncidentUrn) return std::nullopt;
  id.remove_prefix(kIncidentUrn.size());
  size_t colon = id.find(':');
  if (colon == std::string_view::npos || id.substr(colon + 1) != own) return std::nullopt;
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + colon, n);
  if (ec != std::errc() || p != id.data() + colon || n == 0) return std::nullopt;
  return n;
}

bool HasLocalName(const pugi::xml_node& n, std::string_view local) {
  std::string_view name = n.name();
  size_t colon = name.find(':');
  return (colon == std::string_view::npos ? name : name.substr(colon + 1)) == local;
}

pugi::xml_node FindLocal(const pugi::xml_node& root, std::string_view local) {
  return root.find_node([local](const pugi::xml_node& n) { return HasLocalName(n, local); });
}

// A PIDF-LO document's first geodetic position (gml:pos of a Point or Circle, "lat lon" in
// EPSG 4326) and its civic landmark (ca:LMK). nullopt position: a civic-only location.
struct Pidf {
  std::optional<LatLon> where;
  std::string landmark;
};
StatusOr<Pidf> ReadPidf(const std::string& xml, const std::string& field) {
  pugi::xml_document doc;
  // No DOCTYPE, no entities beyond the predefined ones: pugixml expands none.
  if (xml.find("<!DOCTYPE") != std::string::npos)
    return Malformed("a DOCTYPE is not allowed in PIDF-LO", field);
  pugi::xml_parse_result ok =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!ok)
    return Malformed(std::string("PIDF-LO is not well-formed XML: ") + ok.description(), field);
  pugi::xml_node presence = doc.document_element();
  if (!HasLocalName(presence, "presence"))
    return Malformed("PIDF-LO must have a <presence> root", field);
  Pidf out;
  if (pugi::xml_node lmk = FindLocal(presence, "LMK")) out.landmark = lmk.child_value();
  pugi::xml_node pos = FindLocal(presence, "pos");
  if (!pos) return out;
  std::string text = pos.child_value();
  const char* p = text.c_str();
  char* end = nullptr;
  LatLon ll;
  ll.lat = std::strtod(p, &end);
  if (end == p) return Malformed("gml:pos must be \"lat lon\"", field);
  p = end;
  ll.lon = std::strtod(p, &end);
  if (end == p) return Malformed("gml:pos must be \"lat lon\"", field);
  while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') ++end;
  if (*end != '\0') return Malformed("gml:pos must be \"lat lon\" (2D)", field);
  NCC_RETURN_IF_ERROR(ValidateLatLon(ll, field));
  out.where = ll;
  return out;
}

// The location: the "Current Incident" component if there is one, else the first that carries
// a geodetic point.
Status ReadLocation(const json& doc, EidoIncident& out) {
  auto list = Array(doc, "locationComponent", "", EidoLimits::kLocations);
  if (!list.ok()) return list.status();
  std::optional<size_t> chosen;
  Pidf found;
  std::string description;
  for (size_t k = 0; k < (*list)->size(); ++k) {
    const json& c = (**list)[k];
    std::string path = "locationComponent[" + std::to_string(k) + "]";
    NCC_RETURN_IF_ERROR(CheckPrologue(c, path));
    auto kind = Text(c, "locationTypeDescriptionRegistryText", path, true, 256);
    if (!kind.ok()) return kind.status();
    auto by_value = Text(c, "locationByValue", path, false, 256 * 1024);
    if (!by_value.ok()) return by_value.status();
    auto desc = Text(c, "locationDescriptionText", path, false, 1024);
    if (!desc.ok()) return desc.status();
    if (by_value->empty()) continue;
    auto pidf = ReadPidf(*by_value, path + ".locationByValue");
    if (!pidf.ok()) return pidf.status();
    if (!pidf->where) continue;
    bool current = *kind == "Current Incident";
    if (!chosen || current) {
      chosen = k;
      found = *pidf;
      description = *desc;
    }
    if (current) break;
  }
  if (!chosen)
    return InvalidArgument(
        "no location with a geodetic position (PIDF-LO gml:pos in locationByValue); civic-only "
        "and by-reference locations are not placed",
        "locationComponent");
  out.location = *found.where;
  out.landmark = found.landmark;
  // The writer's locationDescriptionText: "address (landmark)", "address" or "landmark".
  std::string suffix = " (" + found.landmark + ")";
  if (found.landmark.empty())
    out.address = description;
  else if (description == found.landmark)
    out.address.clear();
  else if (description.size() > suffix.size() &&
           description.compare(description.size() - suffix.size(), suffix.size(), suffix) == 0)
    out.address = description.substr(0, description.size() - suffix.size());
  else
    out.address = description;
  std::string field = "locationComponent[" + std::to_string(*chosen) + "]";
  NCC_RETURN_IF_ERROR(CheckText(out.address, 256, field + ".locationDescriptionText"));
  return CheckText(out.landmark, 256, field + ".locationByValue");
}

// The owner (incidentOwningAgencyIndicator true, else the first) and the others.
Status ReadAgencies(const json& doc, EidoIncident& out) {
  if (!doc.contains("agencyComponent")) return Malformed("required", "agencyComponent");
  auto list = Array(doc, "agencyComponent", "", EidoLimits::kAgencies);
  if (!list.ok()) return list.status();
  if ((*list)->empty()) return InvalidArgument("at least one agency", "agencyComponent");
  std::optional<size_t> owner;
  std::vector<std::string> codes;
  for (size_t k = 0; k < (*list)->size(); ++k) {
    const json& c = (**list)[k];
    std::string path = "agencyComponent[" + std::to_string(k) + "]";
    NCC_RETURN_IF_ERROR(CheckPrologue(c, path));
    auto types = Array(c, "agencyType", path, 16);
    if (!types.ok()) return types.status();
    std::string code;
    if (!(*types)->empty()) {
      const json& t = (**types)[0];
      if (!t.is_string()) return Malformed("must be a string", path + ".agencyType[0]");
      code = t.get<std::string>();
      NCC_RETURN_IF_ERROR(CheckText(code, 64, path + ".agencyType[0]"));
    }
    codes.push_back(code);
    if (auto it = c.find("incidentOwningAgencyIndicator"); it != c.end() && !it->is_null()) {
      if (!it->is_boolean())
        return Malformed("must be true or false", path + ".incidentOwningAgencyIndicator");
      if (it->get<bool>() && !owner) owner = k;
    }
  }
  size_t o = owner.value_or(0);
  out.agency = codes[o];
  for (size_t k = 0; k < codes.size(); ++k)
    if (k != o && !codes[k].empty() && codes[k] != out.agency) out.assisting.push_back(codes[k]);
  return Status::Ok();
}

// The ncc status the registry's texts mean, the most advanced one named.
std::optional<IncidentStatus> StatusFromRegistry(const json& list) {
  std::optional<IncidentStatus> s;
  auto raise = [&](IncidentStatus to) {
    if (!s || static_cast<int>(to) > static_cast<int>(*s)) s = to;
  };
  for (const json& t : list) {
    if (!t.is_string()) continue;
    std::string v = t.get<std::string>();
    if (v == "Active") raise(IncidentStatus::kNew);
    if (v == "ResourcesAssigned") raise(IncidentStatus::kDispatched);
    if (v == "ResourcesEnroute") raise(IncidentStatus::kEnRoute);
    if (v == "ResourcesOnscene") raise(IncidentStatus::kOnScene);
    if (v == "Closed") raise(IncidentStatus::kClosed);
    if (v == "Cancelled") s = IncidentStatus::kCancelled;
  }
  return s;
}

Status ReadStatus(const json& inc, EidoIncident& out) {
  const std::string path = "incidentComponent";
  auto internal = Array(inc, "incidentStatusInternalText", path, 16);
  if (!internal.ok()) return internal.status();
  for (size_t k = 0; k < (*internal)->size(); ++k) {
    const json& t = (**internal)[k];
    std::string field = path + ".incidentStatusInternalText[" + std::to_string(k) + "]";
    if (!t.is_string()) return Malformed("must be a string", field);
    if (auto s = ParseIncidentStatus(t.get<std::string>())) {
      out.status = s;
      out.status_field = field;
      return Status::Ok();
    }
  }
  auto common = Array(inc, "incidentStatusCommonRegistryText", path, 16);
  if (!common.ok()) return common.status();
  out.status = StatusFromRegistry(**common);
  out.status_field = path + ".incidentStatusCommonRegistryText";
  return Status::Ok();
}

Status ReadIncidentComponent(const json& doc, EidoIncident& out) {
  auto it = doc.find("incidentComponent");
  if (it == doc.end() || it->is_null()) {
    out.type = "call";
    return Status::Ok();
  }
  const std::string path = "incidentComponent";
  const json& inc = *it;
  NCC_RETURN_IF_ERROR(CheckPrologue(inc, path));
  auto common = Text(inc, "incidentTypeCommonRegistryText", path, true, 64);
  if (!common.ok()) return common.status();
  auto code = Text(inc, "incidentTypeInternalCode", path, false, 64);
  if (!code.ok()) return code.status();
  auto text = Text(inc, "incidentTypeInternalText", path, false, 2000);
  if (!text.ok()) return text.status();
  if (!code->empty() && !IsTypeCode(*code))
    return InvalidArgument("an ncc type code uses only a-z, 0-9, '.', '_' and '-'",
                           path + ".incidentTypeInternalCode");
  std::string_view mapped = TypeForCode(*common);
  out.type = !code->empty() ? *code : !mapped.empty() ? std::string(mapped) : "call";
  out.summary = *text == out.type ? "" : *text;
  auto priority = Text(inc, "incidentPriorityInternalText", path, false, 8);
  if (!priority.ok()) return priority.status();
  if (!priority->empty()) {
    if (priority->size() != 1 || (*priority)[0] < '1' || (*priority)[0] > '5')
      return InvalidArgument("must be an ncc priority, 1 (most urgent) to 5",
                             path + ".incidentPriorityInternalText");
    out.priority = (*priority)[0] - '0';
  }
  return ReadStatus(inc, out);
}

bool IsDerivedLine(std::string_view text) {
  static constexpr std::string_view kDerived[] = {
      "created: ", "status: ", "assignment: ", "priority: ",  "alarm: ",
      "shared: ",  "split: ",  "unit: ",       "mutual_aid: "};
  for (std::string_view prefix : kDerived)
    if (text.substr(0, prefix.size()) == prefix) return true;
  return false;
}

// ncc's writer prefixes each timeline line with its kind; the lines ncc derives itself (the
// creation, status changes, assignments) are the sender's record of what it did and are not
// re-added as notes. Any other text is a note, as it stands.
Status ReadNotes(const json& doc, EidoIncident& out) {
  auto list = Array(doc, "notesComponent", "", EidoLimits::kNotes);
  if (!list.ok()) return list.status();
  for (size_t k = 0; k < (*list)->size(); ++k) {
    const json& c = (**list)[k];
    std::string path = "notesComponent[" + std::to_string(k) + "]";
    NCC_RETURN_IF_ERROR(CheckPrologue(c, path));
    auto comments = Text(c, "notesActionComments", path, false, 3 * 4000);
    if (!comments.ok()) return comments.status();
    std::string text = UnescapeHtml(*comments);
    if (IsDerivedLine(text)) continue;
    if (text.rfind("note: ", 0) == 0) text.erase(0, 6);
    if (text.empty()) continue;
    NCC_RETURN_IF_ERROR(CheckText(text, 4000, path + ".notesActionComments"));
    EidoNote note{c["$id"].get<std::string>(), std::move(text), "", path + ".notesActionComments"};
    if (auto a = c.find("updatedByAgentReference"); a != c.end() && a->is_object())
      if (auto r = a->find("$ref"); r != a->end() && r->is_string())
        note.author = r->get<std::string>().substr(0, 256);
    out.notes.push_back(std::move(note));
  }
  return Status::Ok();
}

}  // namespace

std::string_view TypeForCode(std::string_view apco_code) {
  struct Row {
    std::string_view code, type;
  };
  static constexpr Row kRows[] = {
      {"FSTRU", "fire.structure"},
      {"FVEH", "fire.vehicle"},
      {"FBRUSH", "fire.brush"},
      {"ALRF", "fire.alarm"},
      {"FSMOKE", "fire.smoke"},
      {"FTRASH", "fire.trash"},
      {"CARDIAC", "medical.cardiac"},
      {"STROKE", "medical.stroke"},
      {"RESP", "medical.breathing"},
      {"FALL", "medical.fall"},
      {"OD", "medical.overdose"},
      {"TRAUMA", "medical.trauma"},
      {"ROBBERY", "police.robbery"},
      {"BURGLARY", "police.burglary"},
      {"ASSAULT", "police.assault"},
      {"LARCENY", "police.theft"},
      {"SHOOT", "police.shooting"},
      {"SUSP", "police.suspicious"},
      {"MVA", "traffic.collision"},
      {"DROWN", "rescue.water"},
      {"FUNK", "fire"},
      {"SICK", "medical"},
      {"INVEST", "police"},
      {"RESCUE", "rescue"},
      {"SAR", "sar"},
      {"HAZMAT", "hazmat"},
      {"ALRU", "alarm"},
      {"ALRBS", "intrusion"},
      {"ALMH", "panic"},
  };
  for (const Row& r : kRows)
    if (r.code == apco_code) return r.type;
  return "";
}

StatusOr<EidoIncident> ReadEido(std::string_view text, std::string_view own_issuer) {
  if (text.size() > EidoLimits::kBytes)
    return Status(StatusCode::kResourceExhausted, "an EIDO is at most 1 MiB", "eido");
  if (JsonNestedDeeperThan(text, EidoLimits::kDepth))
    return Malformed("nested deeper than " + std::to_string(EidoLimits::kDepth), "eido");
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return Malformed("not valid JSON", "eido");
  if (!doc.is_object()) return Malformed("an EIDO is a JSON object", "eido");
  NCC_RETURN_IF_ERROR(CheckPrologue(doc, ""));
  auto version = Text(doc, "eidoVersion", "", true, 16);
  if (!version.ok()) return version.status();
  if (*version != "1.0") return InvalidArgument("only eidoVersion \"1.0\" is read", "eidoVersion");
  EidoIncident out;
  auto issuer = Text(doc, "issuingElementIdentification", "", true, 256);
  if (!issuer.ok()) return issuer.status();
  out.issuer = *issuer;
  out.tracking_id = doc["$id"].get<std::string>();
  out.own_id = OwnIncident(out.tracking_id, own_issuer);
  NCC_RETURN_IF_ERROR(ReadAgencies(doc, out));
  NCC_RETURN_IF_ERROR(ReadIncidentComponent(doc, out));
  NCC_RETURN_IF_ERROR(ReadLocation(doc, out));
  NCC_RETURN_IF_ERROR(ReadNotes(doc, out));
  return out;
}

}  // namespace ncc::eido

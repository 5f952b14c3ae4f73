#include "exchange/eido/eido_writer.h"

#include <cstdio>
#include <pugixml.hpp>
#include <sstream>

#include "core/json_writer.h"
#include "core/lifecycle.h"
#include "core/markup.h"

namespace ncc::eido {
namespace {

using nlohmann::json;

json Ref(const std::string& id) {
  return {{"$ref", id}};
}

// The prologue every data component starts with (PrologueType).
json Prologue(const std::string& id, Time updated, const std::string& agency_id) {
  return {{"$id", id},
          {"lastUpdateTimeStamp", FormatTime(updated)},
          {"updatedByAgencyReference", Ref(agency_id)}};
}

// Incident Status - Common registry values for an ncc status.
json StatusCodes(IncidentStatus s) {
  switch (s) {
    case IncidentStatus::kNew:
    case IncidentStatus::kTriaged:
    case IncidentStatus::kResolved:
      return {"Active"};
    case IncidentStatus::kDispatched:
      return {"Active", "ResourcesAssigned"};
    case IncidentStatus::kEnRoute:
      return {"Active", "ResourcesEnroute"};
    case IncidentStatus::kOnScene:
      return {"Active", "ResourcesOnscene"};
    case IncidentStatus::kClosed:
    case IncidentStatus::kMerged:
      return {"Closed"};
    case IncidentStatus::kCancelled:
      return {"Cancelled"};
  }
  return {"Active"};
}

// Common Disposition Code (APCO ANS 1.111.2) once the incident is over; empty while it runs.
std::string_view DispositionCode(IncidentStatus s) {
  switch (s) {
    case IncidentStatus::kCancelled:
      return "10";  // Event Cancelled
    case IncidentStatus::kMerged:
      return "22";  // Cancelled - Duplicate Call
    case IncidentStatus::kResolved:
    case IncidentStatus::kClosed:
      return "18";  // Assignment Completed/Settled By Contact
    default:
      return "";
  }
}

std::string AgencyId(const std::string& agency, const EidoOptions& o) {
  return agency + "." + o.issuer;
}

}  // namespace

std::string_view IncidentTypeCode(std::string_view type) {
  struct Row {
    std::string_view type, code;
  };
  // Exact types first, then the family (the part before the first dot).
  static constexpr Row kExact[] = {
      {"fire.structure", "FSTRU"},    {"fire.vehicle", "FVEH"},
      {"fire.brush", "FBRUSH"},       {"fire.alarm", "ALRF"},
      {"fire.smoke", "FSMOKE"},       {"fire.trash", "FTRASH"},
      {"medical.cardiac", "CARDIAC"}, {"medical.stroke", "STROKE"},
      {"medical.breathing", "RESP"},  {"medical.fall", "FALL"},
      {"medical.overdose", "OD"},     {"medical.trauma", "TRAUMA"},
      {"police.robbery", "ROBBERY"},  {"police.burglary", "BURGLARY"},
      {"police.assault", "ASSAULT"},  {"police.theft", "LARCENY"},
      {"police.shooting", "SHOOT"},   {"police.suspicious", "SUSP"},
      {"police.patrol", "INVEST"},    {"traffic.collision", "MVA"},
      {"rescue.water", "DROWN"},
  };
  static constexpr Row kFamily[] = {
      {"fire", "FUNK"},     {"medical", "SICK"}, {"ems", "SICK"},        {"police", "INVEST"},
      {"crime", "INVEST"},  {"traffic", "MVA"},  {"rescue", "RESCUE"},   {"sar", "SAR"},
      {"hazmat", "HAZMAT"}, {"alarm", "ALRU"},   {"intrusion", "ALRBS"}, {"panic", "ALMH"},
  };
  for (const Row& r : kExact)
    if (type == r.type) return r.code;
  std::string_view family = type.substr(0, type.find('.'));
  for (const Row& r : kFamily)
    if (family == r.type) return r.code;
  return "INFO";
}

std::string PidfLo(const LatLon& where, const std::string& entity, Time when,
                   const std::string& landmark) {
  pugi::xml_document doc;
  pugi::xml_node presence = doc.append_child("presence");
  presence.append_attribute("xmlns") = "urn:ietf:params:xml:ns:pidf";
  presence.append_attribute("xmlns:gp") = "urn:ietf:params:xml:ns:pidf:geopriv10";
  presence.append_attribute("xmlns:gml") = "http://www.opengis.net/gml";
  presence.append_attribute("xmlns:dm") = "urn:ietf:params:xml:ns:pidf:data-model";
  presence.append_attribute("entity") = ("pres:" + entity).c_str();
  pugi::xml_node device = presence.append_child("dm:device");
  device.append_attribute("id") = "incident-location";
  pugi::xml_node geopriv = device.append_child("gp:geopriv");
  pugi::xml_node point = geopriv.append_child("gp:location-info").append_child("gml:Point");
  point.append_attribute("srsName") = "urn:ogc:def:crs:EPSG::4326";
  char pos[64];
  std::snprintf(pos, sizeof pos, "%.6f %.6f", where.lat, where.lon);
  point.append_child("gml:pos").text().set(pos);
  // The landmark as RFC 5139's civic LMK beside the point (RFC 5491 §3.3: both describe the
  // same place), so that an importer tells it from the address.
  if (!landmark.empty()) {
    pugi::xml_node civic = point.parent().append_child("ca:civicAddress");
    civic.append_attribute("xmlns:ca") = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr";
    civic.append_child("ca:LMK").text().set(landmark.c_str());
  }
  geopriv.append_child("gp:usage-rules");
  geopriv.append_child("gp:method").text().set("Manual");
  device.append_child("dm:timestamp").text().set(FormatTime(when).c_str());
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

json WriteEido(const Incident& i, const EidoOptions& o) {
  const std::string owner = AgencyId(i.agency, o);
  const std::string id =
      "urn:emergency:uid:incidentid:" + std::to_string(i.id.value) + ":" + o.issuer;
  const std::string location_id =
      "urn:emergency:uid:locationid:" + std::to_string(i.id.value) + "-1:" + o.issuer;

  json eido = Prologue(id, i.updated, owner);
  eido["eidoVersion"] = "1.0";
  eido["issuingElementIdentification"] = o.issuer;

  // Agencies: the owner, then every agency it shared the incident with (assisting).
  json agencies = json::array();
  json owner_agency = Prologue(owner, i.updated, owner);
  owner_agency["agencyRoleDescriptionRegistryText"] = {"Dispatching"};
  owner_agency["agencyType"] = {i.agency};
  owner_agency["incidentOwningAgencyIndicator"] = true;
  agencies.push_back(owner_agency);
  for (const std::string& a : i.shared_with) {
    json partner = Prologue(AgencyId(a, o), i.updated, owner);
    partner["agencyRoleDescriptionRegistryText"] = {"Assisting"};
    partner["agencyType"] = {a};
    partner["incidentOwningAgencyIndicator"] = false;
    agencies.push_back(partner);
  }
  eido["agencyComponent"] = agencies;

  json location = Prologue(location_id, i.updated, owner);
  location["locationTypeDescriptionRegistryText"] = "Current Incident";
  location["locationByValue"] = PidfLo(
      i.location, "incident-" + std::to_string(i.id.value) + "@" + o.issuer, i.updated, i.landmark);
  std::string where = i.address;
  if (!i.landmark.empty())
    where += (where.empty() ? "" : " (") + i.landmark + (where.empty() ? "" : ")");
  if (!where.empty()) location["locationDescriptionText"] = where;
  eido["locationComponent"] = json::array({location});

  // The timeline, oldest first: notes, status changes, assignments, creation.
  json notes = json::array(), note_refs = json::array();
  for (size_t k = 0; k < i.timeline.size(); ++k) {
    const TimelineEntry& t = i.timeline[k];
    std::string note_id = "urn:emergency:uid:notesid:" + std::to_string(i.id.value) + "-" +
                          std::to_string(k + 1) + ":" + o.issuer;
    json n = Prologue(note_id, t.time, owner);
    if (!t.actor.empty()) n["updatedByAgentReference"] = Ref(t.actor + "@" + o.issuer);
    n["notesActionComments"] = EscapeMarkup(t.kind + ": " + t.text);
    notes.push_back(n);
    note_refs.push_back(Ref(note_id));
  }
  if (!notes.empty()) eido["notesComponent"] = notes;

  json incident = Prologue(id, i.updated, owner);
  incident["incidentTypeCommonRegistryText"] = std::string(IncidentTypeCode(i.type));
  incident["incidentTypeInternalCode"] = i.type;
  incident["incidentTypeInternalText"] = i.summary.empty() ? i.type : i.summary;
  incident["incidentStatusCommonRegistryText"] = StatusCodes(i.status);
  incident["incidentStatusInternalText"] = {std::string(Name(i.status))};
  incident["internalIncidentId"] = std::to_string(i.id.value);
  incident["incidentPriorityInternalText"] = std::to_string(i.priority);
  incident["locationReference"] = json::array({Ref(location_id)});
  if (!note_refs.empty()) incident["notesReference"] = note_refs;
  if (auto code = DispositionCode(i.status); !code.empty()) {
    json d =
        Prologue("urn:emergency:uid:dispositionid:" + std::to_string(i.id.value) + ":" + o.issuer,
                 i.updated, owner);
    d["dispositionCommonRegistryCode"] = std::string(code);
    d["dispositionPrimaryIndicator"] = true;
    d["dispositionCategoryText"] = std::string(Name(i.status));
    incident["dispositionComponent"] = json::array({d});
  }
  eido["incidentComponent"] = incident;
  return eido;
}

}  // namespace ncc::eido

// Reads a NENA EIDO JSON document (NENA-STA-021.1b, eidoVersion "1.0") into what ncc models of
// an incident: docs/exchange.md "EIDO import". The reverse of eido_writer.h: every field the
// writer emits is read back the same (type, summary, priority, status, location and its
// address and landmark, owning and assisting agencies, notes).
//
// Owner: the exchange room. Pure (no I/O, no clock, no World): the server decides what the
// document does to the World (api_eido.cc) through the ordinary commands. Any thread.
// Errors: kMalformed (not JSON, a field of the wrong JSON type, a malformed PIDF-LO) and
// kInvalidArgument (a value ncc cannot take), kResourceExhausted (too large), each naming the
// field by its JSON path ("incidentComponent.incidentPriorityInternalText",
// "locationComponent[0].locationByValue", "notesComponent[3].notesActionComments").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/lifecycle.h"
#include "core/status.h"

namespace ncc::eido {

// Hard limits of one document.
struct EidoLimits {
  static constexpr size_t kBytes = 1 << 20;
  static constexpr size_t kDepth = 32;
  static constexpr size_t kNotes = 1000;
  static constexpr size_t kAgencies = 64;
  static constexpr size_t kLocations = 64;
};

struct EidoNote {
  std::string id;      // the note component's $id
  std::string text;    // notesActionComments, HTML entities decoded, "note: " taken off
  std::string author;  // updatedByAgentReference.$ref, "" when not given
  std::string field;   // its JSON path, "notesComponent[3].notesActionComments"
};

struct EidoIncident {
  std::string tracking_id;  // the document's $id: the incident tracking identifier
  std::string issuer;       // issuingElementIdentification
  // The $id is "urn:emergency:uid:incidentid:<n>:<own issuer>": this centre's own incident n.
  std::optional<uint64_t> own_id;
  std::string type;  // an ncc type code (incidentTypeInternalCode, else from the APCO code)
  std::string summary;
  std::optional<int32_t> priority;       // incidentPriorityInternalText, 1..5
  std::optional<IncidentStatus> status;  // incidentStatusInternalText, else the registry's
  std::string status_field;              // the JSON path status came from
  LatLon location;                       // the first geodetic point of the incident location
  std::string address, landmark;
  std::string agency;                  // the owning agency's agencyType (ncc agency code)
  std::vector<std::string> assisting;  // the other agencies' agencyType
  std::vector<EidoNote> notes;         // oldest first, the sender's own timeline lines left out
};

// The ncc type for an APCO 2.103.2 Incident Type code (the reverse of IncidentTypeCode for
// the exact codes; "" when it names none).
std::string_view TypeForCode(std::string_view apco_code);

// `own_issuer`: this centre's --eido-issuer, to recognise its own incident ids.
StatusOr<EidoIncident> ReadEido(std::string_view json, std::string_view own_issuer);

}  // namespace ncc::eido

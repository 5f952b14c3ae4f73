// NENA EIDO JSON (NENA-STA-021.1b, eidoVersion "1.0") for one incident: docs/formats/eido.md.
// Pure: the same incident gives the same document. The location travels as PIDF-LO XML in
// locationByValue, as the schema of that version wants (not GeoJSON).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/records.h"

namespace ncc::eido {

struct EidoOptions {
  // issuingElementIdentification, and the domain of every id in the document
  // ("urn:emergency:uid:incidentid:12:ncc.localhost", agencies "police.ncc.localhost").
  std::string issuer = "ncc.localhost";
};

// The APCO 2.103.2 code of the Incident Type - Common registry for an ncc type code
// ("fire.structure" -> "FSTRU"; table in the doc).
std::string_view IncidentTypeCode(std::string_view type);

// The PIDF-LO document (RFC 4119/5491: a gml:Point in EPSG 4326) for a position, with the
// landmark, if any, as a civic address LMK (RFC 5139) beside it.
std::string PidfLo(const LatLon& where, const std::string& entity, Time when,
                   const std::string& landmark = "");

nlohmann::json WriteEido(const Incident& incident, const EidoOptions& options);

}  // namespace ncc::eido

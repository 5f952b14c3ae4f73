// Reader for the San Francisco Fire Department "Calls for Service" open dataset (DataSF), one
// row per unit response. Used by the demo (replayed as live work) and by benchmarks.
#pragma once

#include <string>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/status.h"

namespace ncc {

struct UnitResponse {
  std::string call_number;
  std::string unit_id;    // "E32", "85", "QRV1"
  std::string unit_type;  // ENGINE, MEDIC, TRUCK, PRIVATE, CHIEF, ...
  std::string call_type;  // "Medical Incident", "Structure Fire", ...
  std::string priority;   // as dispatched: "2", "3", "E", ...
  std::string address;
  std::string station;
  bool als = false;
  LatLon location;
  // Zero when the step did not happen.
  Time received, entry, dispatch, response, on_scene, transport, hospital, available;
  // In ncc's terms, filled by a mapping file (sim/call_mapping.h; ReadSfCalls leaves them empty).
  std::string type;         // incident type, "medical.general"
  int ncc_priority = 3;     // 1..5
  std::string unit_kind;    // "engine", "ambulance", ...
  std::string unit_agency;  // agency the unit belongs to
  std::string agency;       // agency that owns the call
  bool has_location = true;
};

// Parses the CSV (RFC 4180 quoting). Rows without a location or received time are skipped and
// counted in `skipped`; a missing column is an error naming it.
StatusOr<std::vector<UnitResponse>> ReadSfCalls(const std::string& path, size_t* skipped = nullptr);

// Splits one CSV line into fields, honouring quotes. Exposed for tests and fuzzing.
std::vector<std::string> SplitCsvLine(std::string_view line);

// "04/07/2020 11:53:08 PM" in San Francisco local time (PDT, UTC-7, for this April dataset).
bool ParseSfTime(std::string_view text, Time& out);

// Our dotted type code and 1..5 priority for an SF call type / priority.
std::string IncidentTypeFor(const std::string& call_type);
int PriorityFor(const std::string& sf_priority);

}  // namespace ncc

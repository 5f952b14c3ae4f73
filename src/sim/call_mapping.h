// Mapping files: how one CAD export's CSV columns, time format and codes become ncc's calls for
// service (docs/sim.md, "Mapping files"). A user loads their own city's export with one small
// JSON file instead of code: config/mappings/sf-fire.json (DataSF, one row per unit response)
// and config/mappings/virginia-psap.json (one row per incident, no locations: analytics only).
//
// Owner: src/sim. Thread: a CallMapping is immutable once parsed; the functions are pure apart
// from reading the named file. Errors: InvalidArgument whose field names the mapping key
// ("columns.received", "time_format") or, for a CSV, the column the mapping asked for.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sim/sf_calls.h"

namespace ncc {

// A strftime-like pattern (%Y %m %d %H %I %M %S %p, %f for optional fractional seconds, any
// other character literal) and the fixed offset of the export's local time from UTC.
struct TimeFormat {
  std::string pattern;
  int offset_minutes = 0;
};

// "2025-08-24 00:07:06.000" with "%Y-%m-%d %H:%M:%S%f". False on anything that does not match
// exactly (trailing text included) or names an impossible date or time.
bool ParseMappedTime(std::string_view text, const TimeFormat& format, Time& out);

struct CallMapping {
  std::string name;
  // Column header for each field; fields not mapped are absent. Known fields: call, unit,
  // unit_type, call_type, priority, address, station, als, location, lat, lon, agency,
  // received, entry, dispatch, en_route, on_scene, transport, hospital, available.
  std::map<std::string, std::string> columns;
  TimeFormat time;
  std::vector<std::string> missing = {""};  // cell texts that mean "no value" ("NULL")
  // Code tables; "*" is the fallback of each. types: call_type -> ncc type; priorities:
  // priority -> 1..5; unit_kinds: unit_type -> kind; unit_agencies: unit_type -> agency;
  // agencies: agency column -> agency.
  std::map<std::string, std::string> types, unit_kinds, unit_agencies, agencies;
  std::map<std::string, int> priorities;
  std::string agency;              // owner of the calls when there is no agency column
  std::string true_text = "true";  // the `als` column's text for yes

  bool Has(const std::string& field) const { return columns.count(field) != 0; }
  // Whole-call rows can be replayed on roads only with a location and a unit per row.
  // FailedPrecondition naming the missing column otherwise ("analytics only").
  Status CheckDispatchable(const std::string& mapping_file) const;
};

StatusOr<CallMapping> ParseCallMapping(std::string_view json, const std::string& file_name);
StatusOr<CallMapping> LoadCallMapping(const std::string& path);

struct MappedReadStats {
  size_t rows = 0, kept = 0;
  size_t short_rows = 0, no_received = 0, no_location = 0;
};

// Reads a CSV export through `mapping`. Every mapped column must be in the header: otherwise
// InvalidArgument "FILE: column 'X' (columns.FIELD) is not in the header", field
// "columns.FIELD". Rows whose received time does not parse, or (when locations are mapped) whose
// location is missing, are skipped and counted, never guessed.
StatusOr<std::vector<UnitResponse>> ReadMappedCalls(const std::string& path,
                                                    const CallMapping& mapping,
                                                    MappedReadStats* stats = nullptr);

// Reads one data row (already split) through a header map; false when the row is skipped.
// Exposed for the fuzz target.
bool MapRow(const std::vector<std::string>& cells, const std::map<std::string, size_t>& index,
            const CallMapping& mapping, UnitResponse& out, MappedReadStats& stats);

}  // namespace ncc

// Reading a JSON request body strictly: a depth limit checked before parsing, unknown fields
// refused, every type error named by its field path ("location.lat", "fixes[3].time").
// The first error wins; later reads become no-ops, so handlers read straight through and
// check status() once.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/status.h"

namespace ncc {

inline constexpr int kMaxJsonDepth = 16;

// Parses `body` as JSON; InvalidArgument with the parser's position on failure, or when nested
// deeper than kMaxJsonDepth (checked by a scan before the parser runs, so deep input cannot
// exhaust the stack).
StatusOr<nlohmann::json> ParseJsonBody(std::string_view body);

class FieldReader {
 public:
  // `prefix` is prepended to field names in errors ("fixes[3]").
  FieldReader(const nlohmann::json& object, std::vector<std::string> allowed,
              std::string prefix = "");

  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }

  std::string String(const char* name, bool required, size_t max_bytes = 4096);
  std::optional<double> Number(const char* name, bool required);
  std::optional<int64_t> Integer(const char* name, bool required);
  std::optional<bool> Bool(const char* name, bool required);
  std::vector<std::string> Strings(const char* name, size_t max_items, size_t max_bytes);
  // The items of an array of objects (none when absent), each with the path prefix its
  // FieldReader should use ("tasks[3]"); a non-array, a non-object item or more than
  // `max_items` fails naming the field.
  std::vector<std::pair<const nlohmann::json*, std::string>> Objects(const char* name,
                                                                     size_t max_items);
  // The raw value (null when absent); for shapes this reader does not know (GeoJSON).
  const nlohmann::json* Raw(const char* name, bool required) { return Get(name, required); }
  std::optional<LatLon> Location(const char* name, bool required);
  // ISO-8601 with a zone, or integer milliseconds since the epoch.
  std::optional<Time> Timestamp(const char* name, bool required);

 private:
  const nlohmann::json* Get(const char* name, bool required);
  void Fail(std::string message, const std::string& field);
  std::string Path(const std::string& name) const {
    return prefix_.empty() ? name : prefix_ + "." + name;
  }

  const nlohmann::json& obj_;
  std::string prefix_;
  Status status_;
};

}  // namespace ncc

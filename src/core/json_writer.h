// Walks a record's Fields() into JSON for the API and the stream. Enums become their field
// names ("en_route"), times become ISO-8601 UTC strings, and a zero id or time becomes null
// ("not set").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "core/ids.h"
#include "core/lifecycle.h"

namespace ncc {

// "2020-04-07T12:34:56.789Z". Exposed for parsers' error messages and tests.
std::string FormatTime(Time t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)"; returns false on anything else.
bool ParseTime(std::string_view text, Time& out);

class JsonWriter {
 public:
  explicit JsonWriter(nlohmann::json& out) : out_(out) {}

  template <typename T>
  void operator()(const char* name, const T& value) {
    out_[name] = ToJson(value);
  }

  template <typename T>
  static nlohmann::json ToJson(const T& value) {
    if constexpr (std::is_enum_v<T>) {
      return std::string(Name(value));
    } else if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) {
      return value;
    } else if constexpr (std::is_same_v<T, Time>) {
      return value.ms == 0 ? nlohmann::json(nullptr) : nlohmann::json(FormatTime(value));
    } else if constexpr (requires {
                           value.value;
                           static_cast<bool>(value);
                         }) {  // Id<Tag>
      return value ? nlohmann::json(value.value) : nlohmann::json(nullptr);
    } else if constexpr (requires {
                           value.has_value();
                           *value;
                         }) {
      return value ? ToJson(*value) : nlohmann::json(nullptr);
    } else if constexpr (requires {
                           value.size();
                           value.begin();
                         }) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& item : value) arr.push_back(ToJson(item));
      return arr;
    } else {
      nlohmann::json obj = nlohmann::json::object();
      JsonWriter w(obj);
      const_cast<T&>(value).Fields(w);  // Fields() only reads through this visitor
      return obj;
    }
  }

 private:
  nlohmann::json& out_;
};

}  // namespace ncc

#include "input/ndjson.h"

#include <string>

#include "input/json_body.h"

namespace ncc {

nlohmann::json ParseNdjson(std::string_view body, std::vector<Rejection>& rejected,
                           std::vector<size_t>& index_of) {
  nlohmann::json items = nlohmann::json::array();
  size_t line = 0;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view text = body.substr(0, nl);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!text.empty()) {
      auto parsed = ParseJsonBody(text);
      if (parsed.ok()) {
        items.push_back(std::move(*parsed));
        index_of.push_back(line);
      } else {
        rejected.push_back(
            {line, "fixes[" + std::to_string(line) + "]", parsed.status().message()});
      }
      ++line;
    }
    if (nl == std::string_view::npos) break;
    body.remove_prefix(nl + 1);
  }
  return items;
}

}  // namespace ncc

// Text into HTML, SVG and XML: &, <, >, " and ' as entities, so that text from the log is
// always text, never markup. The one escaper of the project's writers. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace ncc {

inline std::string EscapeMarkup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace ncc

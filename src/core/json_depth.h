// The one guard every JSON reader runs before parsing: hostile input nested thousands deep
// must not exhaust the stack of the parser (or of the recursive destructor of its result).
#pragma once

#include <cstddef>
#include <string_view>

namespace ncc {

// Whether `text` opens more than `max_depth` arrays/objects at once, counting outside strings
// (escapes honoured). Linear, no allocation; malformed text is left to the parser.
bool JsonNestedDeeperThan(std::string_view text, size_t max_depth);

}  // namespace ncc

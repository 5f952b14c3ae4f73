// The bytes of a partner's XML document (a CAP alert, an Atom or RSS index, an EDXL-DE
// envelope) as text ncc can trust: the declared encoding honoured and turned into UTF-8, and
// references to undefined entities refused as XML says (pugixml would keep them as text).
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace ncc::cap {

// The encoding the XML declaration names, upper case; "" when there is none.
std::string DeclaredEncoding(std::string_view xml);

// `xml` as UTF-8 from `encoding` (DeclaredEncoding's; "" is UTF-8). UTF-8, US-ASCII,
// ISO-8859-1 and windows-1252 are read; others, and bytes that are not what the encoding says,
// are InvalidArgument naming the byte or the encoding (field "alert"): a misread name in a
// hash-chained log stays misread forever.
Status ToUtf8(std::string_view xml, const std::string& encoding, std::string& out);

// InvalidArgument (field "alert") at the first '&' outside CDATA, comments and processing
// instructions that is not a predefined entity or a reference to a character XML allows.
Status CheckReferences(std::string_view xml);

std::string Upper(std::string_view s);

}  // namespace ncc::cap

// The bytes of a partner's XML document (a CAP alert, an Atom or RSS index, an EDXL-DE
// envelope) as a tree ncc can trust: hard limits, the declared encoding honoured and turned
// into UTF-8, no DOCTYPE, references to undefined entities refused as XML says (pugixml would
// keep them as text); and the small pugixml helpers both readers use.
// Pure functions; any thread.
#pragma once

#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ncc::cap {

struct CapLimits {
  size_t max_bytes = 1 << 20;  // real IPAWS alerts with embedded resources reach ~460 KB
  size_t max_elements = 20'000;
  size_t max_depth = 16;      // CAP nests 5 deep; leave room for extensions
  size_t max_text = 1 << 20;  // any one element's text (IPAWS embeds whole files as base64)
};

// Loads `raw` into `doc` after every check above, the shape limits included (kResourceExhausted
// past one, kInvalidArgument otherwise; field "alert"). `encoding` (may be null) gets the
// declared encoding, "UTF-8" when none. On success `doc` has a root element.
Status LoadPartnerXml(std::string_view raw, const CapLimits& limits, pugi::xml_document& doc,
                      std::string* encoding);

// "cap:alert" -> "alert".
std::string_view LocalName(const char* name);
// Children of `parent` with local name `name`, in document order.
std::vector<pugi::xml_node> Children(pugi::xml_node parent, std::string_view name);
// The element's text, surrounding whitespace trimmed.
std::string Text(pugi::xml_node n);
// "alert.info" + "area" + 1 -> "alert.info.area[1]": how errors name elements.
std::string Indexed(const std::string& path, std::string_view name, size_t k);

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

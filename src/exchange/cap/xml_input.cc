#include "exchange/cap/xml_input.h"

#include <charconv>
#include <cstdint>
#include <vector>

namespace ncc::cap {
namespace {

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// windows-1252's 0x80..0x9F (0: not assigned); the rest of it is ISO-8859-1.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

// Byte offset of the first byte that is not part of well-formed UTF-8, or npos.
size_t FirstBadUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    uint32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c >> 6) != 0x2) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};  // shortest form only
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n;
  }
  return std::string_view::npos;
}

bool XmlChar(uint64_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Whether `name` (between '&' and ';') is a predefined entity or a reference to a character
// XML allows.
bool KnownReference(std::string_view name) {
  if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos")
    return true;
  if (name.size() < 2 || name[0] != '#') return false;
  bool hex = name[1] == 'x';
  std::string_view digits = name.substr(hex ? 2 : 1);
  uint64_t cp = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
  return !digits.empty() && ec == std::errc() && p == digits.data() + digits.size() && XmlChar(cp);
}

// Walks the whole tree once, without recursion: element count, depth, text sizes.
Status CheckShape(const pugi::xml_document& doc, const CapLimits& limits) {
  size_t elements = 0;
  std::vector<std::pair<pugi::xml_node, size_t>> stack{{doc.document_element(), 1}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (node.type() == pugi::node_element) {
      if (++elements > limits.max_elements)
        return Status(StatusCode::kResourceExhausted,
                      "more than " + std::to_string(limits.max_elements) + " elements", "alert");
      if (depth > limits.max_depth)
        return Status(StatusCode::kResourceExhausted,
                      "nested deeper than " + std::to_string(limits.max_depth) + " at <" +
                          std::string(node.name()).substr(0, 64) + ">",
                      "alert");
    } else if ((node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) &&
               std::string_view(node.value()).size() > limits.max_text) {
      return Status(StatusCode::kResourceExhausted,
                    "text longer than " + std::to_string(limits.max_text) + " bytes in <" +
                        std::string(node.parent().name()).substr(0, 64) + ">",
                    "alert");
    }
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling())
      stack.push_back({c, depth + 1});
  }
  return Status::Ok();
}

}  // namespace

std::string_view LocalName(const char* name) {
  std::string_view n(name);
  size_t colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

std::vector<pugi::xml_node> Children(pugi::xml_node parent, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && LocalName(c.name()) == name) out.push_back(c);
  return out;
}

std::string Text(pugi::xml_node n) {
  std::string t = n.child_value();
  size_t a = t.find_first_not_of(" \t\r\n"), b = t.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : t.substr(a, b - a + 1);
}

std::string Indexed(const std::string& path, std::string_view name, size_t k) {
  return path + "." + std::string(name) + "[" + std::to_string(k) + "]";
}

Status LoadPartnerXml(std::string_view raw, const CapLimits& limits, pugi::xml_document& doc,
                      std::string* encoding) {
  if (raw.size() > limits.max_bytes)
    return Status(StatusCode::kResourceExhausted,
                  "document larger than " + std::to_string(limits.max_bytes) + " bytes", "alert");
  std::string declared = DeclaredEncoding(raw), xml;
  NCC_RETURN_IF_ERROR(ToUtf8(raw, declared, xml));
  if (encoding) *encoding = declared.empty() ? "UTF-8" : declared;
  if (xml.size() > limits.max_bytes + limits.max_bytes / 2)
    return Status(StatusCode::kResourceExhausted, "document too large once read as UTF-8", "alert");
  // parse_doctype keeps a DOCTYPE as a node so that it can be refused; pugixml never expands
  // entities beyond the five predefined ones and character references.
  auto parsed = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_doctype,
                                pugi::encoding_utf8);
  if (!parsed)
    return InvalidArgument("not well-formed XML at byte " + std::to_string(parsed.offset) + ": " +
                               parsed.description(),
                           "alert");
  for (pugi::xml_node n = doc.first_child(); n; n = n.next_sibling())
    if (n.type() == pugi::node_doctype)
      return InvalidArgument("a DOCTYPE is not accepted in a CAP document", "alert");
  NCC_RETURN_IF_ERROR(CheckReferences(xml));
  if (!doc.document_element()) return InvalidArgument("no root element", "alert");
  return CheckShape(doc, limits);
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string DeclaredEncoding(std::string_view xml) {
  if (xml.substr(0, 3) == "\xEF\xBB\xBF") xml.remove_prefix(3);  // a UTF-8 byte order mark
  if (xml.substr(0, 5) != "<?xml") return "";
  std::string_view decl = xml.substr(0, xml.find("?>"));
  size_t at = decl.find("encoding");
  if (at == std::string_view::npos) return "";
  at = decl.find_first_of("'\"", at);
  if (at == std::string_view::npos) return "";
  size_t close = decl.find(decl[at], at + 1);
  if (close == std::string_view::npos) return "";
  return Upper(decl.substr(at + 1, close - at - 1).substr(0, 40));
}

Status ToUtf8(std::string_view xml, const std::string& encoding, std::string& out) {
  if (encoding.empty() || encoding == "UTF-8" || encoding == "UTF8" || encoding == "US-ASCII" ||
      encoding == "ASCII") {
    size_t bad = FirstBadUtf8(xml);
    if (bad != std::string_view::npos)
      return InvalidArgument("byte " + std::to_string(bad) + " is not UTF-8 (declare the " +
                                 "alert's encoding, e.g. encoding=\"ISO-8859-1\")",
                             "alert");
    out.assign(xml);
    return Status::Ok();
  }
  bool latin1 = encoding == "ISO-8859-1" || encoding == "LATIN1" || encoding == "ISO_8859-1" ||
                encoding == "L1";
  bool cp1252 = encoding == "WINDOWS-1252" || encoding == "CP1252";
  if (!latin1 && !cp1252)
    return InvalidArgument(
        "encoding '" + encoding + "' is not accepted: send UTF-8, ISO-8859-1 or windows-1252",
        "alert");
  out.clear();
  out.reserve(xml.size() + xml.size() / 8);
  for (size_t i = 0; i < xml.size(); ++i) {
    auto b = static_cast<unsigned char>(xml[i]);
    uint32_t cp = b;
    if (cp1252 && b >= 0x80 && b < 0xA0) {
      cp = kCp1252High[b - 0x80];
      if (cp == 0)
        return InvalidArgument("byte " + std::to_string(i) + " is not a windows-1252 character",
                               "alert");
    }
    AppendUtf8(cp, out);
  }
  return Status::Ok();
}

// pugixml leaves a reference to an undefined entity ("&xxe;", once a DOCTYPE is removed) in
// the text as written; XML says such a document is not well-formed, so it is refused here.
Status CheckReferences(std::string_view xml) {
  auto skip = [&](size_t& i, std::string_view open, std::string_view close) {
    if (xml.compare(i, open.size(), open) != 0) return false;
    size_t end = xml.find(close, i + open.size());
    i = end == std::string_view::npos ? xml.size() : end + close.size() - 1;
    return true;
  };
  for (size_t i = 0; i < xml.size(); ++i) {
    if (skip(i, "<![CDATA[", "]]>") || skip(i, "<!--", "-->") || skip(i, "<?", "?>")) continue;
    if (xml[i] != '&') continue;
    size_t semi = xml.find(';', i);
    std::string_view name =
        semi == std::string_view::npos || semi - i > 12 ? "" : xml.substr(i + 1, semi - i - 1);
    if (!KnownReference(name))
      return InvalidArgument(
          "not well-formed XML at byte " + std::to_string(i) + ": '" +
              std::string(xml.substr(i, std::min<size_t>(12, xml.size() - i))) +
              "' is not a reference to a predefined entity or an allowed character",
          "alert");
  }
  return Status::Ok();
}

}  // namespace ncc::cap

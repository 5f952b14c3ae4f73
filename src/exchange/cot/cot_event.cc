#include "exchange/cot/cot_event.h"

#include "core/json_writer.h"

#include <pugixml.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace ncc::cot {
namespace {

size_t Utf8Length(std::string_view text, size_t i);
std::string EscapeText(std::string_view text, bool* lossy);
bool IsXmlText(std::string_view text);

constexpr size_t kMaxListed = 64;  // <link> and <marti><dest> elements kept

Status Bad(std::string field, std::string message) {
  return InvalidArgument(std::move(message), std::move(field));
}

// A whole attribute value as a finite double; strict (no spaces, no trailing text).
StatusOr<double> Number(const pugi::xml_node& node, const char* name, const std::string& field,
                        std::optional<double> fallback) {
  pugi::xml_attribute a = node.attribute(name);
  if (!a) {
    if (fallback) return *fallback;
    return Bad(field, field + " is missing");
  }
  std::string_view text = a.value();
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size())
    return Bad(field, field + " is not a number");
  if (!std::isfinite(v)) return Bad(field, field + " must be finite");
  return v;
}

StatusOr<std::string> Text(const pugi::xml_node& node, const char* name, const std::string& field,
                           bool required) {
  pugi::xml_attribute a = node.attribute(name);
  if (!a) {
    if (required) return Bad(field, field + " is missing");
    return std::string();
  }
  std::string_view v = a.value();
  if (v.size() > kMaxStringBytes)
    return Bad(field, field + " is longer than " + std::to_string(kMaxStringBytes) + " bytes");
  if (required && v.empty()) return Bad(field, field + " is empty");
  if (!IsXmlText(v))
    return Bad(field, field + " is not valid UTF-8 text (or holds control characters)");
  return std::string(v);
}

StatusOr<int64_t> TimeAttr(const pugi::xml_node& node, const char* name) {
  std::string field = std::string("event@") + name;
  pugi::xml_attribute a = node.attribute(name);
  if (!a) return Bad(field, field + " is missing");
  auto t = ParseTime(a.value());
  if (!t) return Bad(field, field + " is not an ISO 8601 UTC time (2020-02-08T18:10:46.207Z)");
  return *t;
}

bool ValidType(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  for (char c : t)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

#define NCC_ASSIGN(lhs, expr)               \
  do {                                      \
    auto ncc_v = (expr);                    \
    if (!ncc_v.ok()) return ncc_v.status(); \
    lhs = std::move(*ncc_v);                \
  } while (0)

void AppendNumber(std::string& out, double v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? p : buf);
}

void Attr(std::string& out, const char* name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  out += Escape(value);
  out += '"';
}

void NumAttr(std::string& out, const char* name, double v) {
  out += ' ';
  out += name;
  out += "=\"";
  AppendNumber(out, v);
  out += '"';
}

}  // namespace

std::optional<int64_t> ParseTime(std::string_view s) {
  // CoT's form of ISO-8601: the 'T' separator, a year from the epoch on, at most nanosecond
  // fractions; the rest (fields, ranges, zone) is the core reader's.
  if (s.size() < 20 || s[10] != 'T') return std::nullopt;
  int year = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + 4, year);
  if (ec != std::errc() || end != s.data() + 4 || year < 1970 || year > 9000) return std::nullopt;
  if (s[19] == '.') {
    size_t digits = s.find_first_not_of("0123456789", 20);
    if ((digits == std::string_view::npos ? s.size() : digits) - 20 > 9) return std::nullopt;
  }
  Time t;
  if (!ncc::ParseTime(s, t)) return std::nullopt;
  return t.ms;
}

std::string FormatTime(int64_t ms) {
  return ncc::FormatTime(Time{ms});
}

std::string Escape(std::string_view text) {
  return EscapeText(text, nullptr);
}

namespace {

// The length of the UTF-8 sequence at text[i] (lead byte >= 0x80) when it is well-formed and
// a character XML 1.0 allows (no surrogates, U+FFFE/U+FFFF or C1 controls), else 0.
size_t Utf8Length(std::string_view text, size_t i) {
  unsigned char c = static_cast<unsigned char>(text[i]);
  size_t n = c >= 0xf0 && c <= 0xf4   ? 4
             : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xc2 && c <= 0xdf ? 2
                                      : 0;
  if (n == 0 || i + n > text.size()) return 0;
  uint32_t cp = n == 4 ? c & 0x07 : n == 3 ? c & 0x0f : c & 0x1f;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(text[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  bool ok =
      (n == 2 && cp >= 0x80) ||
      (n == 3 && cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) && cp != 0xfffe && cp != 0xffff) ||
      (n == 4 && cp >= 0x10000 && cp <= 0x10ffff);
  return ok && !(cp >= 0x80 && cp <= 0x9f) ? n : 0;  // C1 controls: dropped like C0
}

// Escape, reporting whether anything was dropped or replaced (`lossy`).
std::string EscapeText(std::string_view text, bool* lossy) {
  bool lost = false;
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
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
          out += "&apos;";
          break;
        // Kept as references so that attribute-value normalisation does not turn them into
        // spaces on the reader's side.
        case '\t':
          out += "&#9;";
          break;
        case '\n':
          out += "&#10;";
          break;
        case '\r':
          out += "&#13;";
          break;
        default:
          if (c >= 0x20 && c != 0x7f)
            out += static_cast<char>(c);
          else
            lost = true;  // other controls dropped
      }
      continue;
    }
    // A UTF-8 sequence: copied when well-formed and allowed in XML 1.0, else U+FFFD.
    size_t n = Utf8Length(text, i);
    bool ok = n != 0;
    if (ok) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      lost = true;
      ++i;
    }
  }
  if (lossy) *lossy = lost;
  return out;
}

// Text the writer can carry unchanged: valid UTF-8 without control characters. (Escape would
// say the same, but this runs on every inbound string and allocates nothing.)
bool IsXmlText(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t n = Utf8Length(text, i);
      if (n == 0) return false;
      i += n;
      continue;
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
    ++i;
  }
  return true;
}

// GeoChat's room, the links, the <marti> destinations and the TakControl request.
Status ParseHubDetail(pugi::xml_node detail, CotEvent& e) {
  if (pugi::xml_node chat = detail.child("__chat")) {
    NCC_ASSIGN(e.chatroom, Text(chat, "chatroom", "__chat@chatroom", false));
    NCC_ASSIGN(e.chat_id, Text(chat, "id", "__chat@id", false));
    NCC_ASSIGN(e.chat_sender, Text(chat, "senderCallsign", "__chat@senderCallsign", false));
  }
  for (pugi::xml_node link : detail.children("link")) {
    if (e.links.size() >= kMaxListed) return Bad("link", "more than 64 <link> elements");
    std::string uid;
    NCC_ASSIGN(uid, Text(link, "uid", "link@uid", false));
    if (!uid.empty()) e.links.push_back(std::move(uid));
  }
  for (pugi::xml_node dest : detail.child("marti").children("dest")) {
    if (e.dest_uids.size() + e.dest_callsigns.size() >= kMaxListed)
      return Bad("marti", "more than 64 <dest> elements");
    std::string uid, callsign;
    NCC_ASSIGN(uid, Text(dest, "uid", "dest@uid", false));
    NCC_ASSIGN(callsign, Text(dest, "callsign", "dest@callsign", false));
    if (!uid.empty()) e.dest_uids.push_back(std::move(uid));
    if (!callsign.empty()) e.dest_callsigns.push_back(std::move(callsign));
  }
  if (pugi::xml_node request = detail.child("TakControl").child("TakRequest")) {
    double v;
    NCC_ASSIGN(v, Number(request, "version", "TakRequest@version", std::nullopt));
    if (v < 0 || v > 1e9 || v != static_cast<double>(static_cast<int64_t>(v)))
      return Bad("TakRequest@version", "TakRequest@version must be a whole number");
    e.tak_request = static_cast<int64_t>(v);
  }
  return Status();
}

}  // namespace

StatusOr<CotEvent> ParseEvent(std::string_view xml) {
  if (xml.size() > kMaxEventBytes)
    return Status(StatusCode::kResourceExhausted,
                  "event larger than " + std::to_string(kMaxEventBytes) + " bytes", "event");
  pugi::xml_document doc;
  // parse_doctype keeps a DOCTYPE as a node so that it can be refused; no entity of any kind
  // is expanded by pugixml beyond the five predefined ones and character references.
  unsigned flags = pugi::parse_default | pugi::parse_doctype | pugi::parse_declaration;
  pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size(), flags, pugi::encoding_utf8);
  if (!r)
    return Bad("xml",
               "not well-formed XML at byte " + std::to_string(r.offset) + ": " + r.description());
  pugi::xml_node root;
  for (pugi::xml_node n : doc.children()) {
    if (n.type() == pugi::node_doctype) return Bad("xml", "DOCTYPE is not allowed");
    if (n.type() != pugi::node_element) continue;
    if (root) return Bad("xml", "more than one root element");
    root = n;
  }
  if (!root) return Bad("xml", "no root element");
  if (std::strcmp(root.name(), "event") != 0)
    return Bad("event", std::string("root element is <") + root.name() + ">, expected <event>");

  CotEvent e;
  NCC_ASSIGN(e.uid, Text(root, "uid", "event@uid", true));
  NCC_ASSIGN(e.type, Text(root, "type", "event@type", true));
  if (!ValidType(e.type))
    return Bad("event@type", "event@type must be letters, digits and '-' (e.g. a-f-G-U-C)");
  NCC_ASSIGN(e.how, Text(root, "how", "event@how", false));
  NCC_ASSIGN(e.time_ms, TimeAttr(root, "time"));
  NCC_ASSIGN(e.start_ms, TimeAttr(root, "start"));
  NCC_ASSIGN(e.stale_ms, TimeAttr(root, "stale"));
  if (e.stale_ms < e.start_ms) return Bad("event@stale", "event@stale is before event@start");

  pugi::xml_node point = root.child("point");
  if (!point) return Bad("point", "<point> is missing");
  NCC_ASSIGN(e.point.lat, Number(point, "lat", "point@lat", std::nullopt));
  NCC_ASSIGN(e.point.lon, Number(point, "lon", "point@lon", std::nullopt));
  if (e.point.lat < -90 || e.point.lat > 90) return Bad("point@lat", "point@lat must be -90..90");
  if (e.point.lon < -180 || e.point.lon > 180)
    return Bad("point@lon", "point@lon must be -180..180");
  NCC_ASSIGN(e.point.hae, Number(point, "hae", "point@hae", kUnknown));
  NCC_ASSIGN(e.point.ce, Number(point, "ce", "point@ce", kUnknown));
  NCC_ASSIGN(e.point.le, Number(point, "le", "point@le", kUnknown));

  pugi::xml_node detail = root.child("detail");
  if (!detail) return e;
  if (pugi::xml_node contact = detail.child("contact"))
    NCC_ASSIGN(e.callsign, Text(contact, "callsign", "contact@callsign", false));
  if (pugi::xml_node track = detail.child("track")) {
    if (track.attribute("speed")) {
      double v;
      NCC_ASSIGN(v, Number(track, "speed", "track@speed", std::nullopt));
      e.speed = v;
    }
    if (track.attribute("course")) {
      double v;
      NCC_ASSIGN(v, Number(track, "course", "track@course", std::nullopt));
      e.course = v;
    }
  }
  if (pugi::xml_node group = detail.child("__group")) {
    NCC_ASSIGN(e.group_name, Text(group, "name", "__group@name", false));
    NCC_ASSIGN(e.group_role, Text(group, "role", "__group@role", false));
  }
  NCC_RETURN_IF_ERROR(ParseHubDetail(detail, e));
  if (pugi::xml_node remarks = detail.child("remarks")) {
    // Trimmed: the parser drops whitespace-only text, so edges would not round-trip.
    std::string_view text = remarks.child_value();
    while (!text.empty() && std::strchr(" \t\r\n", text.front())) text.remove_prefix(1);
    while (!text.empty() && std::strchr(" \t\r\n", text.back())) text.remove_suffix(1);
    if (!IsXmlText(text))
      return Bad("remarks", "remarks are not valid UTF-8 text (or hold control characters)");
    e.remarks = std::string(text);
  }
  return e;
}

std::string Write(const CotEvent& e) {
  std::string out;
  out.reserve(512 + e.remarks.size());
  out += "<event version=\"2.0\"";
  Attr(out, "uid", e.uid);
  Attr(out, "type", e.type);
  if (!e.how.empty()) Attr(out, "how", e.how);
  Attr(out, "time", FormatTime(e.time_ms));
  Attr(out, "start", FormatTime(e.start_ms));
  Attr(out, "stale", FormatTime(e.stale_ms));
  out += "><point";
  NumAttr(out, "lat", e.point.lat);
  NumAttr(out, "lon", e.point.lon);
  NumAttr(out, "hae", e.point.hae);
  NumAttr(out, "ce", e.point.ce);
  NumAttr(out, "le", e.point.le);
  out += "/><detail>";
  if (!e.callsign.empty()) {
    out += "<contact";
    Attr(out, "callsign", e.callsign);
    out += "/>";
  }
  if (!e.group_name.empty() || !e.group_role.empty()) {
    out += "<__group";
    Attr(out, "name", e.group_name);
    Attr(out, "role", e.group_role);
    out += "/>";
  }
  if (e.speed || e.course) {
    out += "<track";
    if (e.speed) NumAttr(out, "speed", *e.speed);
    if (e.course) NumAttr(out, "course", *e.course);
    out += "/>";
  }
  if (!e.chatroom.empty() || !e.chat_id.empty() || !e.chat_sender.empty()) {
    // As ATAK writes it: TAK clients (and node-cot) want the <chatgrp> of the room.
    out += "<__chat";
    Attr(out, "parent", "RootContactGroup");
    Attr(out, "groupOwner", "false");
    Attr(out, "chatroom", e.chatroom);
    Attr(out, "id", e.chat_id);
    Attr(out, "senderCallsign", e.chat_sender);
    out += "><chatgrp";
    Attr(out, "uid0", e.chat_sender);
    Attr(out, "uid1", e.chat_id);
    Attr(out, "id", e.chat_id);
    out += "/></__chat>";
  }
  for (const std::string& link : e.links) {
    out += "<link";
    Attr(out, "uid", link);
    out += "/>";
  }
  if (!e.remarks.empty()) {
    out += "<remarks>";
    out += Escape(e.remarks);
    out += "</remarks>";
  }
  out += "</detail></event>";
  return out;
}

}  // namespace ncc::cot

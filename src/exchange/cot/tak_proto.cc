#include "exchange/cot/tak_proto.h"

#include <pugixml.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "takmessage.pb.h"

namespace ncc::cot {
namespace {

namespace pb = atakmap::commoncommo::protobuf::v1;

constexpr size_t kMaxVarintBytes = 10;

Status Bad(std::string field, std::string message) {
  return InvalidArgument(std::move(message), std::move(field));
}

// An unsigned varint at the start of `bytes`: its value and length; length 0 when more bytes
// are needed; nullopt when it is longer than 10 bytes.
struct Varint {
  uint64_t value = 0;
  size_t length = 0;
};
std::optional<Varint> ReadVarint(std::string_view bytes) {
  Varint v;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == kMaxVarintBytes) return std::nullopt;
    auto b = static_cast<unsigned char>(bytes[i]);
    v.value |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      v.length = i + 1;
      return v;
    }
  }
  if (bytes.size() >= kMaxVarintBytes) return std::nullopt;
  return Varint{};
}

void AppendNumber(std::string& out, const char* name, double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  out += ' ';
  out += name;
  out += "=\"" + s.str() + '"';
}

void AppendText(std::string& out, const char* name, std::string_view v) {
  out += ' ';
  out += name;
  out += "=\"" + Escape(v) + '"';
}

StatusOr<std::string> FormatMs(uint64_t ms, const char* field) {
  // Up to the year 9999, as CoT's xs:dateTime can carry.
  if (ms > 253402300799999ULL) return Bad(field, std::string(field) + " is past the year 9999");
  return FormatTime(static_cast<int64_t>(ms));
}

Status CheckPoint(const pb::CotEvent& e) {
  const std::pair<const char*, double> values[] = {{"cotEvent.lat", e.lat()},
                                                   {"cotEvent.lon", e.lon()},
                                                   {"cotEvent.hae", e.hae()},
                                                   {"cotEvent.ce", e.ce()},
                                                   {"cotEvent.le", e.le()}};
  for (const auto& [field, v] : values)
    if (!std::isfinite(v)) return Bad(field, std::string(field) + " must be finite");
  return Status();
}

// xmlDetail parsed as the content of <detail> and written again (format_raw: as it came).
StatusOr<std::string> SafeDetail(const std::string& xml_detail) {
  if (xml_detail.empty()) return std::string();
  std::string wrapped = "<detail>" + xml_detail + "</detail>";
  pugi::xml_document doc;
  pugi::xml_parse_result r =
      doc.load_buffer(wrapped.data(), wrapped.size(), pugi::parse_default | pugi::parse_doctype,
                      pugi::encoding_utf8);
  if (!r)
    return Bad("xmlDetail", std::string("xmlDetail is not well-formed XML: ") + r.description());
  pugi::xml_node detail;
  for (pugi::xml_node n : doc.children()) {
    if (n.type() != pugi::node_element) return Bad("xmlDetail", "xmlDetail holds a DOCTYPE");
    detail = n;
  }
  std::ostringstream out;
  for (pugi::xml_node child : detail.children())
    child.print(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

std::string TypedDetail(const pb::Detail& d) {
  std::string out;
  if (d.has_contact()) {
    out += "<contact";
    if (!d.contact().endpoint().empty()) AppendText(out, "endpoint", d.contact().endpoint());
    AppendText(out, "callsign", d.contact().callsign());
    out += "/>";
  }
  if (d.has_group()) {
    out += "<__group";
    AppendText(out, "name", d.group().name());
    AppendText(out, "role", d.group().role());
    out += "/>";
  }
  if (d.has_track() && std::isfinite(d.track().speed()) && std::isfinite(d.track().course())) {
    out += "<track";
    AppendNumber(out, "speed", d.track().speed());
    AppendNumber(out, "course", d.track().course());
    out += "/>";
  }
  return out;
}

// Only the listed attributes and no children: the element converts whole to its message.
bool OnlyAttributes(pugi::xml_node node, std::initializer_list<const char*> allowed) {
  if (node.first_child()) return false;
  for (pugi::xml_attribute a : node.attributes()) {
    bool ok = false;
    for (const char* name : allowed) ok = ok || std::strcmp(a.name(), name) == 0;
    if (!ok) return false;
  }
  return true;
}

double NumberOr(pugi::xml_node node, const char* name, double fallback) {
  pugi::xml_attribute a = node.attribute(name);
  return a ? a.as_double(fallback) : fallback;
}

void DetailToMessage(pugi::xml_node detail, pb::Detail& d) {
  std::ostringstream rest;
  bool contact = false, group = false, track = false;
  for (pugi::xml_node child : detail.children()) {
    std::string_view name = child.name();
    if (name == "contact" && !contact && OnlyAttributes(child, {"callsign", "endpoint"})) {
      contact = true;
      d.mutable_contact()->set_callsign(child.attribute("callsign").value());
      d.mutable_contact()->set_endpoint(child.attribute("endpoint").value());
    } else if (name == "__group" && !group && OnlyAttributes(child, {"name", "role"})) {
      group = true;
      d.mutable_group()->set_name(child.attribute("name").value());
      d.mutable_group()->set_role(child.attribute("role").value());
    } else if (name == "track" && !track && OnlyAttributes(child, {"speed", "course"})) {
      track = true;
      d.mutable_track()->set_speed(NumberOr(child, "speed", 0));
      d.mutable_track()->set_course(NumberOr(child, "course", 0));
    } else {
      child.print(rest, "", pugi::format_raw, pugi::encoding_utf8);
    }
  }
  d.set_xmldetail(rest.str());
}

uint64_t Ms(pugi::xml_node event, const char* name) {
  auto t = ParseTime(event.attribute(name).value());
  return t && *t > 0 ? static_cast<uint64_t>(*t) : 0;
}

}  // namespace

void ProtoFramer::Append(std::string_view bytes) {
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(0, start_);
    start_ = 0;
  }
  buf_.append(bytes);
}

Status ProtoFramer::Fail(Status s) {
  error_ = s;
  buf_.clear();
  start_ = 0;
  return s;
}

StatusOr<std::optional<std::string>> ProtoFramer::Next() {
  if (!error_.ok()) return error_;
  std::string_view pending = std::string_view(buf_).substr(start_);
  if (pending.empty()) return std::optional<std::string>();
  if (static_cast<unsigned char>(pending[0]) != kTakMagic)
    return Fail(Bad("stream", "expected the TAK protocol magic byte 0xbf at stream byte " +
                                  std::to_string(consumed_)));
  auto length = ReadVarint(pending.substr(1));
  if (!length)
    return Fail(Bad("stream", "the length at stream byte " + std::to_string(consumed_) +
                                  " is longer than a 10-byte varint"));
  if (length->length == 0) return std::optional<std::string>();
  if (length->value > max_)
    return Fail(Status(StatusCode::kResourceExhausted,
                       "message at stream byte " + std::to_string(consumed_) + " is larger than " +
                           std::to_string(max_) + " bytes",
                       "stream"));
  size_t header = 1 + length->length;
  if (pending.size() - header < length->value) return std::optional<std::string>();
  std::string payload(pending.substr(header, length->value));
  start_ += header + length->value;
  consumed_ += header + length->value;
  return std::optional<std::string>(std::move(payload));
}

std::string FrameTakMessage(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 1 + kMaxVarintBytes);
  out += static_cast<char>(kTakMagic);
  uint64_t n = payload.size();
  do {
    unsigned char b = n & 0x7f;
    n >>= 7;
    if (n) b |= 0x80;
    out += static_cast<char>(b);
  } while (n);
  out.append(payload);
  return out;
}

StatusOr<std::optional<std::string>> TakMessageToXml(std::string_view payload) {
  pb::TakMessage m;
  if (payload.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !m.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
    return Bad("takmessage", "the payload is not a TAK protocol v1 TakMessage");
  if (!m.has_cotevent()) return std::optional<std::string>();
  const pb::CotEvent& e = m.cotevent();
  NCC_RETURN_IF_ERROR(CheckPoint(e));
  std::string time, start, stale;
  if (auto t = FormatMs(e.sendtime(), "cotEvent.sendTime"); t.ok())
    time = *t;
  else
    return t.status();
  if (auto t = FormatMs(e.starttime(), "cotEvent.startTime"); t.ok())
    start = *t;
  else
    return t.status();
  if (auto t = FormatMs(e.staletime(), "cotEvent.staleTime"); t.ok())
    stale = *t;
  else
    return t.status();
  std::string detail;
  if (e.has_detail()) {
    auto rest = SafeDetail(e.detail().xmldetail());
    if (!rest.ok()) return rest.status();
    detail = TypedDetail(e.detail()) + *rest;
  }
  std::string out = "<event version=\"2.0\"";
  AppendText(out, "uid", e.uid());
  AppendText(out, "type", e.type());
  if (!e.how().empty()) AppendText(out, "how", e.how());
  if (!e.access().empty()) AppendText(out, "access", e.access());
  if (!e.qos().empty()) AppendText(out, "qos", e.qos());
  if (!e.opex().empty()) AppendText(out, "opex", e.opex());
  AppendText(out, "time", time);
  AppendText(out, "start", start);
  AppendText(out, "stale", stale);
  out += "><point";
  AppendNumber(out, "lat", e.lat());
  AppendNumber(out, "lon", e.lon());
  AppendNumber(out, "hae", e.hae());
  AppendNumber(out, "ce", e.ce());
  AppendNumber(out, "le", e.le());
  out += "/><detail>" + detail + "</detail></event>";
  return std::optional<std::string>(std::move(out));
}

StatusOr<std::string> XmlToTakMessage(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_parse_result r =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) return Bad("xml", std::string("not well-formed XML: ") + r.description());
  pugi::xml_node event = doc.child("event");
  if (!event) return Bad("event", "no <event> element");
  pb::TakMessage m;
  pb::CotEvent& e = *m.mutable_cotevent();
  e.set_type(event.attribute("type").value());
  e.set_uid(event.attribute("uid").value());
  e.set_how(event.attribute("how").value());
  e.set_access(event.attribute("access").value());
  e.set_qos(event.attribute("qos").value());
  e.set_opex(event.attribute("opex").value());
  e.set_sendtime(Ms(event, "time"));
  e.set_starttime(Ms(event, "start"));
  e.set_staletime(Ms(event, "stale"));
  pugi::xml_node point = event.child("point");
  e.set_lat(NumberOr(point, "lat", 0));
  e.set_lon(NumberOr(point, "lon", 0));
  e.set_hae(NumberOr(point, "hae", kUnknown));
  e.set_ce(NumberOr(point, "ce", kUnknown));
  e.set_le(NumberOr(point, "le", kUnknown));
  if (pugi::xml_node detail = event.child("detail")) DetailToMessage(detail, *e.mutable_detail());
  return m.SerializeAsString();
}

}  // namespace ncc::cot

// TAK protocol version 1 on a streaming connection (docs/tak-hub.md, the TAK protocol
// description shipped with the .proto files): each message is
//   0xbf <payload length as an unsigned varint> <payload: one serialized TakMessage>
// and a TakMessage's CotEvent is the same event as the XML document, with <contact>,
// <__group> and <track> as typed fields and the rest of <detail> as XML text (xmlDetail).
//
// ncc keeps one representation, the XML document: a protobuf message is turned into the
// document ParseEvent reads (TakMessageToXml), and a document into the message a v1 client
// reads (XmlToTakMessage). The generated protobuf classes stay inside tak_proto.cc.
//
// Errors are kInvalidArgument naming the part ("stream", "takmessage", "cotEvent.lat",
// "xmlDetail"), or kResourceExhausted (field "stream") for a message above the limit.
// ProtoFramer: one per connection, not thread-safe; the functions are pure (any thread).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "exchange/cot/cot_event.h"

namespace ncc::cot {

inline constexpr unsigned char kTakMagic = 0xbf;

// Splits a v1 stream into payloads. Errors are sticky, as for Framer: a byte other than 0xbf
// where a message starts, a length varint longer than 10 bytes, or a length above the limit.
class ProtoFramer {
 public:
  explicit ProtoFramer(size_t max_payload_bytes = kMaxEventBytes) : max_(max_payload_bytes) {}

  void Append(std::string_view bytes);
  // The next whole payload, nullopt when more bytes are needed, or the stream's error.
  StatusOr<std::optional<std::string>> Next();
  uint64_t consumed() const { return consumed_; }

 private:
  Status Fail(Status s);

  const size_t max_;
  std::string buf_;
  size_t start_ = 0;
  uint64_t consumed_ = 0;
  Status error_;
};

// 0xbf, the varint length of `payload`, the payload.
std::string FrameTakMessage(std::string_view payload);

// The event of a TakMessage as an XML document ParseEvent reads; nullopt for a message that
// carries only TakControl (no cotEvent). xmlDetail must be well-formed XML content: it is
// parsed and written again, so nothing in it can close the <detail> or <event> around it.
StatusOr<std::optional<std::string>> TakMessageToXml(std::string_view payload);

// The TakMessage of an XML event document (as ParseEvent accepts it). <contact callsign
// endpoint>, <__group name role> and <track speed course> become typed fields when they carry
// only those attributes; every other child of <detail> goes to xmlDetail unchanged.
StatusOr<std::string> XmlToTakMessage(std::string_view xml);

}  // namespace ncc::cot

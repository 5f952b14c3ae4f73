// Splits a TAK "streaming protocol" byte stream (concatenated <event>...</event> documents,
// each optionally preceded by an <?xml ...?> prolog, whitespace between them) into whole event
// documents, with a hard limit on the size of one. It only finds boundaries: ParseEvent judges
// the content.
//
// Errors are sticky: once the stream cannot be framed (garbage between events, an event larger
// than the limit) every later call returns the same error and the connection must be closed.
// Documents returned before the error are whole and may be used.
//
// Not thread-safe: one framer per connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "exchange/cot/cot_event.h"

namespace ncc::cot {

class Framer {
 public:
  explicit Framer(size_t max_event_bytes = kMaxEventBytes) : max_(max_event_bytes) {}

  void Append(std::string_view bytes);

  // The next whole document, nullopt when more bytes are needed, or the stream's error:
  // kInvalidArgument (field "stream") for bytes that cannot start an event, kResourceExhausted
  // for an event larger than the limit.
  StatusOr<std::optional<std::string>> Next();

  // The bytes after the last document returned, handed over when the stream switches to TAK
  // protocol v1 (tak_proto.h); the framer is empty afterwards.
  std::string TakeRest();

  // Bytes of a started, unfinished document.
  size_t buffered() const { return buf_.size() - start_; }
  // Stream offset of the first unconsumed byte (for error messages).
  uint64_t consumed() const { return consumed_; }

 private:
  Status Fail(Status s) {
    error_ = s;
    buf_.clear();
    start_ = 0;
    return s;
  }
  void Consume(size_t n);

  const size_t max_;
  std::string buf_;
  size_t start_ = 0;  // buf_[0, start_) is consumed
  size_t scan_ = 0;   // where the search for the end tag resumes, counted from start_
  uint64_t consumed_ = 0;
  Status error_;
};

}  // namespace ncc::cot

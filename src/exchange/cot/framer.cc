#include "exchange/cot/framer.h"

namespace ncc::cot {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Whether `buf` starts with `prefix`, or with a part of it that more bytes could complete.
enum class Prefix { kNo, kMaybe, kYes };
Prefix StartsWith(std::string_view buf, std::string_view prefix) {
  size_t n = std::min(buf.size(), prefix.size());
  if (buf.substr(0, n) != prefix.substr(0, n)) return Prefix::kNo;
  return n == prefix.size() ? Prefix::kYes : Prefix::kMaybe;
}

}  // namespace

StatusOr<std::optional<std::string>> Framer::Next() {
  if (!error_.ok()) return error_;
  size_t skip = 0;
  while (skip < buf_.size() && IsSpace(buf_[skip])) ++skip;
  if (skip) {
    buf_.erase(0, skip);
    consumed_ += skip;
    scan_ = scan_ > skip ? scan_ - skip : 0;
  }
  if (buf_.empty()) return std::optional<std::string>();
  Prefix prolog = StartsWith(buf_, "<?xml");
  Prefix event = StartsWith(buf_, "<event");
  if (prolog == Prefix::kNo && event == Prefix::kNo)
    return Fail(InvalidArgument(
        "expected <event> or <?xml at stream byte " + std::to_string(consumed_), "stream"));
  // The document ends at the first "</event" followed by optional whitespace and '>'. An end
  // tag inside a comment or CDATA would cut the document short; ParseEvent then refuses it.
  static constexpr std::string_view kEnd = "</event";
  for (;;) {
    size_t at = buf_.find(kEnd, scan_);
    if (at == std::string::npos) {
      scan_ = buf_.size() >= kEnd.size() ? buf_.size() - kEnd.size() + 1 : 0;
      break;
    }
    size_t i = at + kEnd.size();
    while (i < buf_.size() && IsSpace(buf_[i])) ++i;
    if (i == buf_.size()) {  // "</event  " so far: wait for the rest
      scan_ = at;
      break;
    }
    if (buf_[i] != '>') {  // "</eventx": not our end tag
      scan_ = at + 1;
      continue;
    }
    size_t end = i + 1;
    if (end > max_) break;
    std::string doc = buf_.substr(0, end);
    buf_.erase(0, end);
    consumed_ += end;
    scan_ = 0;
    return std::optional<std::string>(std::move(doc));
  }
  if (buf_.size() > max_)
    return Fail(Status(StatusCode::kResourceExhausted,
                       "event at stream byte " + std::to_string(consumed_) + " is larger than " +
                           std::to_string(max_) + " bytes",
                       "stream"));
  return std::optional<std::string>();
}

}  // namespace ncc::cot

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

void Framer::Append(std::string_view bytes) {
  // Consumed documents are dropped lazily (not one memmove per document).
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(0, start_);
    start_ = 0;
  }
  buf_.append(bytes);
}

std::string Framer::TakeRest() {
  std::string rest = buf_.substr(start_);
  consumed_ += rest.size();
  buf_.clear();
  start_ = 0;
  scan_ = 0;
  return rest;
}

void Framer::Consume(size_t n) {
  start_ += n;
  consumed_ += n;
  scan_ = scan_ > n ? scan_ - n : 0;
}

StatusOr<std::optional<std::string>> Framer::Next() {
  if (!error_.ok()) return error_;
  std::string_view pending = std::string_view(buf_).substr(start_);
  size_t skip = 0;
  while (skip < pending.size() && IsSpace(pending[skip])) ++skip;
  Consume(skip);
  pending.remove_prefix(skip);
  if (pending.empty()) return std::optional<std::string>();
  Prefix prolog = StartsWith(pending, "<?xml");
  Prefix event = StartsWith(pending, "<event");
  if (prolog == Prefix::kNo && event == Prefix::kNo)
    return Fail(InvalidArgument(
        "expected <event> or <?xml at stream byte " + std::to_string(consumed_), "stream"));
  // The document ends at the first "</event" followed by optional whitespace and '>'. An end
  // tag inside a comment or CDATA would cut the document short; ParseEvent then refuses it.
  static constexpr std::string_view kEnd = "</event";
  for (;;) {
    size_t at = pending.find(kEnd, scan_);
    if (at == std::string::npos) {
      scan_ = pending.size() >= kEnd.size() ? pending.size() - kEnd.size() + 1 : 0;
      break;
    }
    size_t i = at + kEnd.size();
    while (i < pending.size() && IsSpace(pending[i])) ++i;
    if (i == pending.size()) {  // "</event  " so far: wait for the rest
      scan_ = at;
      break;
    }
    if (pending[i] != '>') {  // "</eventx": not our end tag
      scan_ = at + 1;
      continue;
    }
    size_t end = i + 1;
    if (end > max_) break;
    std::string doc(pending.substr(0, end));
    Consume(end);
    scan_ = 0;
    return std::optional<std::string>(std::move(doc));
  }
  if (pending.size() > max_)
    return Fail(Status(StatusCode::kResourceExhausted,
                       "event at stream byte " + std::to_string(consumed_) + " is larger than " +
                           std::to_string(max_) + " bytes",
                       "stream"));
  return std::optional<std::string>();
}

}  // namespace ncc::cot

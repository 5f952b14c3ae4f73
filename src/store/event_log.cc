#include "store/event_log.h"

#include <algorithm>

namespace ncc {

Status CheckContinues(Seq last, const std::vector<StoredEvent>& batch) {
  uint64_t expect = last.value + 1;
  for (const StoredEvent& e : batch) {
    if (e.seq.value != expect)
      return Internal("append out of order: got seq " + std::to_string(e.seq.value) +
                      ", expected " + std::to_string(expect));
    ++expect;
  }
  return Status::Ok();
}

Status MemoryEventLog::Append(const std::vector<StoredEvent>& batch) {
  MutexLock lock(mu_);
  Seq last(events_.size());
  NCC_RETURN_IF_ERROR(CheckContinues(last, batch));
  events_.insert(events_.end(), batch.begin(), batch.end());
  ++appends_;
  return Status::Ok();
}

StatusOr<std::vector<StoredEvent>> MemoryEventLog::ReadAfter(Seq after, size_t limit) const {
  MutexLock lock(mu_);
  std::vector<StoredEvent> out;
  for (size_t i = after.value; i < events_.size() && out.size() < limit; ++i)
    out.push_back(events_[i]);
  return out;
}

Seq MemoryEventLog::LastSeq() const {
  MutexLock lock(mu_);
  return events_.empty() ? Seq() : events_.back().seq;
}

uint64_t MemoryEventLog::Syncs() const {
  MutexLock lock(mu_);
  return appends_;
}

Status VerifyChain(const EventLog& log, void (*progress)(Seq, Seq)) {
  Hash prev{};
  Time prev_time{0};
  Seq expect(1);
  Seq last = log.LastSeq();
  constexpr size_t kChunk = 10000;
  while (true) {
    auto chunk = log.ReadAfter(Seq(expect.value - 1), kChunk);
    if (!chunk.ok()) return chunk.status();
    for (const StoredEvent& e : *chunk) {
      std::string at = "event " + std::to_string(e.seq.value) + ": ";
      if (e.seq != expect)
        return DataLoss("event " + std::to_string(expect.value) + ": missing (next stored is " +
                        std::to_string(e.seq.value) + ")");
      if (e.prev_hash != prev) return DataLoss(at + "previous-hash link broken");
      if (ChainHash(e) != e.hash) return DataLoss(at + "content does not match its hash");
      if (auto body = Decode(e); !body.ok()) return body.status();
      if (e.time < prev_time)
        return DataLoss(at + "time " + std::to_string(e.time.ms) +
                        " is before the previous event's " + std::to_string(prev_time.ms) +
                        " (the clock ran backwards)");
      prev = e.hash;
      prev_time = e.time;
      expect = Seq(expect.value + 1);
      if (progress && e.seq.value % 100000 == 0) progress(e.seq, last);
    }
    if (chunk->size() < kChunk) break;
  }
  if (Seq(expect.value - 1) != last)
    return DataLoss("log claims last seq " + std::to_string(last.value) + " but ends at " +
                    std::to_string(expect.value - 1));
  return Status::Ok();
}

}  // namespace ncc

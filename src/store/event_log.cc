#include "store/event_log.h"

#include <algorithm>
#include <thread>

namespace ncc {

StatusOr<Seq> EventLog::WaitForAppend(Seq after, std::chrono::milliseconds timeout) const {
  if (LastSeq() <= after) std::this_thread::sleep_for(timeout);
  return LastSeq();
}

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

Status CheckLink(const ChainPosition& at, const StoredEvent& e) {
  std::string seq = std::to_string(e.seq.value);
  if (e.seq.value != at.seq.value + 1)
    return DataLoss("event " + std::to_string(at.seq.value + 1) + ": missing (next stored is " +
                    seq + ")");
  if (e.prev_hash != at.head) return DataLoss("event " + seq + ": previous-hash link broken");
  if (ChainHash(e) != e.hash) return DataLoss("event " + seq + ": content does not match its hash");
  return Status::Ok();
}

Status WalkChain(const EventLog& log, ChainPosition& at, Seq until, const ChainVisitor& visit,
                 void (*progress)(Seq, Seq)) {
  constexpr uint64_t kChunk = 10000;
  const Seq last = log.LastSeq();
  while (!until || at.seq < until) {
    uint64_t want = until ? std::min(kChunk, until.value - at.seq.value) : kChunk;
    auto chunk = log.ReadAfter(at.seq, want);
    if (!chunk.ok()) return chunk.status();
    for (const StoredEvent& e : *chunk) {
      NCC_RETURN_IF_ERROR(CheckLink(at, e));
      if (visit) NCC_RETURN_IF_ERROR(visit(e));
      at = ChainPosition{e.seq, e.hash, e.time};
      if (progress && e.seq.value % 100000 == 0) progress(e.seq, last);
    }
    if (chunk->size() < want) break;
  }
  return Status::Ok();
}

Status VerifyChain(const EventLog& log, void (*progress)(Seq, Seq)) {
  ChainPosition at;
  NCC_RETURN_IF_ERROR(WalkChain(
      log, at, Seq(),
      [&at](const StoredEvent& e) -> Status {
        if (auto body = Decode(e); !body.ok()) return body.status();
        if (e.time < at.time)
          return DataLoss("event " + std::to_string(e.seq.value) + ": time " +
                          std::to_string(e.time.ms) + " is before the previous event's " +
                          std::to_string(at.time.ms) + " (the clock ran backwards)");
        return Status::Ok();
      },
      progress));
  if (Seq last = log.LastSeq(); at.seq != last)
    return DataLoss("log claims last seq " + std::to_string(last.value) + " but ends at " +
                    std::to_string(at.seq.value));
  return Status::Ok();
}

}  // namespace ncc

#include "store/jetstream/jetstream_event_log.h"

#include <nats/nats.h>

#include <charconv>
#include <chrono>
#include <thread>

#include "store/jetstream/batch_codec.h"
#include "store/jetstream/lease.h"

namespace ncc::jetstream {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kFirst = "Ncc-First-Seq";
constexpr const char* kLast = "Ncc-Last-Seq";
constexpr const char* kBatchFirst = "Ncc-Batch-First";
constexpr const char* kBatchLast = "Ncc-Batch-Last";
constexpr const char* kEpoch = "Ncc-Epoch";
constexpr const char* kNode = "Ncc-Node";
constexpr const char* kFence = "Ncc-Fence";
// Room left in a message for the headers above and the publish's own.
constexpr size_t kHeaderRoom = 4096;
// Batch boundaries remembered for ReadAfter; older ones are found again by search.
constexpr size_t kMaxBoundaries = 1 << 16;

std::string NatsError(natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  return std::string(natsStatus_GetText(s)) + (last && *last ? std::string(" (") + last + ")" : "");
}

bool ValidName(const std::string& s, bool allow_dot) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' &&
        !(allow_dot && c == '.'))
      return false;
  return true;
}

// A transport failure: the request may or may not have reached the server.
bool NoAnswer(natsStatus s) {
  return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS || s == NATS_CONNECTION_CLOSED ||
         s == NATS_CONNECTION_DISCONNECTED || s == NATS_STALE_CONNECTION || s == NATS_IO_ERROR;
}

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

void SetHeader(natsMsg* m, const char* key, uint64_t v) {
  natsMsgHeader_Set(m, key, std::to_string(v).c_str());
}

}  // namespace

JetStreamEventLog::JetStreamEventLog(std::string shard, std::string node, JetStreamOptions options)
    : shard_(std::move(shard)),
      node_(std::move(node)),
      stream_("NCC_" + shard_),
      subject_("ncc." + shard_ + ".events"),
      options_(options) {}

StatusOr<std::unique_ptr<JetStreamEventLog>> JetStreamEventLog::Open(
    const std::string& url, const std::string& shard, const std::string& node,
    const JetStreamOptions& options) {
  if (url.empty()) return InvalidArgument("no NATS server URL", "url");
  if (!ValidName(shard, false))
    return InvalidArgument("shard must be 1-64 letters, digits, '_' or '-': " + shard, "shard");
  if (!ValidName(node, true))
    return InvalidArgument("node must be 1-64 letters, digits, '_', '-' or '.': " + node, "node");
  if (options.replicas < 1 || options.replicas > 5)
    return InvalidArgument("replicas must be 1 to 5", "replicas");
  std::unique_ptr<JetStreamEventLog> log(new JetStreamEventLog(shard, node, options));
  NCC_RETURN_IF_ERROR(log->Connect(url));
  NCC_RETURN_IF_ERROR(log->EnsureStream());
  auto tail = log->ReadTail();
  if (!tail.ok()) return tail.status();
  log->stream_last_ = tail->stream_seq;
  log->last_seq_ = tail->last_seq;
  if (!options.writer) return log;
  auto lease = ShardLease::Acquire(log->js_, shard, node, options.lease_ttl_ms, options.replicas,
                                   options.lease_wait_ms, tail->epoch);
  if (lease.status().code() == StatusCode::kAlreadyExists)
    return Unavailable(lease.status().message());
  if (!lease.ok()) return lease.status();
  log->lease_ = std::move(*lease);
  log->epoch_ = log->lease_->epoch();
  NCC_RETURN_IF_ERROR(log->Fence());
  return log;
}

Status JetStreamEventLog::Connect(const std::string& url) {
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return Internal("nats: out of memory");
  // SetURL takes one server; a cluster's list goes through SetServers.
  std::vector<std::string> urls;
  for (size_t at = 0; at <= url.size();) {
    size_t comma = std::min(url.find(',', at), url.size());
    if (comma > at) urls.push_back(url.substr(at, comma - at));
    at = comma + 1;
  }
  std::vector<const char*> servers;
  for (const auto& u : urls) servers.push_back(u.c_str());
  natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  natsOptions_SetName(opts, ("ncc " + node_).c_str());
  natsOptions_SetTimeout(opts, options_.request_timeout_ms);
  natsOptions_SetMaxReconnect(opts, -1);
  natsOptions_SetReconnectWait(opts, 100);
  natsStatus s = natsConnection_Connect(&nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return Unavailable("cannot connect to NATS at " + url + ": " + NatsError(s));
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options_.request_timeout_ms;
  if ((s = natsConnection_JetStream(&js_, nc_, &jo)) != NATS_OK)
    return Unavailable("JetStream at " + url + ": " + NatsError(s));
  const auto payload = static_cast<size_t>(natsConnection_GetMaxPayload(nc_));
  max_body_ = payload > 2 * kHeaderRoom ? payload - kHeaderRoom : payload / 2;
  if (options_.max_message_bytes) max_body_ = std::min(max_body_, options_.max_message_bytes);
  return Status::Ok();
}

Status JetStreamEventLog::EnsureStream() {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js_, stream_.c_str(), nullptr, &jerr);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return Status::Ok();
  }
  if (s != NATS_NOT_FOUND) return Unavailable("stream " + stream_ + ": " + NatsError(s));
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subjects[] = {subject_.c_str()};
  cfg.Name = stream_.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = options_.replicas;
  cfg.DenyDelete = true;
  cfg.DenyPurge = true;
  s = js_AddStream(&si, js_, &cfg, nullptr, &jerr);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return Status::Ok();
  }
  if (jerr == JSStreamNameExistErr) return Status::Ok();  // another node made it just now
  return Unavailable("create stream " + stream_ + ": " + NatsError(s));
}

StatusOr<JetStreamEventLog::MsgInfo> JetStreamEventLog::GetInfo(uint64_t stream_seq,
                                                                std::string* body) const {
  natsMsg* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetMsg(&raw, js_, stream_.c_str(), stream_seq, nullptr, &jerr);
  MsgPtr msg(raw);
  if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
    return NotFound("stream " + stream_ + " has no message " + std::to_string(stream_seq));
  if (s != NATS_OK)
    return Unavailable("read stream " + stream_ + " at " + std::to_string(stream_seq) + ": " +
                       NatsError(s));
  const std::string where = "stream " + stream_ + " message " + std::to_string(stream_seq);
  auto number = [&](const char* key, uint64_t& out) -> Status {
    const char* v = nullptr;
    if (natsMsgHeader_Get(msg.get(), key, &v) != NATS_OK || !v)
      return DataLoss(where + ": no " + key + " header");
    std::string_view sv(v);
    auto [end, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), out);
    if (ec != std::errc() || end != sv.data() + sv.size())
      return DataLoss(where + ": " + key + " is not a number");
    return Status::Ok();
  };
  MsgInfo info;
  info.stream_seq = stream_seq;
  const char* v = nullptr;
  info.fence = natsMsgHeader_Get(msg.get(), kFence, &v) == NATS_OK;
  if (natsMsgHeader_Get(msg.get(), kNode, &v) == NATS_OK && v) info.node = v;
  NCC_RETURN_IF_ERROR(number(kEpoch, info.epoch));
  NCC_RETURN_IF_ERROR(number(kLast, info.last));
  if (info.fence) {
    info.first = info.batch_first = info.last + 1;
    info.batch_last = info.last;
    return info;
  }
  NCC_RETURN_IF_ERROR(number(kFirst, info.first));
  NCC_RETURN_IF_ERROR(number(kBatchFirst, info.batch_first));
  NCC_RETURN_IF_ERROR(number(kBatchLast, info.batch_last));
  if (info.first > info.last || info.batch_first > info.first || info.last > info.batch_last)
    return DataLoss(where + ": its seq headers do not nest");
  if (body)
    body->assign(natsMsg_GetData(msg.get()), static_cast<size_t>(natsMsg_GetDataLength(msg.get())));
  return info;
}

StatusOr<JetStreamEventLog::Tail> JetStreamEventLog::ReadTail() const {
  jsStreamInfo* si = nullptr;
  natsStatus s = js_GetStreamInfo(&si, js_, stream_.c_str(), nullptr, nullptr);
  if (s != NATS_OK) return Unavailable("stream " + stream_ + ": " + NatsError(s));
  const uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  Tail tail;
  tail.stream_seq = last;
  // Back from the end to the last finished batch (or fence): an unfinished batch is not there.
  for (uint64_t at = last; at >= first && at > 0; --at) {
    auto info = GetInfo(at, nullptr);
    if (!info.ok()) return info.status();
    tail.epoch = std::max(tail.epoch, info->epoch);
    if (info->fence || info->Finishes()) {
      tail.last_seq = info->last;
      break;
    }
  }
  return tail;
}

Status JetStreamEventLog::Fence() {
  // A stale writer may still land a batch between the tail read and the fence: read again.
  for (int attempt = 0; attempt < 10; ++attempt) {
    NCC_RETURN_IF_ERROR(lease_->Check());
    auto tail = ReadTail();
    if (!tail.ok()) return tail.status();
    if (tail->epoch >= epoch_)
      return Deposed("the stream holds epoch " + std::to_string(tail->epoch) + " already");
    stream_last_ = tail->stream_seq;
    last_seq_ = tail->last_seq;
    Status s = PublishFence();
    if (s.ok() || s.code() != StatusCode::kFailedPrecondition || broken_) return s;
  }
  return Unavailable("stream " + stream_ + " kept moving while fencing it at epoch " +
                     std::to_string(epoch_));
}

// The fence of epoch_, expected right after stream_last_.
Status JetStreamEventLog::PublishFence() {
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, subject_.c_str(), nullptr, nullptr, 0) != NATS_OK)
    return Internal("nats: out of memory");
  MsgPtr msg(raw);
  natsMsgHeader_Set(raw, kFence, "1");
  natsMsgHeader_Set(raw, kNode, node_.c_str());
  SetHeader(raw, kEpoch, epoch_);
  SetHeader(raw, kLast, last_seq_.load());
  NCC_RETURN_IF_ERROR(Publish(raw, last_seq_.load() + 1));
  Remember(last_seq_.load(), stream_last_ + 1);
  return Status::Ok();
}

// Before an append: the lease holds, or it lapsed (no renewal got through in time, e.g. while
// the bucket's own stream elected a leader after a node died) and nobody else took it. Then the
// lease is taken again, with a new epoch, and a fence that expects this writer's own last
// message proves that nobody wrote in between; otherwise the writer is deposed.
Status JetStreamEventLog::EnsureLease() {
  if (ignore_lease_) return Status::Ok();
  Status held = lease_->Check();
  if (held.ok()) return held;
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.append_timeout_ms);
  while (true) {
    auto lease = ShardLease::Acquire(js_, shard_, node_, options_.lease_ttl_ms, options_.replicas,
                                     /*wait_ms=*/1000, epoch_, /*own_epoch=*/epoch_);
    if (lease.ok()) {
      lease_ = std::move(*lease);
      epoch_ = lease_->epoch();
      return PublishFence();
    }
    if (lease.status().code() == StatusCode::kAlreadyExists)
      return Deposed(held.message() + ", and " + lease.status().message());
    if (Clock::now() >= deadline) return Deposed(held.message() + ": " + lease.status().message());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Status JetStreamEventLog::Deposed(const std::string& why) const {
  return FailedPrecondition("deposed: " + node_ + " at epoch " + std::to_string(epoch_) +
                            " may no longer write shard " + shard_ + ": " + why +
                            "; the lease says " + (lease_ ? lease_->Holder() : "nothing") +
                            ". Nothing of this batch was stored");
}

// One message, expected to follow stream_last_; retried across a leader election until
// append_timeout_ms. A retry whose first try was stored finds its own message there.
Status JetStreamEventLog::Publish(natsMsg* msg, uint64_t first_seq) {
  const std::string msg_id = stream_ + ":" + std::to_string(epoch_) + ":" +
                             std::to_string(first_seq) + ":" + std::to_string(stream_last_);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = options_.request_timeout_ms;
  po.MsgId = msg_id.c_str();
  // Set by hand: cnats leaves the header out for 0, and "the stream is empty" must be checked
  // too (two new writers racing for the first message).
  SetHeader(msg, "Nats-Expected-Last-Sequence", stream_last_);
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.append_timeout_ms);
  while (true) {
    jsPubAck* ack = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_PublishMsg(&ack, js_, msg, &po, &jerr);
    if (s == NATS_OK) {
      const uint64_t seq = ack->Sequence;
      jsPubAck_Destroy(ack);
      if (seq != stream_last_ + 1) {
        broken_ = true;
        return Internal("stream " + stream_ + " acknowledged seq " + std::to_string(seq) +
                        ", expected " + std::to_string(stream_last_ + 1));
      }
      stream_last_ = seq;
      ++acks_;
      return Status::Ok();
    }
    if (jerr == JSStreamWrongLastSequenceErr) {
      auto there = GetInfo(stream_last_ + 1, nullptr);
      if (there.ok() && there->epoch == epoch_ && there->node == node_ &&
          there->first == first_seq) {  // an earlier try of ours, its ack lost
        ++stream_last_;
        ++acks_;
        return Status::Ok();
      }
      return Deposed(
          "stream " + stream_ + " moved past seq " + std::to_string(stream_last_) +
          (there.ok() ? " (epoch " + std::to_string(there->epoch) + ", node " + there->node + ")"
                      : ""));
    }
    // Refused for space: nothing of this message is stored, and parts before it of the same
    // batch are an unfinished batch that readers skip, so the log is as it was.
    if (jerr == JSStorageResourcesExceededErr || jerr == JSInsufficientResourcesErr ||
        jerr == JSAccountResourcesExceededErr)
      return InsufficientStorage("stream " + stream_ + " refused seq " + std::to_string(first_seq) +
                                 " for space: " + NatsError(s));
    if (jerr == JSStreamMessageExceedsMaximumErr)
      return ResourceExhausted("a message of " + std::to_string(natsMsg_GetDataLength(msg)) +
                               " bytes is over stream " + stream_ + "'s limit");
    if (!NoAnswer(s) || Clock::now() >= deadline) {
      broken_ = true;
      return Unavailable("append to stream " + stream_ + " at seq " + std::to_string(first_seq) +
                         ": " + NatsError(s) + " (outcome unknown; reopen the log)");
    }
    // No check of the lease here: if another writer takes over meanwhile, its fence makes
    // this message fail the expected-last-sequence check, which is the safety that counts.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Status JetStreamEventLog::PublishPart(std::span<const StoredEvent> part, uint64_t batch_first,
                                      uint64_t batch_last) {
  const std::string body = EncodeBatch(part);
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, subject_.c_str(), nullptr, body.data(), static_cast<int>(body.size())) !=
      NATS_OK)
    return Internal("nats: out of memory");
  MsgPtr msg(raw);
  SetHeader(raw, kFirst, part.front().seq.value);
  SetHeader(raw, kLast, part.back().seq.value);
  SetHeader(raw, kBatchFirst, batch_first);
  SetHeader(raw, kBatchLast, batch_last);
  SetHeader(raw, kEpoch, epoch_);
  natsMsgHeader_Set(raw, kNode, node_.c_str());
  return Publish(raw, part.front().seq.value);
}

Status JetStreamEventLog::Append(const std::vector<StoredEvent>& batch) {
  if (!options_.writer)
    return FailedPrecondition("event log on stream " + stream_ + " is open as a follower");
  if (broken_)
    return FailedPrecondition("event log on stream " + stream_ +
                              " is in an unknown state after a failed append; reopen it");
  if (batch.empty()) return Status::Ok();
  NCC_RETURN_IF_ERROR(CheckContinues(LastSeq(), batch));
  NCC_RETURN_IF_ERROR(EnsureLease());
  // Parts of at most max_body_ bytes, cut between events.
  std::vector<std::span<const StoredEvent>> parts;
  size_t begin = 0, bytes = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const size_t n = EncodedSize(batch[i]);
    if (n + 16 > max_body_)
      return ResourceExhausted("event " + std::to_string(batch[i].seq.value) + " is " +
                               std::to_string(n) + " bytes; a message of stream " + stream_ +
                               " holds at most " + std::to_string(max_body_));
    if (bytes + n + 16 > max_body_ && i > begin) {
      parts.emplace_back(batch.data() + begin, i - begin);
      begin = i;
      bytes = 0;
    }
    bytes += n;
  }
  parts.emplace_back(batch.data() + begin, batch.size() - begin);
  const uint64_t first = batch.front().seq.value, last = batch.back().seq.value;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (options_.stop_after_parts_for_test && i == options_.stop_after_parts_for_test) {
      broken_ = true;
      return Unavailable("test: the writer stopped after " + std::to_string(i) + " parts");
    }
    NCC_RETURN_IF_ERROR(PublishPart(parts[i], first, last));
  }
  last_seq_ = last;
  Remember(last, stream_last_ + 1);
  return Status::Ok();
}

Seq JetStreamEventLog::LastSeq() const {
  if (!options_.writer) {
    if (auto tail = ReadTail(); tail.ok()) last_seq_ = tail->last_seq;
  }
  return Seq(last_seq_.load());
}

void JetStreamEventLog::Remember(uint64_t after, uint64_t stream_seq) const {
  MutexLock lock(index_mu_);
  boundaries_[after] = stream_seq;
  if (boundaries_.size() > kMaxBoundaries) boundaries_.erase(boundaries_.begin());
}

// The stream seq to read from for the events after `after`: the first part of the batch that
// holds after + 1 (or the message after the log's end).
StatusOr<uint64_t> JetStreamEventLog::FindStart(uint64_t after) const {
  {
    MutexLock lock(index_mu_);
    if (auto it = boundaries_.find(after); it != boundaries_.end()) return it->second;
  }
  jsStreamInfo* si = nullptr;
  natsStatus s = js_GetStreamInfo(&si, js_, stream_.c_str(), nullptr, nullptr);
  if (s != NATS_OK) return Unavailable("stream " + stream_ + ": " + NatsError(s));
  uint64_t lo = si->State.FirstSeq, hi = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  if (hi == 0) return uint64_t{1};
  auto key = [this](uint64_t at) -> StatusOr<uint64_t> {
    auto info = GetInfo(at, nullptr);
    if (!info.ok()) return info.status();
    return info->Key();
  };
  // The last message whose batch starts at or before after + 1 ...
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    auto k = key(mid);
    if (!k.ok()) return k.status();
    if (*k <= after + 1)
      lo = mid;
    else
      hi = mid - 1;
  }
  // ... and back to that batch's first message (a batch in parts, or a fence before it).
  auto k = key(lo);
  if (!k.ok()) return k.status();
  while (lo > 1) {
    auto before = key(lo - 1);
    if (before.status().code() == StatusCode::kNotFound) break;
    if (!before.ok()) return before.status();
    if (*before != *k) break;
    --lo;
  }
  return lo;
}

StatusOr<std::vector<StoredEvent>> JetStreamEventLog::ReadAfter(Seq after, size_t limit) const {
  std::vector<StoredEvent> out;
  if (limit == 0 || (options_.writer && after.value >= last_seq_.load())) return out;
  auto start = FindStart(after.value);
  if (!start.ok()) return start.status();
  std::vector<StoredEvent> pending;  // the parts of the batch being read
  uint64_t batch_start = *start;     // stream seq of its first part
  for (uint64_t at = *start; out.size() < limit; ++at) {
    std::string body;
    auto info = GetInfo(at, &body);
    if (info.status().code() == StatusCode::kNotFound) break;  // the end of the stream
    if (!info.ok()) return info.status();
    const std::string where = "stream " + stream_ + " message " + std::to_string(at);
    if (info->fence || info->first == info->batch_first) {
      pending.clear();  // what came before and did not finish is not in the log
      batch_start = at;
      if (info->fence) continue;
    } else if (pending.empty() || pending.back().seq.value + 1 != info->first) {
      return DataLoss(where + ": a part of batch " + std::to_string(info->batch_first) +
                      " without the part before it");
    }
    auto events = DecodeBatch(body);
    if (!events.ok()) return DataLoss(where + ": " + events.status().message());
    if (events->size() != info->last - info->first + 1 ||
        events->front().seq.value != info->first || events->back().seq.value != info->last)
      return DataLoss(where + ": its events are not the seqs its headers say");
    pending.insert(pending.end(), std::make_move_iterator(events->begin()),
                   std::make_move_iterator(events->end()));
    if (!info->Finishes()) continue;
    for (StoredEvent& e : pending) {
      if (e.seq <= after) continue;
      if (out.size() == limit) break;
      out.push_back(std::move(e));
    }
    // Where a later read continues: after the batch, or inside it when the page ended there.
    if (!out.empty() && out.back().seq.value == info->last)
      Remember(info->last, at + 1);
    else if (!out.empty())
      Remember(out.back().seq.value, batch_start);
    pending.clear();
  }
  return out;
}

StatusOr<std::string> JetStreamEventLog::StreamLeader() const {
  jsStreamInfo* si = nullptr;
  natsStatus s = js_GetStreamInfo(&si, js_, stream_.c_str(), nullptr, nullptr);
  if (s != NATS_OK) return Unavailable("stream " + stream_ + ": " + NatsError(s));
  std::string leader = si->Cluster && si->Cluster->Leader ? si->Cluster->Leader : "";
  jsStreamInfo_Destroy(si);
  if (leader.empty()) return Unavailable("stream " + stream_ + " has no leader now");
  return leader;
}

void JetStreamEventLog::StopRenewingLeaseForTest() {
  if (lease_) lease_->StopRenewing();
}

JetStreamEventLog::~JetStreamEventLog() {
  lease_.reset();
  jsCtx_Destroy(js_);
  natsConnection_Destroy(nc_);
}

}  // namespace ncc::jetstream

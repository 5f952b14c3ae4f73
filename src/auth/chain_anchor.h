// Anchors for the event log's hash chain. The chain alone detects an edit, but not someone who
// rewrites the log and recomputes every hash after the edit. So every so often we record
// (seq, chain head, time) in a separate append-only file, anchors.log, each line signed with an
// Ed25519 key (anchor.key, 0600, in the data dir) and chained to the line before by including
// its signature. A rewritten log then disagrees with a signed anchor; forging anchors needs the
// key. Keep anchor.pub (and ideally copies of anchors.log) off the machine.
//
// Line format v1 (text, one per anchor):
//   A1 <seq> <time_ms> <head hex, 64> <signature hex, 128>\n
// signature = Ed25519 over "ncc-anchor-v1\n<seq>\n<time_ms>\n<head hex>\n<previous signature
// hex, empty for the first line>".
//
// ChainAnchor is called by the single event-log writer thread; its mutex makes other callers
// safe too. VerifyAnchors is a pure function of its inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <openssl/types.h>

#include "auth/clock.h"
#include "core/events.h"
#include "core/status.h"
#include "core/thread_annotations.h"

namespace ncc::auth {

struct AnchorPolicy {
  uint64_t every_events = 1000;  // anchor at least every this many events
  int64_t every_ms = 60'000;     // ...and at least this often while events arrive
};

class ChainAnchor {
 public:
  // Loads <dir>/anchor.key or creates it (0600) with a fresh key, writes <dir>/anchor.pub (hex
  // of the raw public key), and opens <dir>/anchors.log for appending, dropping a torn last
  // line left by a crash. kFailedPrecondition if anchor.key is readable by group or others.
  static StatusOr<std::unique_ptr<ChainAnchor>> Open(const std::string& dir, const Clock& clock,
                                                     AnchorPolicy policy = {});
  ~ChainAnchor();
  ChainAnchor(const ChainAnchor&) = delete;
  ChainAnchor& operator=(const ChainAnchor&) = delete;

  // Appends and fsyncs one signed anchor. kInvalidArgument unless seq is past the last anchor.
  Status Record(Seq seq, const Hash& head) EXCLUDES(mu_);
  // Call after each durable append: records an anchor when one is due by the policy.
  // Returns whether it recorded.
  StatusOr<bool> MaybeRecord(Seq seq, const Hash& head) EXCLUDES(mu_);

  std::string PublicKeyHex() const;
  Seq last_seq() const EXCLUDES(mu_);

 private:
  ChainAnchor(EVP_PKEY* key, int fd, const Clock& clock, AnchorPolicy policy);

  EVP_PKEY* key_;
  int fd_;
  const Clock& clock_;
  const AnchorPolicy policy_;
  mutable Mutex mu_;
  Seq last_seq_ GUARDED_BY(mu_);
  int64_t last_ms_ GUARDED_BY(mu_) = 0;
  std::string last_sig_hex_ GUARDED_BY(mu_);
};

struct AnchorReport {
  int anchors = 0;
  Seq last_seq;
  Time last_time;
};

// Checks every anchor in `anchors_path`: its signature under `public_key_hex` (64 hex chars),
// its link to the line before, increasing seqs, and that `hash_at(seq)` — the event log's
// stored hash at that seq — equals the anchored head. kDataLoss naming the first failure:
// "anchor line N: bad signature", "event log differs from anchor at seq S", "event log ends
// before anchor at seq S" (hash_at returned kNotFound), ... A torn last line is ignored.
StatusOr<AnchorReport> VerifyAnchors(const std::string& anchors_path,
                                     const std::string& public_key_hex,
                                     const std::function<StatusOr<Hash>(Seq)>& hash_at);

}  // namespace ncc::auth

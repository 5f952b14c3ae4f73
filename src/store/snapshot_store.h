// Snapshots of the World, so start-up is "latest snapshot + log tail" rather than a full replay.
// One file per snapshot, `snapshot-<seq>.bin`, written to a temporary name, synced, then
// renamed, so a crash mid-write never leaves a half snapshot under a real name.
// Format (docs/formats/snapshot.md): magic "NCCSNAP1", u64 seq, 32-byte chain head hash,
// u64 payload length, payload (World::Serialize), 32-byte SHA-256 of everything before it.
//
// Threads: Write may run on a background thread; Load runs at start-up; LoadAtOrBefore and
// Seqs from any thread (the picture at a past moment).
#pragma once

#include <string>
#include <vector>

#include "core/world.h"

namespace ncc {

struct Snapshot {
  Seq seq;
  Hash head{};        // hash of event `seq`, to check the log still agrees with the snapshot
  std::string world;  // World::Serialize()
};

class SnapshotStore {
 public:
  explicit SnapshotStore(std::string dir) : dir_(std::move(dir)) {}

  Status Write(const Snapshot& snapshot, int keep = 2);
  // Removes the "*.tmp" files a write interrupted by a crash or a full disk left behind; start-up
  // calls it before loading. Returns how many were removed.
  size_t RemoveLeftovers() const;
  // The newest snapshot that passes its checksum; `skipped` collects why others were passed over.
  // Returns a Snapshot with seq 0 when there is none.
  StatusOr<Snapshot> LoadLatest(std::vector<std::string>* skipped = nullptr) const;
  // The same among the snapshots at or before `at` (the picture at a past moment, which reads
  // the store while the engine writes it: a file removed meanwhile is passed over).
  StatusOr<Snapshot> LoadAtOrBefore(Seq at, std::vector<std::string>* skipped = nullptr) const;
  // The seqs of the snapshot files present, newest first (their checksums not yet checked).
  std::vector<Seq> Seqs() const;

 private:
  std::vector<std::pair<uint64_t, std::string>> List() const;
  std::string dir_;
};

StatusOr<Snapshot> ParseSnapshot(std::string_view bytes);

}  // namespace ncc

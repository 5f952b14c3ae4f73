// The principals of recently presented credentials, so that a request with a known token costs
// a hash and a map lookup instead of two SQLite queries. Keyed by the SHA-256 of the token or
// key (the secret itself is never kept) and by what it was presented as, so an access token
// sent as an API key is still looked up as one.
//
// Correctness rests on the caller (TokenService):
//   - every entry keeps the credential's expiry, checked on every hit against the caller's now;
//   - every entry belongs to a generation (AuthDb::generation()): any change to who a credential
//     names (logout, revocation, disabling, a role change, a write by another process seen
//     through PRAGMA data_version) bumps it, and an entry of an older generation is never
//     returned. The caller reads the generation *before* it reads auth.db and passes that to
//     Insert, so a lookup that raced with a revocation cannot store what it read before it.
//   - only successes are cached: a bogus token costs a query every time and takes no room.
// Bounded: at most `capacity` entries; a full shard drops an arbitrary entry to make room.
// Sharded by the digest (uniformly random), one mutex per shard. Thread-safe: any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

#include "auth/authorize.h"
#include "auth/secret.h"
#include "core/thread_annotations.h"

namespace ncc::auth {

class PrincipalCache {
 public:
  enum class Kind : uint8_t { kAccessToken = 1, kApiKey = 2, kGatewayName = 3 };
  static constexpr int64_t kNeverExpires = INT64_MAX;

  // capacity 0 caches nothing.
  explicit PrincipalCache(size_t capacity = 100'000);

  // The principal stored for (kind, digest) in `generation`, if it expires after `now_ms`.
  // A shard still holding an older generation is emptied first.
  std::optional<Principal> Find(Kind kind, const Digest& digest, int64_t now_ms,
                                uint64_t generation);
  // Stores `who` unless the shard has already moved past `generation` (read before the
  // database was), in which case what was read may be stale and is dropped.
  void Insert(Kind kind, const Digest& digest, const Principal& who, int64_t expires_ms,
              uint64_t generation);

  size_t size() const;  // entries held, including any of older generations not yet dropped

 private:
  static constexpr size_t kShards = 16;
  using Key = std::array<uint8_t, 33>;  // kind, digest
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Entry {
    Principal principal;
    int64_t expires_ms;
  };
  struct Shard {
    mutable Mutex mu;
    uint64_t generation GUARDED_BY(mu) = 0;
    std::unordered_map<Key, Entry, KeyHash> entries GUARDED_BY(mu);
  };
  static Key MakeKey(Kind kind, const Digest& digest);
  Shard& ShardOf(const Digest& digest) { return shards_[digest[31] % kShards]; }

  size_t per_shard_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace ncc::auth

#include "auth/principal_cache.h"

#include <cstring>

namespace ncc::auth {

size_t PrincipalCache::KeyHash::operator()(const Key& k) const {
  // The digest is SHA-256: any 8 of its bytes are already uniformly spread.
  uint64_t h;
  std::memcpy(&h, k.data() + 1, sizeof h);
  return static_cast<size_t>(h ^ k[0]);
}

PrincipalCache::PrincipalCache(size_t capacity)
    : per_shard_((capacity + kShards - 1) / kShards), shards_(new Shard[kShards]) {}

PrincipalCache::Key PrincipalCache::MakeKey(Kind kind, const Digest& digest) {
  Key k;
  k[0] = static_cast<uint8_t>(kind);
  std::memcpy(k.data() + 1, digest.data(), digest.size());
  return k;
}

std::optional<Principal> PrincipalCache::Find(Kind kind, const Digest& digest, int64_t now_ms,
                                              uint64_t generation) {
  if (per_shard_ == 0) return std::nullopt;
  Shard& s = ShardOf(digest);
  MutexLock lock(s.mu);
  if (s.generation != generation) {
    // Older: everything in it may name what is no longer so. Newer: the caller read the
    // generation before someone bumped it, so it must not trust what it would find either.
    if (s.generation < generation) {
      s.entries.clear();
      s.generation = generation;
    }
    return std::nullopt;
  }
  auto it = s.entries.find(MakeKey(kind, digest));
  if (it == s.entries.end()) return std::nullopt;
  if (it->second.expires_ms <= now_ms) {  // the database gives the reason ("token expired")
    s.entries.erase(it);
    return std::nullopt;
  }
  return it->second.principal;
}

void PrincipalCache::Insert(Kind kind, const Digest& digest, const Principal& who,
                            int64_t expires_ms, uint64_t generation) {
  if (per_shard_ == 0) return;
  Shard& s = ShardOf(digest);
  MutexLock lock(s.mu);
  if (s.generation > generation) return;  // read before a change: may be stale
  if (s.generation < generation) {
    s.entries.clear();
    s.generation = generation;
  }
  Key key = MakeKey(kind, digest);
  if (s.entries.size() >= per_shard_ && !s.entries.count(key))
    s.entries.erase(s.entries.begin());  // arbitrary: digests are random
  s.entries.insert_or_assign(key, Entry{who, expires_ms});
}

size_t PrincipalCache::size() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    MutexLock lock(shards_[i].mu);
    n += shards_[i].entries.size();
  }
  return n;
}

}  // namespace ncc::auth

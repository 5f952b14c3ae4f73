// Open-addressing hash map from a 64-bit id to a 32-bit slot. Exists because the AVL lane looks a
// unit up on every fix (millions per second) and std::unordered_map's node chasing costs more
// than the rest of the update. Linear probing with backward-shift deletion (no tombstones).
// Thread: not thread-safe; owned by one LiveIndex.
#pragma once

#include <cstdint>
#include <vector>

namespace ncc::geo {

class FlatIdMap {
 public:
  static constexpr uint32_t kMissing = UINT32_MAX;

  FlatIdMap() { Rehash(64); }

  uint32_t Find(uint64_t key) const {
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.value == kMissing) return kMissing;
      if (e.key == key) return e.value;
    }
  }

  // Inserts or overwrites.
  void Put(uint64_t key, uint32_t value) {
    if ((size_ + 1) * 4 > entries_.size() * 3) Rehash(entries_.size() * 2);
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      Entry& e = entries_[i];
      if (e.value == kMissing) {
        e = {key, value};
        ++size_;
        return;
      }
      if (e.key == key) {
        e.value = value;
        return;
      }
    }
  }

  bool Erase(uint64_t key) {
    size_t i = Home(key);
    for (;; i = (i + 1) & mask_) {
      if (entries_[i].value == kMissing) return false;
      if (entries_[i].key == key) break;
    }
    // Backward-shift: pull later members of the probe run into the hole so lookups stay correct.
    size_t hole = i;
    for (size_t j = (i + 1) & mask_; entries_[j].value != kMissing; j = (j + 1) & mask_) {
      size_t home = Home(entries_[j].key);
      bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        entries_[hole] = entries_[j];
        hole = j;
      }
    }
    entries_[hole] = Entry{};
    --size_;
    return true;
  }

  size_t size() const { return size_; }

 private:
  struct Entry {
    uint64_t key = 0;
    uint32_t value = kMissing;
  };

  size_t Home(uint64_t key) const {
    // Fibonacci hashing spreads sequential ids (the common case) over the table.
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }

  void Rehash(size_t capacity) {
    std::vector<Entry> old = std::move(entries_);
    entries_.assign(capacity, Entry{});
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    size_ = 0;
    for (const Entry& e : old)
      if (e.value != kMissing) Put(e.key, e.value);
  }

  std::vector<Entry> entries_;
  size_t mask_ = 0;
  unsigned shift_ = 0;
  size_t size_ = 0;
};

}  // namespace ncc::geo

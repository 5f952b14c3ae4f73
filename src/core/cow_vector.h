// CowVector: a vector whose copies share their records, chunk by chunk, until one of them
// changes a chunk (copy on write). The World keeps its incidents, units, requests and messages
// in them, so that a copy of the World (a checkpoint of the past picture, a snapshot's) costs
// a pointer per chunk and what two copies have in common is held once.
//
// Records never move once created (chunks are allocated whole, as a deque's blocks are): a
// reference stays valid until the record's chunk is next changed through another copy.
//
// Threads: as a std::vector. Different copies may be used on different threads at once — one
// changed while another is read — because a change never writes a chunk another copy holds:
// Mutable() and emplace_back() copy a shared chunk first.
#pragma once

#include <atomic>
#include <compare>
#include <cstddef>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace ncc {

template <typename T, size_t kChunk = 64>
class CowVector {
  static_assert((kChunk & (kChunk - 1)) == 0, "a power of two: index arithmetic is shifts");
  using Chunk = std::vector<T>;

 public:
  using value_type = T;
  using size_type = size_t;
  using const_reference = const T&;

  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;
    const_iterator() = default;
    const_iterator(const CowVector* v, size_t i) : v_(v), i_(i) {}
    reference operator*() const { return (*v_)[i_]; }
    pointer operator->() const { return &(*v_)[i_]; }
    reference operator[](difference_type n) const { return (*v_)[i_ + n]; }
    const_iterator& operator++() { return ++i_, *this; }
    const_iterator operator++(int) { return {v_, i_++}; }
    const_iterator& operator--() { return --i_, *this; }
    const_iterator operator--(int) { return {v_, i_--}; }
    const_iterator& operator+=(difference_type n) { return i_ += n, *this; }
    const_iterator& operator-=(difference_type n) { return i_ -= n, *this; }
    friend const_iterator operator+(const_iterator a, difference_type n) { return a += n; }
    friend const_iterator operator+(difference_type n, const_iterator a) { return a += n; }
    friend const_iterator operator-(const_iterator a, difference_type n) { return a -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.i_ == b.i_;
    }
    friend auto operator<=>(const const_iterator& a, const const_iterator& b) {
      return a.i_ <=> b.i_;
    }

   private:
    const CowVector* v_ = nullptr;
    size_t i_ = 0;
  };
  using iterator = const_iterator;  // changes go through Mutable()
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const { return (*chunks_[i / kChunk])[i % kChunk]; }
  const T& front() const { return (*this)[0]; }
  const T& back() const { return (*this)[size_ - 1]; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

  // Record `i`, to change: its chunk is copied first when another copy holds it.
  T& Mutable(size_t i) { return (*Own(i / kChunk))[i % kChunk]; }

  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if (size_ % kChunk == 0) {
      chunks_.push_back(std::make_shared<Chunk>());
      chunks_.back()->reserve(kChunk);
    }
    Chunk& last = *Own(chunks_.size() - 1);
    ++size_;
    return last.emplace_back(std::forward<Args>(args)...);
  }
  void push_back(T value) { emplace_back(std::move(value)); }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }

  // Calls `f(id, records)` for each chunk; `id` is the same in every copy that shares it (for
  // estimates of what copies hold in common).
  template <typename F>
  void ForEachChunk(F&& f) const {
    for (const auto& c : chunks_) f(static_cast<const void*>(c.get()), c->size());
  }

 private:
  Chunk* Own(size_t c) {
    std::shared_ptr<Chunk>& chunk = chunks_[c];
    if (chunk.use_count() != 1) {
      auto copy = std::make_shared<Chunk>();
      copy->reserve(kChunk);
      copy->insert(copy->end(), chunk->begin(), chunk->end());
      chunk = std::move(copy);
    } else {
      // Another copy that held this chunk may have let go of it on another thread just now:
      // its reads happened before its release of the count, this acquire orders our writes
      // after them.
      std::atomic_thread_fence(std::memory_order_acquire);
    }
    return chunk.get();
  }

  std::vector<std::shared_ptr<Chunk>> chunks_;
  size_t size_ = 0;
};

}  // namespace ncc

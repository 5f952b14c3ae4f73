// A binary min-heap of (key, node) with lazy deletion: callers skip entries whose key no longer
// matches the node's label. Simpler and, on road graphs, as fast as an addressable heap.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace ncc::routing {

class MinHeap {
 public:
  bool Empty() const { return items_.empty(); }
  uint32_t TopKey() const { return items_.front().first; }
  void Push(uint32_t key, uint32_t node) {
    items_.push_back({key, node});
    std::push_heap(items_.begin(), items_.end(), std::greater<>());
  }
  std::pair<uint32_t, uint32_t> Pop() {
    std::pop_heap(items_.begin(), items_.end(), std::greater<>());
    auto top = items_.back();
    items_.pop_back();
    return top;
  }
  void Clear() { items_.clear(); }

 private:
  std::vector<std::pair<uint32_t, uint32_t>> items_;
};

}  // namespace ncc::routing

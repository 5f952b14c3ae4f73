// Counters and latency histograms rendered as Prometheus text. Lock-free: any thread may
// record, any thread may render.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ncc {

// Fixed buckets (upper bounds) so recording is one atomic add; good enough for p50/p99 plots.
class Histogram {
 public:
  // Latency buckets in seconds, 10 µs .. 5 s.
  static std::vector<double> LatencyBounds() {
    return {1e-5, 2.5e-5, 5e-5,   1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
            5e-3, 1e-2,   2.5e-2, 5e-2, 0.1,    0.25, 1,    5};
  }
  // Count buckets (batch sizes), 1 .. 16384.
  static std::vector<double> SizeBounds() {
    return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384};
  }

  explicit Histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1] {}) {}
  void Record(double value);
  // name{le="..."} lines plus _sum and _count.
  void Render(std::string& out, const std::string& name, const std::string& help) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

void RenderCounter(std::string& out, const std::string& name, const std::string& help,
                   uint64_t value, const char* type = "counter");

}  // namespace ncc

#include "report/stats.h"

#include <algorithm>
#include <cmath>

namespace ncc::report {
namespace {

__extension__ typedef unsigned __int128 Uint128;  // g++/clang: -Wpedantic knows it is an extension

// Index (0-based) of the nearest-rank P_p among n sorted values.
size_t RankIndex(size_t n, double p) {
  double k = std::ceil(p / 100.0 * static_cast<double>(n));
  size_t rank = k < 1 ? 1 : static_cast<size_t>(k);
  return std::min(rank, n) - 1;
}

// P_p of `values`, reordering them (nth_element: linear time, same answer as sorting).
double SelectPercentile(std::vector<double>& values, double p) {
  auto nth = values.begin() + static_cast<std::ptrdiff_t>(RankIndex(values.size(), p));
  std::nth_element(values.begin(), nth, values.end());
  return *nth;
}

// One resample of `samples` into `out` (same size).
void Resample(const std::vector<double>& samples, SplitMix64& rng, std::vector<double>& out) {
  out.resize(samples.size());
  for (double& v : out) v = samples[rng.Below(samples.size())];
}

Interval CentralInterval(std::vector<double>& stats) {
  Interval i;
  i.low = SelectPercentile(stats, 2.5);
  i.high = SelectPercentile(stats, 97.5);
  return i;
}

}  // namespace

std::optional<double> Percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return std::nullopt;
  return SelectPercentile(samples, p);
}

std::optional<double> PercentWithin(const std::vector<double>& samples, double limit) {
  if (samples.empty()) return std::nullopt;
  auto within = std::count_if(samples.begin(), samples.end(), [&](double v) { return v <= limit; });
  return 100.0 * static_cast<double>(within) / static_cast<double>(samples.size());
}

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::Below(uint64_t n) {
  return static_cast<uint64_t>((static_cast<Uint128>(Next()) * n) >> 64);
}

uint64_t StreamSeed(uint64_t seed, std::string_view label) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : label) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return seed ^ h;
}

std::optional<Interval> BootstrapPercentile(const std::vector<double>& samples, double p,
                                            const BootstrapOptions& options,
                                            std::string_view label) {
  if (samples.empty() || options.resamples <= 0) return std::nullopt;
  SplitMix64 rng(StreamSeed(options.seed, label));
  std::vector<double> resample, stats;
  stats.reserve(static_cast<size_t>(options.resamples));
  for (int b = 0; b < options.resamples; ++b) {
    Resample(samples, rng, resample);
    stats.push_back(SelectPercentile(resample, p));
  }
  return CentralInterval(stats);
}

std::optional<Interval> BootstrapPercentileDifference(const std::vector<double>& a,
                                                      const std::vector<double>& b, double p,
                                                      const BootstrapOptions& options,
                                                      std::string_view label) {
  if (a.empty() || b.empty() || options.resamples <= 0) return std::nullopt;
  SplitMix64 rng(StreamSeed(options.seed, label));
  std::vector<double> ra, rb, stats;
  stats.reserve(static_cast<size_t>(options.resamples));
  for (int k = 0; k < options.resamples; ++k) {
    Resample(a, rng, ra);
    Resample(b, rng, rb);
    stats.push_back(SelectPercentile(rb, p) - SelectPercentile(ra, p));
  }
  return CentralInterval(stats);
}

}  // namespace ncc::report

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

double Uniform(SplitMix64& rng) {  // in (0, 1)
  return (static_cast<double>(rng.Next() >> 11) + 0.5) * 0x1.0p-53;
}

double Normal(SplitMix64& rng) {  // Box-Muller
  const double r = std::sqrt(-2 * std::log(Uniform(rng)));
  return r * std::cos(2 * M_PI * Uniform(rng));
}

// Gamma(a, 1) for a >= 1 (Marsaglia and Tsang, 2000).
double Gamma(double a, SplitMix64& rng) {
  const double d = a - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  while (true) {
    double x = Normal(rng), v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    if (std::log(Uniform(rng)) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

// The nearest-rank P_p of one bootstrap resample of `sorted`, without building the resample:
// its rank-k value is sorted[floor(n * U)] with U ~ Beta(k, n - k + 1), the k-th smallest of n
// uniforms (floor is monotone, so the k-th smallest of n uniform indices is exactly that).
double ResampledPercentile(const std::vector<double>& sorted, double p, SplitMix64& rng) {
  const size_t n = sorted.size(), k = RankIndex(n, p) + 1;
  const double x = Gamma(static_cast<double>(k), rng);
  const double y = Gamma(static_cast<double>(n - k + 1), rng);
  auto index = static_cast<size_t>(std::floor(static_cast<double>(n) * x / (x + y)));
  return sorted[std::min(index, n - 1)];
}

std::vector<double> Sorted(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v;
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
  const std::vector<double> sorted = Sorted(samples);
  std::vector<double> stats(static_cast<size_t>(options.resamples));
  for (double& s : stats) s = ResampledPercentile(sorted, p, rng);
  return CentralInterval(stats);
}

std::optional<Interval> BootstrapPercentileDifference(const std::vector<double>& a,
                                                      const std::vector<double>& b, double p,
                                                      const BootstrapOptions& options,
                                                      std::string_view label) {
  if (a.empty() || b.empty() || options.resamples <= 0) return std::nullopt;
  SplitMix64 rng(StreamSeed(options.seed, label));
  const std::vector<double> sa = Sorted(a), sb = Sorted(b);
  std::vector<double> stats(static_cast<size_t>(options.resamples));
  for (double& s : stats) {
    double pa = ResampledPercentile(sa, p, rng);
    s = ResampledPercentile(sb, p, rng) - pa;
  }
  return CentralInterval(stats);
}

}  // namespace ncc::report

// The statistics of the report, stated once so that a test (or a reader with a spreadsheet)
// can compute them again from the log:
//  - Percentile: nearest rank. For n sorted samples x[1..n] and p in (0, 100], P_p = x[k] with
//    k = ceil(p / 100 * n) (k >= 1): always an observed value, nothing interpolated, nothing
//    trimmed first. P50 of {1,2,3,4} is 2, P90 of ten samples is the 9th.
//  - Bootstrap interval: B resamples with replacement of the same size, the statistic of each,
//    and the 2.5th and 97.5th nearest-rank percentiles of those B values (a 95 % percentile
//    interval). Resampling draws from a splitmix64 stream seeded by (seed, label), so the same
//    log, seed and B give the same interval on any machine and in any order of computation.
//    A resample is not built: its nearest-rank P_p (rank k of n) is the sorted sample at
//    floor(n * U), U ~ Beta(k, n - k + 1) — the k-th smallest of n uniform draws, exactly — so a
//    resample costs O(1) (two gamma variates, Marsaglia-Tsang) and B = 1000 stays cheap on a
//    long log.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ncc::report {

// P_p of `samples` (nearest rank); nullopt when there are none. `samples` need not be sorted.
std::optional<double> Percentile(std::vector<double> samples, double p);

// Percent of `samples` <= limit; nullopt when there are none.
std::optional<double> PercentWithin(const std::vector<double>& samples, double limit);

struct Interval {
  double low = 0, high = 0;
};

struct BootstrapOptions {
  uint64_t seed = 1;
  int resamples = 1000;  // 0: no intervals
};

// splitmix64: small, fast, and the same numbers everywhere (std:: distributions are not).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n) (Lemire's multiply-shift; n > 0).
  uint64_t Below(uint64_t n);

 private:
  uint64_t state_;
};

// The seed of one figure's stream: `seed` mixed with the FNV-1a hash of `label`.
uint64_t StreamSeed(uint64_t seed, std::string_view label);

// 95 % interval of P_p over resamples of `samples`; nullopt with no samples or no resamples.
std::optional<Interval> BootstrapPercentile(const std::vector<double>& samples, double p,
                                            const BootstrapOptions& options,
                                            std::string_view label);

// 95 % interval of P_p(b) - P_p(a), resampling each run on its own (the runs are independent
// samples; pairing calls across runs is not assumed).
std::optional<Interval> BootstrapPercentileDifference(const std::vector<double>& a,
                                                      const std::vector<double>& b, double p,
                                                      const BootstrapOptions& options,
                                                      std::string_view label);

}  // namespace ncc::report

// LatencyHistogram: a log-linear histogram of latencies in whole microseconds, for percentiles
// of millions of samples in constant memory (loyalty-sim's LatencyStats keeps every sample and
// has whole-percent ranks only, so it cannot give p99.9).
//
// Buckets: values 0..255 have a bucket each (exact). Above, each power of two [2^m, 2^(m+1)) is
// split into 128 equal buckets, so a reported value is at most 1/128 (< 0.8 %) above the true
// sample. Negative samples count as 0.
//
// percentile(p) is the nearest-rank value: the upper bound of the bucket holding the sample of
// rank ceil(p/100 * count) (rank at least 1), capped at the exact maximum. 0 without samples.
//
// Thread safety: none; each till keeps its own histogram and they are merged after the tills
// have stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loyalty::tools {

class LatencyHistogram {
 public:
  static constexpr int kExactBits = 8;  // values below 2^kExactBits are exact
  static constexpr size_t kBucketCount = 56 * 128 + 256;

  LatencyHistogram();

  void add(int64_t micros);
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  // Requires: 0 < percent <= 100.
  int64_t percentile(double percent) const;

  // Bucket arithmetic, public for the tests.
  static size_t bucketOf(int64_t micros);
  static int64_t upperBoundOf(size_t bucket);

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  int64_t max_ = 0;
  int64_t min_ = 0;
};

}  // namespace loyalty::tools

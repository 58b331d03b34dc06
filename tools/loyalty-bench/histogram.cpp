#include "loyalty-bench/histogram.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace loyalty::tools {
namespace {

constexpr int kSubBits = LatencyHistogram::kExactBits - 1;  // 128 buckets per power of two

int msbOf(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBucketCount, 0) {}

size_t LatencyHistogram::bucketOf(int64_t micros) {
  const uint64_t v = micros < 0 ? 0 : static_cast<uint64_t>(micros);
  if (v < (uint64_t{1} << kExactBits)) {
    return static_cast<size_t>(v);
  }
  const int shift = msbOf(v) - kSubBits;  // >= 1; v >> shift is in [128, 256)
  return static_cast<size_t>(shift) * (size_t{1} << kSubBits) + static_cast<size_t>(v >> shift);
}

int64_t LatencyHistogram::upperBoundOf(size_t bucket) {
  if (bucket < (size_t{1} << kExactBits)) {
    return static_cast<int64_t>(bucket);
  }
  const size_t per = size_t{1} << kSubBits;
  const size_t shift = bucket / per - 1;
  const uint64_t top = bucket - shift * per;  // in [128, 256)
  const uint64_t low = top << shift;
  const uint64_t high = low + ((uint64_t{1} << shift) - 1);
  return high > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(high);
}

void LatencyHistogram::add(int64_t micros) {
  if (micros < 0) {
    micros = 0;
  }
  ++buckets_[bucketOf(micros)];
  if (count_ == 0 || micros < min_) {
    min_ = micros;
  }
  max_ = std::max(max_, micros);
  ++count_;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) {
    return;
  }
  for (size_t i = 0; i < kBucketCount; ++i) {
    buckets_[i] += other.buckets_[i];
  }
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
}

int64_t LatencyHistogram::percentile(double percent) const {
  assert(percent > 0 && percent <= 100);
  if (count_ == 0) {
    return 0;
  }
  // Nearest rank; the small epsilon keeps 99.9 % of 1000 at rank 999, not 1000.
  double exact = percent / 100.0 * static_cast<double>(count_);
  uint64_t rank = static_cast<uint64_t>(std::ceil(exact - 1e-9));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      return std::min(upperBoundOf(i), max_);
    }
  }
  return max_;
}

}  // namespace loyalty::tools

#include "latency_stats.h"

#include <algorithm>
#include <cassert>

namespace loyalty::tools {

void LatencyStats::merge(const LatencyStats& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  sorted_ = false;
}

int64_t LatencyStats::percentile(int percent) const {
  assert(percent > 0 && percent <= 100);
  if (samples_.empty()) {
    return 0;
  }
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  // Nearest rank, in integers: ceil(percent * n / 100).
  const size_t n = samples_.size();
  size_t rank = (static_cast<size_t>(percent) * n + 99) / 100;
  rank = std::clamp<size_t>(rank, 1, n);
  return samples_[rank - 1];
}

LatencySummary LatencyStats::summary() const {
  LatencySummary s;
  s.count = samples_.size();
  s.p50Us = percentile(50);
  s.p99Us = percentile(99);
  s.maxUs = percentile(100);
  return s;
}

}  // namespace loyalty::tools

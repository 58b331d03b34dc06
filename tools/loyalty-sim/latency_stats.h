// LatencyStats: the latency samples of one kind of call (identify, price, commit) and their
// nearest-rank percentiles.
//
// Samples are whole microseconds. percentile(p) is the nearest-rank value: the smallest sample
// such that at least p% of the samples are <= it (0 when there are no samples).
//
// Thread safety: none; each lane keeps its own LatencyStats and the lanes' stats are merged
// after the lanes have stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loyalty::tools {

struct LatencySummary {
  size_t count = 0;
  int64_t p50Us = 0;
  int64_t p99Us = 0;
  int64_t maxUs = 0;
};

class LatencyStats {
 public:
  void add(int64_t micros) { samples_.push_back(micros); }
  void merge(const LatencyStats& other);
  size_t count() const { return samples_.size(); }

  // Requires: 0 < percent <= 100.
  int64_t percentile(int percent) const;
  LatencySummary summary() const;

 private:
  // Sorted lazily by percentile(); mutable so that reading stays const.
  mutable std::vector<int64_t> samples_;
  mutable bool sorted_ = false;
};

}  // namespace loyalty::tools

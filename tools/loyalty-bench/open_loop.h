// OpenLoopSchedule: the send times of one till in fixed-rate (open-loop) mode.
//
// With a total rate of R requests per second over N tills, each till sends every N/R seconds,
// and till i is offset by i/N of that interval so that the tills do not fire together. The k-th
// send of a till is due at start + offset + k * interval, whether or not the previous answer has
// come back late: a till that falls behind sends at once, and the latency of a request is
// measured from its scheduled time, not from when it could be sent, so that a stalled server is
// charged for the whole wait (no coordinated omission).
//
// All arithmetic is in integer nanoseconds. Invariants: interval > 0; 0 <= offset < interval.
//
// Thread safety: a plain value; re-entrant.
#pragma once

#include <cstdint>

namespace loyalty::tools {

class OpenLoopSchedule {
 public:
  // Requires: ratePerS > 0, tills >= 1, 0 <= till < tills.
  OpenLoopSchedule(double ratePerS, int tills, int till);

  int64_t intervalNs() const { return intervalNs_; }
  int64_t offsetNs() const { return offsetNs_; }
  // Time of send k (k >= 0), in ns after the run's start.
  int64_t dueNs(int64_t k) const { return offsetNs_ + k * intervalNs_; }
  // Number of sends due strictly before `elapsedNs` (the sends a run of that length makes).
  int64_t dueBefore(int64_t elapsedNs) const;

 private:
  int64_t intervalNs_ = 1;
  int64_t offsetNs_ = 0;
};

}  // namespace loyalty::tools

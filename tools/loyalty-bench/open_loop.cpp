#include "loyalty-bench/open_loop.h"

#include <algorithm>
#include <cmath>

namespace loyalty::tools {

OpenLoopSchedule::OpenLoopSchedule(double ratePerS, int tills, int till) {
  const double interval = std::round(1e9 * static_cast<double>(tills) / ratePerS);
  intervalNs_ = std::max<int64_t>(1, static_cast<int64_t>(std::min(interval, 1e15)));
  offsetNs_ = intervalNs_ * till / tills;
}

int64_t OpenLoopSchedule::dueBefore(int64_t elapsedNs) const {
  if (elapsedNs <= offsetNs_) {
    return 0;
  }
  // Sends k with offset + k * interval < elapsed: k < (elapsed - offset) / interval.
  return (elapsedNs - offsetNs_ - 1) / intervalNs_ + 1;
}

}  // namespace loyalty::tools

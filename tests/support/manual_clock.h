// ManualClock: a domain::Clock whose time the test sets.
#pragma once

#include <atomic>
#include <cstdint>

#include "domain/clock.h"

namespace loyalty::testing {

class ManualClock final : public core::domain::Clock {
 public:
  explicit ManualClock(int64_t startMs = 1'700'000'000'000) : now_(startMs) {}
  int64_t nowMs() const override { return now_.load(); }
  void advanceMs(int64_t ms) { now_ += ms; }
  void setMs(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace loyalty::testing

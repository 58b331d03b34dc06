// Clock: where the domain gets the time. Injected, so that tests control it (tests/support has a
// ManualClock). The domain never reads the system clock itself.
#pragma once

#include <cstdint>

namespace loyalty::core::domain {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t nowMs() const = 0;
};

}  // namespace loyalty::core::domain

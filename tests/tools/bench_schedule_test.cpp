// Tests of loyalty-bench's open-loop schedule arithmetic (tools/loyalty-bench/open_loop.h).
#include "loyalty-bench/open_loop.h"

#include <catch2/catch.hpp>

namespace loyalty::tools {
namespace {

TEST_CASE("OpenLoopSchedule: interval and offsets spread the tills", "[tools]") {
  // 1000 req/s over 4 tills: each till every 4 ms, tills 1 ms apart.
  OpenLoopSchedule t0(1000, 4, 0);
  OpenLoopSchedule t3(1000, 4, 3);
  CHECK(t0.intervalNs() == 4000000);
  CHECK(t0.offsetNs() == 0);
  CHECK(t3.offsetNs() == 3000000);
  CHECK(t0.dueNs(0) == 0);
  CHECK(t0.dueNs(10) == 40000000);
  CHECK(t3.dueNs(2) == 11000000);
}

TEST_CASE("OpenLoopSchedule: sends due before the end of a run", "[tools]") {
  OpenLoopSchedule s(1000, 4, 1);  // due at 1, 5, 9, ... ms
  CHECK(s.dueBefore(0) == 0);
  CHECK(s.dueBefore(1000000) == 0);  // strictly before: the send at 1 ms is not due yet
  CHECK(s.dueBefore(1000001) == 1);
  CHECK(s.dueBefore(5000000) == 1);
  CHECK(s.dueBefore(5000001) == 2);
  // A 10 s run at 1000 req/s over 4 tills: each till makes 2500 sends, 10000 in all.
  int64_t total = 0;
  for (int t = 0; t < 4; ++t) {
    total += OpenLoopSchedule(1000, 4, t).dueBefore(10000000000);
  }
  CHECK(total == 10000);
}

TEST_CASE("OpenLoopSchedule: fractional and extreme rates stay positive", "[tools]") {
  OpenLoopSchedule slow(0.5, 1, 0);
  CHECK(slow.intervalNs() == 2000000000);
  OpenLoopSchedule fast(1e9, 1, 0);
  CHECK(fast.intervalNs() == 1);
  OpenLoopSchedule faster(1e12, 1, 0);
  CHECK(faster.intervalNs() == 1);
  OpenLoopSchedule tiny(1e-9, 1024, 1023);
  CHECK(tiny.intervalNs() > 0);
  CHECK(tiny.offsetNs() < tiny.intervalNs());
}

}  // namespace
}  // namespace loyalty::tools

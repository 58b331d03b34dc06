// Tests of loyalty-sim's latency percentiles (tools/loyalty-sim/latency_stats.h).
#include "loyalty-sim/latency_stats.h"

#include <catch2/catch.hpp>

namespace loyalty::tools {
namespace {

TEST_CASE("LatencyStats: nearest-rank percentiles", "[tools]") {
  LatencyStats s;
  CHECK(s.summary().count == 0);
  CHECK(s.summary().p50Us == 0);
  CHECK(s.summary().maxUs == 0);

  // 100 samples 1..100 added out of order.
  for (int64_t v = 100; v >= 1; --v) {
    s.add(v);
  }
  CHECK(s.percentile(50) == 50);
  CHECK(s.percentile(99) == 99);
  CHECK(s.percentile(100) == 100);
  CHECK(s.percentile(1) == 1);

  LatencyStats few;
  few.add(30);
  few.add(10);
  few.add(20);
  const LatencySummary f = few.summary();
  CHECK(f.count == 3);
  CHECK(f.p50Us == 20);  // rank ceil(1.5) = 2
  CHECK(f.p99Us == 30);
  CHECK(f.maxUs == 30);
}

TEST_CASE("LatencyStats: merge combines the samples", "[tools]") {
  LatencyStats a;
  LatencyStats b;
  a.add(5);
  (void)a.percentile(50);  // sorts a; the merge must not keep a stale "sorted" mark
  b.add(1);
  b.add(9);
  a.merge(b);
  CHECK(a.count() == 3);
  CHECK(a.percentile(50) == 5);
  CHECK(a.percentile(100) == 9);
  CHECK(a.percentile(1) == 1);
}

}  // namespace
}  // namespace loyalty::tools

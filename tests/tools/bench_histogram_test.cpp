// Tests of loyalty-bench's latency histogram (tools/loyalty-bench/histogram.h): nearest-rank
// percentiles on known samples, bucket bounds and merging.
#include "loyalty-bench/histogram.h"

#include <catch2/catch.hpp>

#include <random>

namespace loyalty::tools {
namespace {

TEST_CASE("LatencyHistogram: exact percentiles below 256 us", "[tools]") {
  LatencyHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.percentile(50) == 0);
  CHECK(h.max() == 0);
  for (int64_t v = 200; v >= 1; --v) {
    h.add(v);
  }
  CHECK(h.count() == 200);
  CHECK(h.min() == 1);
  CHECK(h.max() == 200);
  CHECK(h.percentile(50) == 100);   // rank 100
  CHECK(h.percentile(90) == 180);   // rank 180
  CHECK(h.percentile(99) == 198);   // rank 198
  CHECK(h.percentile(99.9) == 200); // rank ceil(199.8) = 200
  CHECK(h.percentile(100) == 200);
  CHECK(h.percentile(0.1) == 1);
}

TEST_CASE("LatencyHistogram: p99.9 of 1000 samples is rank 999", "[tools]") {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 1000; ++v) {
    h.add(v < 1000 ? 100 : 5000);  // one outlier
  }
  CHECK(h.percentile(99.9) == 100);
  CHECK(h.percentile(100) == 5000);
  CHECK(h.max() == 5000);
}

TEST_CASE("LatencyHistogram: large values within 1/128 above the sample", "[tools]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const int64_t v = static_cast<int64_t>(rng() % 100000000);
    const size_t b = LatencyHistogram::bucketOf(v);
    const int64_t upper = LatencyHistogram::upperBoundOf(b);
    INFO("v = " << v);
    REQUIRE(upper >= v);
    REQUIRE(static_cast<double>(upper - v) <= static_cast<double>(v) / 128.0);
    REQUIRE(b < LatencyHistogram::kBucketCount);
  }
  // Buckets are contiguous and ordered: the next value after a bucket's bound is the next bucket.
  for (size_t b = 0; b < 4000; ++b) {
    REQUIRE(LatencyHistogram::bucketOf(LatencyHistogram::upperBoundOf(b)) == b);
    REQUIRE(LatencyHistogram::bucketOf(LatencyHistogram::upperBoundOf(b) + 1) == b + 1);
  }
  CHECK(LatencyHistogram::bucketOf(INT64_MAX) < LatencyHistogram::kBucketCount);
  CHECK(LatencyHistogram::bucketOf(-5) == 0);
}

TEST_CASE("LatencyHistogram: a single large sample reports itself (capped by max)", "[tools]") {
  LatencyHistogram h;
  h.add(123457);
  CHECK(h.percentile(50) == 123457);
  CHECK(h.percentile(99.9) == 123457);
}

TEST_CASE("LatencyHistogram: merge sums counts and keeps min and max", "[tools]") {
  LatencyHistogram a;
  LatencyHistogram b;
  LatencyHistogram empty;
  for (int64_t v = 1; v <= 50; ++v) {
    a.add(v);
  }
  for (int64_t v = 51; v <= 100; ++v) {
    b.add(v);
  }
  a.merge(empty);
  CHECK(a.count() == 50);
  a.merge(b);
  CHECK(a.count() == 100);
  CHECK(a.min() == 1);
  CHECK(a.max() == 100);
  CHECK(a.percentile(50) == 50);
  CHECK(a.percentile(99) == 99);
  empty.merge(b);
  CHECK(empty.min() == 51);
  CHECK(empty.percentile(50) == 75);
}

}  // namespace
}  // namespace loyalty::tools

// loyalty-bench's CPU accounting (cpu_usage.h): both readings grow when this process works, and
// a process that does not exist has no reading.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>

#include "loyalty-bench/cpu_usage.h"

namespace loyalty::tools {
namespace {

// Works until getrusage says this process used `cpuSeconds` more CPU.
uint64_t burn(double cpuSeconds) {
  const double end = ownCpuSeconds() + cpuSeconds;
  uint64_t x = 1;
  while (ownCpuSeconds() < end) {
    for (int i = 0; i < 10000; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    }
  }
  return x;
}

TEST_CASE("Bench CPU: a process's CPU time grows with its work", "[tools][bench]") {
  const std::optional<double> before = processCpuSeconds(::getpid());
  const double ownBefore = ownCpuSeconds();
  REQUIRE(before.has_value());
  CHECK(burn(0.1) != 0);
  const std::optional<double> after = processCpuSeconds(::getpid());
  REQUIRE(after.has_value());
  // 100 ms of CPU by getrusage's count; /proc counts in clock ticks (usually 10 ms).
  CHECK(*after - *before >= 0.05);
  CHECK(ownCpuSeconds() - ownBefore >= 0.1);
}

TEST_CASE("Bench CPU: no reading for a process that does not exist", "[tools][bench]") {
  CHECK_FALSE(processCpuSeconds(0x7ffffff0).has_value());
}

}  // namespace
}  // namespace loyalty::tools

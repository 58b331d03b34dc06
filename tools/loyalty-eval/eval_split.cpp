#include "loyalty-eval/eval_split.h"

#include <random>
#include <utility>

namespace loyalty::tools::eval {
namespace {

// Uniform in [0, bound], by rejection of the incomplete last block of the 64-bit range.
uint64_t uniformUpTo(std::mt19937_64& rng, uint64_t bound) {
  if (bound == UINT64_MAX) {
    return rng();
  }
  const uint64_t range = bound + 1;
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % range);  // accept draws below limit
  uint64_t draw = rng();
  while (draw >= limit) {
    draw = rng();
  }
  return draw % range;
}

}  // namespace

std::vector<size_t> shuffledIndices(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) {
    order[i] = i;
  }
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) {
    const auto j = static_cast<size_t>(uniformUpTo(rng, i - 1));
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

Split splitUsers(size_t n, uint64_t seed) {
  const std::vector<size_t> order = shuffledIndices(n, seed);
  const size_t trainEnd = n * 72 / 100;
  const size_t validationEnd = n * 80 / 100;
  Split split;
  split.train.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(trainEnd));
  split.validation.assign(order.begin() + static_cast<std::ptrdiff_t>(trainEnd),
                          order.begin() + static_cast<std::ptrdiff_t>(validationEnd));
  split.test.assign(order.begin() + static_cast<std::ptrdiff_t>(validationEnd), order.end());
  return split;
}

}  // namespace loyalty::tools::eval

#include "loyalty-eval/eval_split.h"

#include <array>
#include <utility>

namespace loyalty::tools::eval {
namespace {

// MT19937 exactly as CPython's `random` module seeds and uses it: random.seed(int) is the
// reference init_by_array over the seed's 32-bit words (least significant first; 0 -> {0}),
// getrandbits(k) takes the top k bits of one output, and _randbelow(m) redraws getrandbits of
// m's bit length until the draw is below m. (std::mt19937's own seeding is a different scheme.)
class PythonMt19937 {
 public:
  explicit PythonMt19937(uint64_t seed) {
    std::array<uint32_t, 2> key{};
    size_t length = 0;
    for (uint64_t s = seed; s != 0; s >>= 32) {
      key[length++] = static_cast<uint32_t>(s);
    }
    initByArray(key.data(), length == 0 ? 1 : length);  // seed 0 -> the key {0}
  }

  // A uniform draw in [0, bound); requires 0 < bound < 2^32.
  uint32_t below(uint32_t bound) {
    int bits = 0;
    while (bits < 32 && (static_cast<uint64_t>(bound) >> bits) != 0) {
      ++bits;
    }
    uint32_t draw = next() >> (32 - bits);
    while (draw >= bound) {
      draw = next() >> (32 - bits);
    }
    return draw;
  }

 private:
  static constexpr size_t kN = 624;

  uint32_t next() {
    if (index_ >= kN) {
      twist();
    }
    uint32_t y = state_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
  }

  void initGenrand(uint32_t s) {
    state_[0] = s;
    for (size_t i = 1; i < kN; ++i) {
      state_[i] =
          1812433253U * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<uint32_t>(i);
    }
    index_ = kN;
  }

  void initByArray(const uint32_t* key, size_t length) {
    initGenrand(19650218U);
    size_t i = 1;
    size_t j = 0;
    for (size_t k = kN > length ? kN : length; k > 0; --k) {
      state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1664525U)) + key[j] +
                  static_cast<uint32_t>(j);
      ++i;
      ++j;
      if (i >= kN) {
        state_[0] = state_[kN - 1];
        i = 1;
      }
      if (j >= length) {
        j = 0;
      }
    }
    for (size_t k = kN - 1; k > 0; --k) {
      state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1566083941U)) -
                  static_cast<uint32_t>(i);
      ++i;
      if (i >= kN) {
        state_[0] = state_[kN - 1];
        i = 1;
      }
    }
    state_[0] = 0x80000000U;
    index_ = kN;
  }

  void twist() {
    for (size_t k = 0; k < kN; ++k) {
      const uint32_t y = (state_[k] & 0x80000000U) | (state_[(k + 1) % kN] & 0x7fffffffU);
      state_[k] = state_[(k + 397) % kN] ^ (y >> 1) ^ ((y & 1U) != 0 ? 0x9908b0dfU : 0U);
    }
    index_ = 0;
  }

  std::array<uint32_t, kN> state_{};
  size_t index_ = kN;
};

}  // namespace

std::vector<size_t> shuffledIndices(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) {
    order[i] = i;
  }
  PythonMt19937 rng(seed);
  // random.shuffle: for i from n-1 down to 1, swap with a uniform j in [0, i].
  for (size_t i = n; i-- > 1;) {
    const size_t j = rng.below(static_cast<uint32_t>(i + 1));
    std::swap(order[i], order[j]);
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

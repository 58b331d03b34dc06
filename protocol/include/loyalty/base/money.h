// Money and Points: integer amounts, never floating point.
//
// Money is an amount in minor currency units (cents). Points are whole loyalty points.
// Both are strong types over int64_t so that they cannot be mixed with each other or with counts.
// Arithmetic is plain int64_t arithmetic: callers bound their inputs (see protocol limits) so
// that sums cannot overflow; checkedAdd/checkedMul are there where a bound is not obvious.
#pragma once

#include <cstdint>
#include <optional>

namespace loyalty::base {

inline std::optional<int64_t> checkedAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return std::nullopt;
  }
  return r;
}

inline std::optional<int64_t> checkedMul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) {
    return std::nullopt;
  }
  return r;
}

template <typename Tag>
class Amount {
 public:
  constexpr Amount() = default;
  constexpr explicit Amount(int64_t v) : v_(v) {}
  constexpr int64_t value() const { return v_; }

  constexpr Amount operator+(Amount o) const { return Amount(v_ + o.v_); }
  constexpr Amount operator-(Amount o) const { return Amount(v_ - o.v_); }
  constexpr Amount operator-() const { return Amount(-v_); }
  Amount& operator+=(Amount o) {
    v_ += o.v_;
    return *this;
  }
  Amount& operator-=(Amount o) {
    v_ -= o.v_;
    return *this;
  }
  constexpr bool operator==(Amount o) const { return v_ == o.v_; }
  constexpr bool operator!=(Amount o) const { return v_ != o.v_; }
  constexpr bool operator<(Amount o) const { return v_ < o.v_; }
  constexpr bool operator<=(Amount o) const { return v_ <= o.v_; }
  constexpr bool operator>(Amount o) const { return v_ > o.v_; }
  constexpr bool operator>=(Amount o) const { return v_ >= o.v_; }

 private:
  int64_t v_ = 0;
};

struct MoneyTag {};
struct PointsTag {};

using Money = Amount<MoneyTag>;    // minor currency units
using Points = Amount<PointsTag>;  // whole points

}  // namespace loyalty::base

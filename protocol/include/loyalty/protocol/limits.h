// Bounds of every request, part of the wire contract (docs/protocol.md, "Limits").
// They keep every sum far from int64_t overflow: 500 lines x 9,999 x 100,000,000 < 2^63.
#pragma once

#include <cstddef>
#include <cstdint>

namespace loyalty::protocol {

inline constexpr size_t kMaxBodyBytes = 256 * 1024;
inline constexpr int kMaxJsonDepth = 8;
inline constexpr size_t kMaxLines = 500;
inline constexpr size_t kMaxTenders = 20;
inline constexpr size_t kMaxCouponCodes = 20;
inline constexpr int64_t kMaxQuantity = 9'999;
inline constexpr int64_t kMaxUnitPrice = 100'000'000;      // minor units, per unit
inline constexpr int64_t kMaxBasketTotal = 10'000'000'000;  // minor units, whole basket or tenders
inline constexpr int64_t kMaxLineNumber = 100'000;
inline constexpr size_t kMaxIdLength = 32;   // store, terminal, txn
inline constexpr size_t kMaxSkuLength = 64;
inline constexpr size_t kMaxTextLength = 128;  // tender type
inline constexpr size_t kMaxCouponCodeLength = 160;  // a presented coupon code (signed: 146)
inline constexpr int64_t kMaxRedeemPoints = 1'000'000'000;  // points tendered in one sale

}  // namespace loyalty::protocol

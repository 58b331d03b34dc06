// Item ids: the int64 ids the personalization library (habit profiles, scorer) works on, derived
// from product SKUs without any storage, so that every process maps a SKU to the same id.
//
//   itemIdOf(sku) = FNV-1a 64 of the SKU's bytes (offset basis 0xcbf29ce484222325, prime
//                   0x100000001b3), with the top bit cleared: an id in [0, 2^63).
//
// Two SKUs may collide (probability about n^2 / 2^64 for n SKUs: 5e-8 for a million); a
// collision only merges the two products' habits. The Catalogue keeps the reverse map for the
// products it knows (Catalogue::skuOfItem).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace loyalty::core::domain {

// FNV-1a 64 of bytes (no bit cleared).
constexpr uint64_t fnv1a64(std::string_view bytes, uint64_t hash = 0xcbf29ce484222325ULL) {
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

constexpr int64_t itemIdOf(std::string_view sku) {
  return static_cast<int64_t>(fnv1a64(sku) & 0x7FFF'FFFF'FFFF'FFFFULL);
}

}  // namespace loyalty::core::domain

// SparseVector: item weights of a shopper or of a group of shoppers, the common currency of the
// personalization code (profiles, neighbour vectors, scorer).
//
// Invariants of a well-formed SparseVector: entries sorted by itemId, no duplicate itemId, every
// weight finite and > 0. Functions taking one state whether they require it.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace loyalty::core::personalization {

struct SparseEntry {
  int64_t itemId = 0;
  double weight = 0;

  bool operator==(const SparseEntry& o) const { return itemId == o.itemId && weight == o.weight; }
};

using SparseVector = std::vector<SparseEntry>;

// True when v is sorted by itemId without duplicates and every weight is finite and > 0.
bool isWellFormed(const SparseVector& v);

// The weight of itemId in v (0 when absent). Requires: v well-formed. O(log |v|).
double weightOf(const SparseVector& v, int64_t itemId);

}  // namespace loyalty::core::personalization

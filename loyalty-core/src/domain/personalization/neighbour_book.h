// NeighbourBook: the neighbour vectors of all shoppers, rebuilt in the background, read at every
// commit.
//
// A refresh job (owned by the core) pages the stored profiles (LoyaltyStore::habitProfiles),
// calls build() to make a new immutable NeighbourSnapshot and publishes it with replace(). Each
// commit takes current() once and reads the shopper's vector and the popular list from it; a
// snapshot never changes after build(), so readers need no lock beyond the pointer copy, and a
// reader keeps its snapshot alive for as long as it holds the shared_ptr.
//
// build(): every readable profile joins the pool (NeighbourModel over HabitProfile::vector());
// each member gets its neighbour vector (itself excluded, NeighbourParams k and topItems).
// Skipped: bytes that HabitProfile::deserialize refuses, profiles with no item, vectors that are
// not well-formed, and a customer id seen before in the input (the first one is kept).
// popular: the pool's items by total vector weight (sum over members of their normalised
// decayed frequency), heaviest first, ties by lower item id, at most kMaxPopular items.
// Cost: O(pool * (pool + postings)) for the vectors, about 0.2 ms per shopper on TaFeng
// (docs/personalization.md).
//
// If the NeighbourModel cannot be built (a pool beyond 2^32 - 1 members or entries) the snapshot
// keeps `popular` and poolSize but has no vectors (commits then use own habits only).
//
// Invariants: current() is never null; every vector of a snapshot is well-formed
// (sparse_vector.h); vectors.size() is poolSize, or 0 when the model could not be built.
//
// Thread safety: build() is a pure static function; current() and replace() may be called
// concurrently from any threads (a mutex guards the pointer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain/personalization/neighbour_model.h"
#include "domain/personalization/sparse_vector.h"

namespace loyalty::core::personalization {

// The at-most length of NeighbourSnapshot::popular.
constexpr size_t kMaxPopular = 200;

// The neighbour vectors of all shoppers, rebuilt in the background, read at every commit.
struct NeighbourSnapshot {
  std::unordered_map<int64_t, SparseVector> vectors;  // customer id -> neighbour vector
  std::vector<int64_t> popular;                       // items by total weight, at most 200
  int64_t builtAtMs = 0;
  size_t poolSize = 0;  // profiles that joined the pool
};

class NeighbourBook {
 public:
  NeighbourBook();
  NeighbourBook(const NeighbourBook&) = delete;
  NeighbourBook& operator=(const NeighbourBook&) = delete;

  // Builds a snapshot from (customer id, HabitProfile::serialize() bytes) pairs; unreadable
  // profiles are skipped. Pure: no store access (the caller pages the store). Never null.
  static std::shared_ptr<const NeighbourSnapshot> build(
      const std::vector<std::pair<int64_t, std::string>>& profiles, NeighbourParams params,
      int64_t nowMs);

  // The latest snapshot; never null (an empty snapshot until the first replace()).
  std::shared_ptr<const NeighbourSnapshot> current() const;
  // Publishes `next`; a null `next` publishes an empty snapshot (current() stays non-null).
  void replace(std::shared_ptr<const NeighbourSnapshot> next);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const NeighbourSnapshot> current_;  // guarded by mutex_; never null
};

}  // namespace loyalty::core::personalization

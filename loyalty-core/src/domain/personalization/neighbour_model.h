// NeighbourModel: the collaborative half of the personalised-coupon scorer.
//
// Built in the background from a pool of shoppers' profile vectors (HabitProfile::vector()), it
// finds a shopper's k nearest pool members and averages their vectors into a "neighbour vector":
// what shoppers with similar habits buy, including items the shopper never bought (the explore
// part of a recommendation). As in TIFU-KNN (SIGIR 2020) nearness is the Euclidean distance of the
// decayed-frequency vectors by default; cosine similarity is available. The neighbour vector is
// truncated to its `topItems` largest weights: ranking K items with the Scorer is unchanged by the
// truncation as long as K + (excluded items) <= topItems (see scorer.h).
//
// Cost: build O(total pool entries); nearest() O(pool size + postings of the query's items);
// average() O(k * items per pool member). TaFeng (10k pool members, 12k items): about 0.2 ms per
// shopper (docs/personalization.md).
//
// Invariants of a built model: every pool vector is well-formed (sparse_vector.h); postings and
// member entries describe the same non-zero weights; norms match the vectors.
//
// Thread safety: immutable after build(); all const methods may run concurrently (they allocate
// their own scratch space).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "domain/personalization/sparse_vector.h"
#include "loyalty/base/result.h"

namespace loyalty::core::personalization {

enum class Similarity {
  kEuclidean,  // distance = |q - v|^2, as TIFU-KNN's published code (sklearn, brute force)
  kCosine,     // distance = 1 - cos(q, v)
};

struct NeighbourParams {
  // Neighbours averaged per shopper; k and the similarity were chosen with the decay and alpha.
  size_t k = 300;
  Similarity similarity = Similarity::kEuclidean;
  size_t topItems = 100;  // the neighbour vector keeps its topItems largest weights
};

struct PoolShopper {
  int64_t shopperId = 0;
  SparseVector vector;  // well-formed
};

struct Neighbour {
  size_t poolIndex = 0;
  int64_t shopperId = 0;
  double distance = 0;  // smaller is nearer
};

class NeighbourModel {
 public:
  // Errors: kInvalidValue when a pool vector is not well-formed or the pool has more than
  // 2^32 - 1 members or entries.
  static base::Result<NeighbourModel> build(const std::vector<PoolShopper>& pool,
                                            NeighbourParams params = NeighbourParams());

  size_t poolSize() const { return shopperIds_.size(); }
  const NeighbourParams& params() const { return params_; }

  // The k pool members nearest to `query`, nearest first (ties: lower pool index first); a member
  // whose shopperId equals selfId is skipped. Fewer than k when the pool is smaller.
  // Requires: query well-formed.
  std::vector<Neighbour> nearest(const SparseVector& query, size_t k,
                                 std::optional<int64_t> selfId = std::nullopt) const;

  // The mean of the neighbours' vectors (each member weighs 1 / neighbours.size()), truncated to
  // the topItems largest weights (ties: lower item id kept), sorted by item id.
  SparseVector average(const std::vector<Neighbour>& neighbours, size_t topItems) const;

  // average(nearest(query, params().k, selfId), params().topItems).
  SparseVector neighbourVector(const SparseVector& query,
                               std::optional<int64_t> selfId = std::nullopt) const;

 private:
  struct Posting {
    uint32_t member = 0;
    double weight = 0;
  };
  struct Entry {
    uint32_t item = 0;  // dense index into itemIds_
    double weight = 0;
  };

  NeighbourModel() = default;
  // Dense index of itemId, or -1 when no pool member has it.
  int64_t denseItem(int64_t itemId) const;

  NeighbourParams params_;
  std::vector<int64_t> shopperIds_;
  std::vector<double> squaredNorms_;
  std::vector<uint32_t> entryStart_;  // member m's entries: [entryStart_[m], entryStart_[m + 1])
  std::vector<Entry> entries_;
  std::vector<int64_t> itemIds_;        // sorted
  std::vector<uint32_t> postingStart_;  // item i's postings: [postingStart_[i], ...[i + 1])
  std::vector<Posting> postings_;
};

// The background job: the neighbour vector of each of `shoppers` (same order), each excluding the
// shopper itself from its neighbours.
std::vector<SparseVector> neighbourVectors(const NeighbourModel& model,
                                           const std::vector<PoolShopper>& shoppers);

}  // namespace loyalty::core::personalization

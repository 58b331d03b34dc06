// Scorer: ranks the items to offer a shopper, from their own habits and their neighbours'.
//
// score(i) = alpha * own(i) + (1 - alpha) * neighbour(i), where own is the profile's normalised
// decayed frequency (HabitProfile::vector()) and neighbour the precomputed neighbour vector
// (NeighbourModel). This is TIFU-KNN's blend (SIGIR 2020). Items the shopper has bought
// (held by the profile) are "repeat" items, the others "explore" items.
//
// Exactness of the truncated neighbour vector: an item outside the neighbour vector's topItems
// and outside the profile scores at most as much as each of those topItems items, so the top K is
// unchanged as long as K + |exclude| <= topItems (up to ties).
//
// Cost: O(|profile| + |neighbour vector| + candidates * log K); a few microseconds for a profile
// of 200 items (docs/personalization.md has the measurement).
//
// Thread safety: immutable; rank() may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "domain/personalization/habit_profile.h"
#include "domain/personalization/sparse_vector.h"

namespace loyalty::core::personalization {

struct ScorerParams {
  // Weight of the shopper's own habits against the neighbours', in [0, 1]. Chosen on the
  // validation users of the TaFeng folds (docs/personalization.md). It looks small, but own
  // weights reach 1 for an item in every basket while neighbour weights are means over k shoppers.
  double alpha = 0.1;
};

struct RankedItem {
  int64_t itemId = 0;
  double score = 0;
  bool repeat = false;  // the shopper bought it before (the profile holds it)
};

class Scorer {
 public:
  explicit Scorer(ScorerParams params = ScorerParams());

  const ScorerParams& params() const { return params_; }

  // The top k items by score (ties: lower item id first), none of them in `exclude`. When fewer
  // than k items have a score, the list is completed from `fallback` in its order (e.g. the
  // store's best sellers), with score 0, skipping excluded and already listed items.
  // Requires: neighbourVector well-formed.
  std::vector<RankedItem> rank(const HabitProfile& profile, const SparseVector& neighbourVector,
                               size_t k, const std::vector<int64_t>& exclude = {},
                               const std::vector<int64_t>& fallback = {}) const;

  // Every item of the profile or of the neighbour vector with its score, in item id order (not
  // ranked), skipping those in `excludeSorted`, which must be sorted ascending. rank() is this
  // followed by a partial sort; callers that filter as they go (chooseCoupons) rank lazily.
  // Requires: neighbourVector well-formed. O(|profile| + |neighbour vector|).
  std::vector<RankedItem> scoreAll(const HabitProfile& profile, const SparseVector& neighbourVector,
                                   const std::vector<int64_t>& excludeSorted = {}) const;

 private:
  ScorerParams params_;
};

}  // namespace loyalty::core::personalization

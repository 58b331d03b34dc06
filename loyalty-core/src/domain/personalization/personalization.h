// Personalization: the parameters of the whole method in one place, and the one-call helpers the
// core and loyalty-eval share (docs/personalization.md describes the method and how the
// defaults were chosen).
//
// Flow: each commit calls HabitProfile::update with the sale's basket; a background job builds a
// NeighbourModel over all profiles and stores each shopper's neighbour vector; at checkout the
// Scorer ranks items from the profile and the stored neighbour vector.
//
// Thread safety: plain values and re-entrant functions.
#pragma once

#include <cstdint>
#include <vector>

#include "domain/personalization/habit_profile.h"
#include "domain/personalization/neighbour_model.h"
#include "domain/personalization/scorer.h"
#include "domain/personalization/sparse_vector.h"
#include "loyalty/base/result.h"

namespace loyalty::core::personalization {

struct PersonalizationParams {
  ProfileParams profile;
  NeighbourParams neighbours;
  ScorerParams scorer;
};

// A profile fed with `baskets` in order (oldest first).
HabitProfile buildProfile(const std::vector<std::vector<int64_t>>& baskets,
                          const ProfileParams& params = ProfileParams());

struct ShopperProfile {
  int64_t shopperId = 0;
  const HabitProfile* profile = nullptr;  // not null
};

// The background job in one call: a NeighbourModel over all the profiles, then each shopper's
// neighbour vector (the shopper itself excluded), in the order given.
// Errors: those of NeighbourModel::build.
base::Result<std::vector<SparseVector>> neighbourVectorsFor(
    const std::vector<ShopperProfile>& shoppers, const NeighbourParams& params = NeighbourParams());

}  // namespace loyalty::core::personalization

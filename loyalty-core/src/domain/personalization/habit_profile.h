// HabitProfile: one shopper's buying habits, kept up to date one basket at a time.
//
// The profile is the "own" half of the personalised-coupon scorer (docs/personalization.md). It
// holds, for at most `capacity` items, a time-decayed purchase frequency: after n baskets the
// weight of item i is  w_i = sum over baskets b (0-based, oldest first) containing i of
// r^(n-1-b), with r = decayRate. The normalised vector w_i / sum_{j<n} r^j (vector()) lies in
// [0, 1]: 1 means "in every basket", and recent baskets count more. It is the exponential-decay
// form of TIFU-KNN's within-group and across-group decay (see the doc for the equivalence and the
// measurement). Beside the weight each item keeps its basket count and the first and last basket
// that held it, from which the typical repurchase interval follows.
//
// Invariants of a HabitProfile (checked by fromState/deserialize, kept by update):
//   1. items() is sorted by itemId, without duplicates, and holds at most capacity entries;
//   2. every entry has weight > 0, count >= 1 and 0 <= firstBasket <= lastBasket < basketCount;
//   3. 0 < decayRate <= 1 and capacity >= 1.
// When an update makes the profile exceed its capacity, the weakest items are dropped (lowest
// weight, then the one seen longest ago, then the highest item id), so the size stays bounded.
//
// Thread safety: a plain value. Distinct objects may be used from distinct threads; const
// methods may be called concurrently on one object, update() needs exclusive access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/personalization/sparse_vector.h"
#include "loyalty/base/result.h"

namespace loyalty::core::personalization {

struct ProfileParams {
  // Weight multiplier applied to every earlier basket when a new one arrives, in (0, 1].
  // Chosen on the validation users of the TaFeng folds (docs/personalization.md).
  double decayRate = 0.85;
  // Maximum number of items kept; the weakest are dropped beyond it.
  size_t capacity = 200;
};

struct ItemHabit {
  int64_t itemId = 0;
  double weight = 0;        // decayed frequency, sum of r^(age) over the baskets holding it
  int64_t count = 0;        // baskets holding the item since it entered the profile
  int64_t firstBasket = 0;  // index of the first of those baskets
  int64_t lastBasket = 0;   // index of the last of those baskets
};

// The persisted form of a profile, for a storage layer that prefers columns to a blob.
struct ProfileState {
  ProfileParams params;
  int64_t basketCount = 0;
  std::vector<ItemHabit> items;  // sorted by itemId
};

class HabitProfile {
 public:
  explicit HabitProfile(ProfileParams params = ProfileParams());

  // Adds the shopper's next basket. The basket is a set: repeated ids count once; an empty
  // basket still ages the profile. Cost: O(items kept + basket size * log(basket size)).
  void update(const std::vector<int64_t>& basket);

  const ProfileParams& params() const { return params_; }
  int64_t basketCount() const { return basketCount_; }
  // Sorted by itemId (invariant 1).
  const std::vector<ItemHabit>& items() const { return items_; }
  // The entry for itemId, or nullptr when the profile does not hold it.
  const ItemHabit* find(int64_t itemId) const;

  // sum_{j<n} r^j: the weight an item bought in every basket would have (0 when n = 0).
  double decayNorm() const;
  // The normalised decayed frequencies w_i / decayNorm(), sorted by itemId, all in (0, 1].
  SparseVector vector() const;
  // Mean number of baskets between two purchases of the item (0 when bought fewer than twice).
  static double repurchaseInterval(const ItemHabit& habit);

  ProfileState state() const;
  // Errors: kInvalidValue when the state breaks an invariant.
  static base::Result<HabitProfile> fromState(ProfileState state);

  // A compact byte string (about 14 bytes per item, little-endian, versioned).
  std::string serialize() const;
  // Errors: kInvalidValue for bytes that are not a serialised profile.
  static base::Result<HabitProfile> deserialize(std::string_view bytes);

 private:
  void evictWeakest();

  ProfileParams params_;
  int64_t basketCount_ = 0;
  std::vector<ItemHabit> items_;
};

}  // namespace loyalty::core::personalization

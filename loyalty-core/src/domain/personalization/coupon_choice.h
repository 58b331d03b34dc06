// chooseCoupons: the items a personalized coupon campaign offers one shopper at a commit.
//
// Two kinds of pick (docs/personalization.md, "Coupon selection at commit"):
//   - "repeat": an item the shopper's profile holds (bought before). DUE items come first, most
//     overdue first, then the other repeat items by Scorer score.
//   - "discover": an item the profile does not hold, by Scorer score (that is, by the neighbour
//     vector), then from the `popular` fallback ranking in its order (score 0).
// discover slots = round(count * discoverPercent / 100) (halves round up), the rest are repeat
// slots. When one kind runs out of candidates, the other fills the remaining slots.
//
// "Due": a repeat item with count >= 2 whose typical repurchase interval
//   interval = HabitProfile::repurchaseInterval(habit)   (mean baskets between purchases) > 0
// has come by the shopper's next visit:
//   sinceLast = basketCount - 1 - lastBasket             (baskets since the last purchase)
//   due       = sinceLast + 1 >= interval
//   overdue   = (sinceLast + 1) - interval               (>= 0; larger = more overdue)
// Ties in overdue go to the higher score, then the lower item id.
//
// Exclusions: an item is never chosen twice; unless allowBasketItems, no item of today's basket
// is chosen; an item is chosen only when eligible(itemId) is true (an empty std::function means
// "every item is eligible"). eligible is called at most once per candidate item.
//
// Inputs are never asserted on: count is clamped to kMaxCouponChoices (0 gives no choice),
// discoverPercent to [0, 100], and a neighbour vector that is not well-formed (sparse_vector.h)
// is ignored as if empty.
//
// Result order: the repeat picks (due first, then by score), then the discover picks (by score,
// then popular order). Deterministic: equal scores are ordered by lower item id.
//
// Cost: O(P) with P = profile items + neighbour vector entries (about 300): candidates are
// ranked lazily, in chunks, only as far as the eligible filter makes necessary; plus the popular
// items examined. About 10 to 20 µs (docs/personalization.md, "Coupon selection at commit").
//
// Thread safety: a pure function; it may run concurrently on shared const inputs as long as
// `eligible` is safe to call from the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "domain/personalization/habit_profile.h"
#include "domain/personalization/scorer.h"
#include "domain/personalization/sparse_vector.h"

namespace loyalty::core::personalization {

// The largest number of coupons one call chooses (Campaign::personalizedCount is 1..10).
constexpr size_t kMaxCouponChoices = 10;

struct ChoiceParams {
  size_t count = 1;               // coupons to choose, 1..10 (clamped to kMaxCouponChoices)
  int64_t discoverPercent = 20;   // share of "discover" picks (items the profile does not hold),
                                  // round(count * discoverPercent / 100); the rest are "repeat"
  bool allowBasketItems = false;  // when false, items of today's basket are never chosen
};

struct CouponChoice {
  int64_t itemId = 0;
  bool repeat = false;  // the shopper bought it before (the profile holds it)
  bool due = false;     // repeat item whose typical repurchase interval has come (see above)
  double score = 0;     // Scorer score (0 for a pick from `popular`)
};

// Chooses params.count distinct items for one shopper. `profile` is the shopper's profile
// (already updated with today's basket), `neighbourVector` their precomputed neighbour vector
// (may be empty), `basket` today's item ids, `eligible(itemId)` says whether an item may be
// offered (known product, in the campaign's category, ...), `popular` is a fallback ranking.
// Repeat slots go first to DUE items (most overdue first), then by Scorer score; discover slots
// by score among items not in the profile, then from `popular`. When one kind runs out, the
// other fills the slots. Deterministic (ties by lower item id). Fewer than count items when
// there are not enough candidates.
std::vector<CouponChoice> chooseCoupons(const HabitProfile& profile,
                                        const SparseVector& neighbourVector, const Scorer& scorer,
                                        const ChoiceParams& params,
                                        const std::vector<int64_t>& basket,
                                        const std::function<bool(int64_t)>& eligible,
                                        const std::vector<int64_t>& popular);

// The number of discover slots among `count`: round(count * discoverPercent / 100), halves up,
// with count clamped to kMaxCouponChoices and discoverPercent to [0, 100].
size_t discoverSlots(size_t count, int64_t discoverPercent);

// Whether a profile entry is due at the shopper's next visit (see above), and by how much.
// isDue is false for items bought fewer than twice; overdueBy is meaningful only when isDue.
bool isDue(const HabitProfile& profile, const ItemHabit& habit);
double overdueBy(const HabitProfile& profile, const ItemHabit& habit);

}  // namespace loyalty::core::personalization

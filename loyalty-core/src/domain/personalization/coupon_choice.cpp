#include "domain/personalization/coupon_choice.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace loyalty::core::personalization {
namespace {

struct Candidate {
  int64_t itemId = 0;
  double score = 0;
  bool repeat = false;
  bool due = false;
  double overdue = 0;
};

// A candidate list ranked lazily: the next best is found on demand, partial-sorting a chunk
// (8, 16, 32, ... items) of the rest at a time. Choosing 3 coupons among 300 candidates then
// costs a linear pass instead of a full sort, and an eligible filter that rejects many items
// still gets them in order. `Better` is a strict total order (ties end on the item id).
template <typename Better>
class LazyRanking {
 public:
  LazyRanking(std::vector<Candidate> items, Better better)
      : items_(std::move(items)), better_(better) {}

  // The next best candidate, or nullptr when none is left.
  const Candidate* next() {
    if (next_ == items_.size()) {
      return nullptr;
    }
    if (next_ == sorted_) {
      const size_t chunk = std::max<size_t>(8, sorted_);
      const size_t middle = std::min(items_.size(), sorted_ + chunk);
      std::partial_sort(items_.begin() + static_cast<std::ptrdiff_t>(sorted_),
                        items_.begin() + static_cast<std::ptrdiff_t>(middle), items_.end(),
                        better_);
      sorted_ = middle;
    }
    return &items_[next_++];
  }

 private:
  std::vector<Candidate> items_;
  Better better_;
  size_t sorted_ = 0;  // items_[0, sorted_) are in order
  size_t next_ = 0;    // items_[0, next_) were handed out
};

// Better score first, then lower item id.
bool byScore(const Candidate& a, const Candidate& b) {
  return a.score != b.score ? a.score > b.score : a.itemId < b.itemId;
}

// Due items first, most overdue first, then by score; the rest by score.
bool byDueThenScore(const Candidate& a, const Candidate& b) {
  if (a.due != b.due) {
    return a.due;
  }
  if (a.due && a.overdue != b.overdue) {
    return a.overdue > b.overdue;
  }
  return byScore(a, b);
}

// Appends up to `want` eligible candidates of `ranking` to out; eligible is asked once per item.
template <typename Ranking>
void take(Ranking& ranking, size_t want, const std::function<bool(int64_t)>& eligible,
          std::vector<CouponChoice>& out) {
  size_t taken = 0;
  while (taken < want) {
    const Candidate* c = ranking.next();
    if (c == nullptr) {
      return;
    }
    if (eligible && !eligible(c->itemId)) {
      continue;
    }
    out.push_back(CouponChoice{c->itemId, c->repeat, c->due, c->score});
    ++taken;
  }
}

}  // namespace

size_t discoverSlots(size_t count, int64_t discoverPercent) {
  const auto n = static_cast<int64_t>(std::min(count, kMaxCouponChoices));
  const int64_t p = std::clamp<int64_t>(discoverPercent, 0, 100);
  return static_cast<size_t>((n * p + 50) / 100);
}

bool isDue(const HabitProfile& profile, const ItemHabit& habit) {
  const double interval = HabitProfile::repurchaseInterval(habit);
  if (habit.count < 2 || !(interval > 0)) {
    return false;
  }
  return overdueBy(profile, habit) >= 0;
}

double overdueBy(const HabitProfile& profile, const ItemHabit& habit) {
  const int64_t sinceLast = profile.basketCount() - 1 - habit.lastBasket;
  return static_cast<double>(sinceLast + 1) - HabitProfile::repurchaseInterval(habit);
}

std::vector<CouponChoice> chooseCoupons(const HabitProfile& profile,
                                        const SparseVector& neighbourVector, const Scorer& scorer,
                                        const ChoiceParams& params,
                                        const std::vector<int64_t>& basket,
                                        const std::function<bool(int64_t)>& eligible,
                                        const std::vector<int64_t>& popular) {
  std::vector<CouponChoice> out;
  const size_t count = std::min(params.count, kMaxCouponChoices);
  if (count == 0) {
    return out;
  }
  const size_t discoverWanted = discoverSlots(count, params.discoverPercent);
  const size_t repeatWanted = count - discoverWanted;

  static const SparseVector kEmpty;
  const SparseVector& neighbours = isWellFormed(neighbourVector) ? neighbourVector : kEmpty;
  std::vector<int64_t> excluded;
  if (!params.allowBasketItems) {
    excluded = basket;
    std::sort(excluded.begin(), excluded.end());
    excluded.erase(std::unique(excluded.begin(), excluded.end()), excluded.end());
  }
  auto isExcluded = [&](int64_t id) {
    return std::binary_search(excluded.begin(), excluded.end(), id);
  };

  // Every scored item (profile and neighbour vector), in item id order, like the profile.
  const std::vector<RankedItem> scored = scorer.scoreAll(profile, neighbours, excluded);
  const std::vector<ItemHabit>& habits = profile.items();
  std::vector<Candidate> repeats;
  std::vector<Candidate> discovers;
  repeats.reserve(habits.size());
  discovers.reserve(neighbours.size());
  size_t h = 0;
  for (const RankedItem& r : scored) {
    if (!r.repeat) {
      discovers.push_back(Candidate{r.itemId, r.score, false, false, 0});
      continue;
    }
    while (h < habits.size() && habits[h].itemId < r.itemId) {
      ++h;
    }
    Candidate c{r.itemId, r.score, true, false, 0};
    if (h < habits.size() && isDue(profile, habits[h])) {
      c.due = true;
      c.overdue = overdueBy(profile, habits[h]);
    }
    repeats.push_back(c);
  }

  LazyRanking repeatRanking(std::move(repeats), byDueThenScore);
  LazyRanking discoverRanking(std::move(discovers), byScore);
  take(repeatRanking, repeatWanted, eligible, out);

  // Discover: scored items first, then the popular fallback (items the profile does not hold,
  // not excluded, not in the neighbour vector - those were scored - and not seen before).
  const size_t discoverTarget = count - out.size();
  const size_t before = out.size();
  take(discoverRanking, discoverTarget, eligible, out);
  std::unordered_set<int64_t> seenPopular;
  for (size_t i = 0; i < popular.size() && out.size() - before < discoverTarget; ++i) {
    const int64_t id = popular[i];
    if (profile.find(id) != nullptr || isExcluded(id) || weightOf(neighbours, id) > 0) {
      continue;
    }
    if (!seenPopular.insert(id).second) {
      continue;
    }
    if (eligible && !eligible(id)) {
      continue;
    }
    out.push_back(CouponChoice{id, false, false, 0.0});
  }

  // Discover ran short: repeat items fill the remaining slots.
  take(repeatRanking, count - out.size(), eligible, out);

  // Repeat picks first (due first, then by score), then discover picks, as documented.
  std::stable_partition(out.begin(), out.end(), [](const CouponChoice& c) { return c.repeat; });
  return out;
}

}  // namespace loyalty::core::personalization

#include "domain/personalization/scorer.h"

#include <algorithm>

namespace loyalty::core::personalization {

Scorer::Scorer(ScorerParams params) : params_(params) {}

std::vector<RankedItem> Scorer::scoreAll(const HabitProfile& profile,
                                         const SparseVector& neighbourVector,
                                         const std::vector<int64_t>& excludeSorted) const {
  const double alpha = params_.alpha;
  const double norm = profile.decayNorm();
  const std::vector<ItemHabit>& own = profile.items();
  std::vector<RankedItem> candidates;
  candidates.reserve(own.size() + neighbourVector.size());
  // Merge of two lists sorted by item id; the exclusions are sorted too, walked alongside.
  size_t a = 0;
  size_t b = 0;
  size_t x = 0;
  while (a < own.size() || b < neighbourVector.size()) {
    RankedItem item;
    if (b == neighbourVector.size() ||
        (a < own.size() && own[a].itemId < neighbourVector[b].itemId)) {
      item = RankedItem{own[a].itemId, alpha * own[a].weight / norm, true};
      ++a;
    } else if (a == own.size() || neighbourVector[b].itemId < own[a].itemId) {
      item = RankedItem{neighbourVector[b].itemId, (1 - alpha) * neighbourVector[b].weight, false};
      ++b;
    } else {
      item =
          RankedItem{own[a].itemId,
                     alpha * own[a].weight / norm + (1 - alpha) * neighbourVector[b].weight, true};
      ++a;
      ++b;
    }
    while (x < excludeSorted.size() && excludeSorted[x] < item.itemId) {
      ++x;
    }
    if (x < excludeSorted.size() && excludeSorted[x] == item.itemId) {
      continue;
    }
    candidates.push_back(item);
  }
  return candidates;
}

std::vector<RankedItem> Scorer::rank(const HabitProfile& profile,
                                     const SparseVector& neighbourVector, size_t k,
                                     const std::vector<int64_t>& exclude,
                                     const std::vector<int64_t>& fallback) const {
  std::vector<RankedItem> out;
  if (k == 0) {
    return out;
  }
  std::vector<int64_t> excluded = exclude;
  std::sort(excluded.begin(), excluded.end());
  auto isExcluded = [&](int64_t id) {
    return std::binary_search(excluded.begin(), excluded.end(), id);
  };

  std::vector<RankedItem> candidates = scoreAll(profile, neighbourVector, excluded);
  auto better = [](const RankedItem& x, const RankedItem& y) {
    return x.score != y.score ? x.score > y.score : x.itemId < y.itemId;
  };
  const size_t take = std::min(k, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(take),
                    candidates.end(), better);
  candidates.resize(take);
  out = std::move(candidates);

  for (size_t f = 0; f < fallback.size() && out.size() < k; ++f) {
    const int64_t id = fallback[f];
    if (isExcluded(id)) {
      continue;
    }
    const bool listed =
        std::any_of(out.begin(), out.end(), [&](const RankedItem& r) { return r.itemId == id; });
    if (!listed) {
      out.push_back(RankedItem{id, 0.0, profile.find(id) != nullptr});
    }
  }
  return out;
}

}  // namespace loyalty::core::personalization

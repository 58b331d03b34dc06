#include "domain/personalization/neighbour_book.h"

#include <algorithm>
#include <unordered_set>

#include "domain/personalization/habit_profile.h"

namespace loyalty::core::personalization {
namespace {

// The pool's items by total weight, heaviest first, ties by lower item id, at most kMaxPopular.
std::vector<int64_t> popularItems(const std::vector<PoolShopper>& pool) {
  std::unordered_map<int64_t, double> totals;
  for (const PoolShopper& s : pool) {
    for (const SparseEntry& e : s.vector) {
      totals[e.itemId] += e.weight;
    }
  }
  std::vector<std::pair<int64_t, double>> items(totals.begin(), totals.end());
  auto heavier = [](const std::pair<int64_t, double>& a, const std::pair<int64_t, double>& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  const size_t keep = std::min(kMaxPopular, items.size());
  std::partial_sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(keep), items.end(),
                    heavier);
  std::vector<int64_t> out;
  out.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    out.push_back(items[i].first);
  }
  return out;
}

}  // namespace

NeighbourBook::NeighbourBook() : current_(std::make_shared<const NeighbourSnapshot>()) {}

std::shared_ptr<const NeighbourSnapshot> NeighbourBook::build(
    const std::vector<std::pair<int64_t, std::string>>& profiles, NeighbourParams params,
    int64_t nowMs) {
  std::vector<PoolShopper> pool;
  pool.reserve(profiles.size());
  std::unordered_set<int64_t> seen;
  for (const auto& [customerId, bytes] : profiles) {
    if (!seen.insert(customerId).second) {
      continue;
    }
    auto profile = HabitProfile::deserialize(bytes);
    if (!profile.ok() || profile->items().empty()) {
      continue;
    }
    SparseVector vector = profile->vector();
    if (!isWellFormed(vector)) {
      continue;
    }
    pool.push_back(PoolShopper{customerId, std::move(vector)});
  }

  auto snapshot = std::make_shared<NeighbourSnapshot>();
  snapshot->builtAtMs = nowMs;
  snapshot->poolSize = pool.size();
  snapshot->popular = popularItems(pool);
  auto model = NeighbourModel::build(pool, params);
  if (model.ok()) {
    snapshot->vectors.reserve(pool.size());
    for (const PoolShopper& s : pool) {
      snapshot->vectors.emplace(s.shopperId, model->neighbourVector(s.vector, s.shopperId));
    }
  }
  return snapshot;
}

std::shared_ptr<const NeighbourSnapshot> NeighbourBook::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void NeighbourBook::replace(std::shared_ptr<const NeighbourSnapshot> next) {
  if (!next) {
    next = std::make_shared<const NeighbourSnapshot>();
  }
  std::shared_ptr<const NeighbourSnapshot> previous;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    previous = std::move(current_);
    current_ = std::move(next);
  }
  // `previous` is released here, outside the lock: freeing a large snapshot does not block readers.
}

}  // namespace loyalty::core::personalization

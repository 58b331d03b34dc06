#include "domain/personalization/neighbour_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace loyalty::core::personalization {
namespace {

constexpr size_t kMaxIndex = std::numeric_limits<uint32_t>::max();

struct Candidate {
  double distance = 0;
  uint32_t member = 0;
  bool operator<(const Candidate& o) const {
    return distance != o.distance ? distance < o.distance : member < o.member;
  }
};

double squaredNorm(const SparseVector& v) {
  double s = 0;
  for (const SparseEntry& e : v) {
    s += e.weight * e.weight;
  }
  return s;
}

}  // namespace

base::Result<NeighbourModel> NeighbourModel::build(const std::vector<PoolShopper>& pool,
                                                   NeighbourParams params) {
  size_t total = 0;
  for (const PoolShopper& s : pool) {
    if (!isWellFormed(s.vector)) {
      return base::makeError(base::ErrorCode::kInvalidValue,
                             "neighbour pool: the vector of shopper " +
                                 std::to_string(s.shopperId) + " is not well-formed");
    }
    total += s.vector.size();
  }
  if (pool.size() >= kMaxIndex || total >= kMaxIndex) {
    return base::makeError(base::ErrorCode::kInvalidValue, "neighbour pool too large");
  }

  NeighbourModel model;
  model.params_ = params;
  std::vector<int64_t>& items = model.itemIds_;
  items.reserve(total);
  for (const PoolShopper& s : pool) {
    for (const SparseEntry& e : s.vector) {
      items.push_back(e.itemId);
    }
  }
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());

  model.shopperIds_.reserve(pool.size());
  model.squaredNorms_.reserve(pool.size());
  model.entryStart_.reserve(pool.size() + 1);
  model.entries_.reserve(total);
  std::vector<uint32_t> postingCount(items.size() + 1, 0);
  for (const PoolShopper& s : pool) {
    model.shopperIds_.push_back(s.shopperId);
    model.squaredNorms_.push_back(squaredNorm(s.vector));
    model.entryStart_.push_back(static_cast<uint32_t>(model.entries_.size()));
    for (const SparseEntry& e : s.vector) {
      const auto item = static_cast<uint32_t>(model.denseItem(e.itemId));
      model.entries_.push_back(Entry{item, e.weight});
      ++postingCount[item + 1];
    }
  }
  model.entryStart_.push_back(static_cast<uint32_t>(model.entries_.size()));

  // Postings in CSR form, each item's list in pool order.
  model.postingStart_.assign(items.size() + 1, 0);
  for (size_t i = 0; i < items.size(); ++i) {
    model.postingStart_[i + 1] = model.postingStart_[i] + postingCount[i + 1];
  }
  model.postings_.resize(model.entries_.size());
  std::vector<uint32_t> fill(model.postingStart_.begin(), model.postingStart_.end() - 1);
  for (size_t m = 0; m < model.shopperIds_.size(); ++m) {
    for (uint32_t e = model.entryStart_[m]; e < model.entryStart_[m + 1]; ++e) {
      const Entry& entry = model.entries_[e];
      model.postings_[fill[entry.item]++] = Posting{static_cast<uint32_t>(m), entry.weight};
    }
  }
  return model;
}

int64_t NeighbourModel::denseItem(int64_t itemId) const {
  auto it = std::lower_bound(itemIds_.begin(), itemIds_.end(), itemId);
  if (it == itemIds_.end() || *it != itemId) {
    return -1;
  }
  return it - itemIds_.begin();
}

std::vector<Neighbour> NeighbourModel::nearest(const SparseVector& query, size_t k,
                                               std::optional<int64_t> selfId) const {
  const size_t n = shopperIds_.size();
  std::vector<double> dots(n, 0.0);
  for (const SparseEntry& q : query) {
    const int64_t item = denseItem(q.itemId);
    if (item < 0) {
      continue;
    }
    const auto i = static_cast<size_t>(item);
    for (uint32_t p = postingStart_[i]; p < postingStart_[i + 1]; ++p) {
      dots[postings_[p].member] += q.weight * postings_[p].weight;
    }
  }
  const double q2 = squaredNorm(query);
  const double qNorm = std::sqrt(q2);

  std::vector<Candidate> candidates;
  candidates.reserve(n);
  for (size_t m = 0; m < n; ++m) {
    if (selfId && shopperIds_[m] == *selfId) {
      continue;
    }
    double distance = 0;
    if (params_.similarity == Similarity::kEuclidean) {
      distance = std::max(0.0, q2 + squaredNorms_[m] - 2 * dots[m]);
    } else {
      const double denominator = qNorm * std::sqrt(squaredNorms_[m]);
      distance = denominator > 0 ? 1.0 - dots[m] / denominator : 1.0;
    }
    candidates.push_back(Candidate{distance, static_cast<uint32_t>(m)});
  }
  const size_t take = std::min(k, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(take),
                    candidates.end());
  std::vector<Neighbour> result;
  result.reserve(take);
  for (size_t i = 0; i < take; ++i) {
    const uint32_t m = candidates[i].member;
    result.push_back(Neighbour{m, shopperIds_[m], candidates[i].distance});
  }
  return result;
}

SparseVector NeighbourModel::average(const std::vector<Neighbour>& neighbours,
                                     size_t topItems) const {
  SparseVector out;
  if (neighbours.empty() || topItems == 0) {
    return out;
  }
  std::vector<double> sums(itemIds_.size(), 0.0);
  std::vector<uint32_t> touched;
  for (const Neighbour& nb : neighbours) {
    for (uint32_t e = entryStart_[nb.poolIndex]; e < entryStart_[nb.poolIndex + 1]; ++e) {
      const Entry& entry = entries_[e];
      if (sums[entry.item] == 0) {
        touched.push_back(entry.item);
      }
      sums[entry.item] += entry.weight;
    }
  }
  // Heaviest first; equal weights: lower item id (= lower dense index) first.
  auto heavier = [&](uint32_t a, uint32_t b) {
    return sums[a] != sums[b] ? sums[a] > sums[b] : a < b;
  };
  const size_t keep = std::min(topItems, touched.size());
  std::partial_sort(touched.begin(), touched.begin() + static_cast<std::ptrdiff_t>(keep),
                    touched.end(), heavier);
  touched.resize(keep);
  std::sort(touched.begin(), touched.end());
  const double scale = 1.0 / static_cast<double>(neighbours.size());
  out.reserve(keep);
  for (uint32_t item : touched) {
    out.push_back(SparseEntry{itemIds_[item], sums[item] * scale});
  }
  return out;
}

SparseVector NeighbourModel::neighbourVector(const SparseVector& query,
                                             std::optional<int64_t> selfId) const {
  return average(nearest(query, params_.k, selfId), params_.topItems);
}

std::vector<SparseVector> neighbourVectors(const NeighbourModel& model,
                                           const std::vector<PoolShopper>& shoppers) {
  std::vector<SparseVector> out;
  out.reserve(shoppers.size());
  for (const PoolShopper& s : shoppers) {
    out.push_back(model.neighbourVector(s.vector, s.shopperId));
  }
  return out;
}

}  // namespace loyalty::core::personalization

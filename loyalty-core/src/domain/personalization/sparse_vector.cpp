#include "domain/personalization/sparse_vector.h"

#include <algorithm>
#include <cmath>

namespace loyalty::core::personalization {

bool isWellFormed(const SparseVector& v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0 && v[i - 1].itemId >= v[i].itemId) {
      return false;
    }
    if (!(std::isfinite(v[i].weight) && v[i].weight > 0)) {
      return false;
    }
  }
  return true;
}

double weightOf(const SparseVector& v, int64_t itemId) {
  auto it = std::lower_bound(v.begin(), v.end(), itemId,
                             [](const SparseEntry& e, int64_t id) { return e.itemId < id; });
  if (it == v.end() || it->itemId != itemId) {
    return 0;
  }
  return it->weight;
}

}  // namespace loyalty::core::personalization

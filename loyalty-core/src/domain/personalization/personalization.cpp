#include "domain/personalization/personalization.h"

namespace loyalty::core::personalization {

HabitProfile buildProfile(const std::vector<std::vector<int64_t>>& baskets,
                          const ProfileParams& params) {
  HabitProfile profile(params);
  for (const auto& basket : baskets) {
    profile.update(basket);
  }
  return profile;
}

base::Result<std::vector<SparseVector>> neighbourVectorsFor(
    const std::vector<ShopperProfile>& shoppers, const NeighbourParams& params) {
  std::vector<PoolShopper> pool;
  pool.reserve(shoppers.size());
  for (const ShopperProfile& s : shoppers) {
    pool.push_back(PoolShopper{s.shopperId, s.profile->vector()});
  }
  auto model = NeighbourModel::build(pool, params);
  if (!model) {
    return model.error();
  }
  return neighbourVectors(model.value(), pool);
}

}  // namespace loyalty::core::personalization

// NeighbourModel: nearest neighbours and neighbour vectors on hand-computed examples.
#include "domain/personalization/neighbour_model.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

namespace pz = loyalty::core::personalization;

namespace {

// A = {1}, B = {1, 2}, C = {3}, all weights 1.
std::vector<pz::PoolShopper> smallPool() {
  return {
      {100, {{1, 1.0}}},
      {200, {{1, 1.0}, {2, 1.0}}},
      {300, {{3, 1.0}}},
  };
}

pz::NeighbourModel build(const std::vector<pz::PoolShopper>& pool, pz::NeighbourParams params) {
  auto model = pz::NeighbourModel::build(pool, params);
  REQUIRE(model.ok());
  return std::move(model.value());
}

}  // namespace

TEST_CASE("NeighbourModel: Euclidean neighbours in distance order", "[personalization]") {
  const pz::NeighbourModel model = build(smallPool(), pz::NeighbourParams());
  CHECK(model.poolSize() == 3);
  // Query {1}: |q-A|^2 = 0, |q-B|^2 = 1, |q-C|^2 = 2.
  const auto nearest = model.nearest({{1, 1.0}}, 3);
  REQUIRE(nearest.size() == 3);
  CHECK(nearest[0].shopperId == 100);
  CHECK(nearest[0].distance == Approx(0).margin(1e-12));
  CHECK(nearest[1].shopperId == 200);
  CHECK(nearest[1].distance == Approx(1));
  CHECK(nearest[2].shopperId == 300);
  CHECK(nearest[2].distance == Approx(2));

  // The shopper itself is never its own neighbour.
  const auto others = model.nearest({{1, 1.0}}, 2, int64_t{100});
  REQUIRE(others.size() == 2);
  CHECK(others[0].shopperId == 200);
  CHECK(others[1].shopperId == 300);
}

TEST_CASE("NeighbourModel: cosine neighbours", "[personalization]") {
  pz::NeighbourParams params;
  params.similarity = pz::Similarity::kCosine;
  const pz::NeighbourModel model = build(smallPool(), params);
  // Query {1, 2}: cos(B) = 1, cos(A) = 1/sqrt(2), cos(C) = 0.
  const auto nearest = model.nearest({{1, 1.0}, {2, 1.0}}, 3);
  REQUIRE(nearest.size() == 3);
  CHECK(nearest[0].shopperId == 200);
  CHECK(nearest[1].shopperId == 100);
  CHECK(nearest[1].distance == Approx(1 - 1 / std::sqrt(2.0)));
  CHECK(nearest[2].shopperId == 300);
}

TEST_CASE("NeighbourModel: the neighbour vector averages and truncates", "[personalization]") {
  pz::NeighbourParams params;
  params.k = 2;
  const pz::NeighbourModel model = build(smallPool(), params);
  // Neighbours of {1}: A and B -> item 1: (1 + 1) / 2, item 2: (0 + 1) / 2.
  const pz::SparseVector v = model.neighbourVector({{1, 1.0}});
  REQUIRE(v.size() == 2);
  CHECK(v[0].itemId == 1);
  CHECK(v[0].weight == Approx(1.0));
  CHECK(v[1].itemId == 2);
  CHECK(v[1].weight == Approx(0.5));
  CHECK(pz::isWellFormed(v));

  const auto nearest = model.nearest({{1, 1.0}}, 2);
  const pz::SparseVector top1 = model.average(nearest, 1);
  REQUIRE(top1.size() == 1);
  CHECK(top1[0].itemId == 1);
  CHECK(model.average({}, 10).empty());
}

TEST_CASE("NeighbourModel: neighbours bring items the shopper never bought", "[personalization]") {
  // Shoppers who buy milk (1) also buy bread (2); the query has only bought milk.
  std::vector<pz::PoolShopper> pool;
  for (int64_t id = 0; id < 20; ++id) {
    pool.push_back({id, {{1, 0.9}, {2, 0.8}}});
  }
  for (int64_t id = 20; id < 40; ++id) {
    pool.push_back({id, {{5, 0.9}, {6, 0.9}}});
  }
  pz::NeighbourParams params;
  params.k = 10;
  const pz::NeighbourModel model = build(pool, params);
  const pz::SparseVector v = model.neighbourVector({{1, 1.0}});
  CHECK(pz::weightOf(v, 2) == Approx(0.8));
  CHECK(pz::weightOf(v, 5) == 0);
}

TEST_CASE("NeighbourModel: deterministic for the same pool", "[personalization]") {
  std::mt19937_64 rng(7);
  std::vector<pz::PoolShopper> pool;
  for (int64_t id = 0; id < 200; ++id) {
    pz::SparseVector v;
    int64_t item = 0;
    for (int i = 0; i < 8; ++i) {
      item += 1 + static_cast<int64_t>(rng() % 30);
      v.push_back({item, 0.1 + static_cast<double>(rng() % 90) / 100});
    }
    pool.push_back({id, v});
  }
  pz::NeighbourParams params;
  params.k = 25;
  const pz::NeighbourModel a = build(pool, params);
  const pz::NeighbourModel b = build(pool, params);
  const auto va = pz::neighbourVectors(a, pool);
  const auto vb = pz::neighbourVectors(b, pool);
  REQUIRE(va.size() == pool.size());
  CHECK(va == vb);
  CHECK(pz::neighbourVectors(a, pool) == va);
  for (const auto& v : va) {
    CHECK(pz::isWellFormed(v));
    CHECK(v.size() <= params.topItems);
  }
}

TEST_CASE("NeighbourModel: ill-formed pool vectors are refused", "[personalization]") {
  const std::vector<pz::PoolShopper> unsorted = {{1, {{5, 1.0}, {2, 1.0}}}};
  CHECK_FALSE(pz::NeighbourModel::build(unsorted).ok());
  const std::vector<pz::PoolShopper> zero = {{1, {{5, 0.0}}}};
  CHECK_FALSE(pz::NeighbourModel::build(zero).ok());
  auto empty = pz::NeighbourModel::build({});
  REQUIRE(empty.ok());
  CHECK(empty->nearest({{1, 1.0}}, 5).empty());
  CHECK(empty->neighbourVector({{1, 1.0}}).empty());
}

// Scorer: the blend of own habits and neighbours, exclusions and fallback.
#include "domain/personalization/scorer.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "domain/personalization/personalization.h"

namespace pz = loyalty::core::personalization;

namespace {

pz::Scorer scorerWithAlpha(double alpha) {
  pz::ScorerParams params;
  params.alpha = alpha;
  return pz::Scorer(params);
}

}  // namespace

TEST_CASE("Scorer: an item bought again and again ranks first", "[personalization]") {
  // Coffee (42) in every basket, other items once each.
  const pz::HabitProfile profile = pz::buildProfile({{42, 1}, {2, 42}, {42, 3}, {4, 42}, {42, 5}});
  const auto ranked = pz::Scorer().rank(profile, {}, 3);
  REQUIRE(ranked.size() == 3);
  CHECK(ranked[0].itemId == 42);
  CHECK(ranked[0].repeat);
  CHECK(ranked[0].score > ranked[1].score);
  // Recent one-off items outrank older ones.
  CHECK(ranked[1].itemId == 5);
  CHECK(ranked[2].itemId == 4);
}

TEST_CASE("Scorer: score is the alpha blend of own and neighbour weights", "[personalization]") {
  pz::ProfileParams noDecay;
  noDecay.decayRate = 1.0;
  const pz::HabitProfile profile =
      pz::buildProfile({{1, 2}, {1}}, noDecay);  // own: 1 -> 1, 2 -> 0.5
  const pz::SparseVector neighbours = {{2, 0.4}, {9, 0.8}};
  const auto ranked = scorerWithAlpha(0.5).rank(profile, neighbours, 10);
  REQUIRE(ranked.size() == 3);
  CHECK(ranked[0].itemId == 1);
  CHECK(ranked[0].score == Approx(0.5));
  CHECK(ranked[1].itemId == 2);
  CHECK(ranked[1].score == Approx(0.5 * 0.5 + 0.5 * 0.4));
  CHECK(ranked[1].repeat);
  CHECK(ranked[2].itemId == 9);
  CHECK(ranked[2].score == Approx(0.4));
  CHECK_FALSE(ranked[2].repeat);
}

TEST_CASE("Scorer: neighbours contribute explore items", "[personalization]") {
  const pz::HabitProfile profile = pz::buildProfile({{1}, {2}});
  // What similar shoppers buy a lot, which this shopper never bought.
  const pz::SparseVector neighbours = {{1, 0.1}, {77, 0.9}};
  const auto ranked = pz::Scorer().rank(profile, neighbours, 2);
  REQUIRE(ranked.size() == 2);
  bool sawExplore = false;
  for (const auto& item : ranked) {
    if (item.itemId == 77) {
      sawExplore = true;
      CHECK_FALSE(item.repeat);
    }
  }
  CHECK(sawExplore);
  // With alpha = 1 neighbours are ignored.
  const auto ownOnly = scorerWithAlpha(1.0).rank(profile, neighbours, 2);
  for (const auto& item : ownOnly) {
    CHECK(item.itemId != 77);
  }
}

TEST_CASE("Scorer: excluded items never appear; the fallback fills up", "[personalization]") {
  const pz::HabitProfile profile = pz::buildProfile({{1, 2, 3}});
  const auto ranked = pz::Scorer().rank(profile, {{4, 0.5}}, 6, {2, 4}, {9, 1, 8, 2, 7});
  std::vector<int64_t> ids;
  for (const auto& r : ranked) {
    ids.push_back(r.itemId);
  }
  // Scored: 1 and 3 (ties by id); then fallback 9, 8, 7 (1 already listed, 2 excluded).
  CHECK(ids == std::vector<int64_t>{1, 3, 9, 8, 7});
  CHECK(ranked[2].score == 0);
  CHECK(pz::Scorer().rank(profile, {}, 0).empty());
  CHECK(pz::Scorer().rank(pz::HabitProfile(), {}, 3).empty());
}

TEST_CASE("Scorer: the same inputs give the same ranking", "[personalization]") {
  const pz::HabitProfile profile = pz::buildProfile({{5, 6, 7}, {7, 8}, {5, 9}});
  const pz::SparseVector neighbours = {{1, 0.3}, {5, 0.2}, {10, 0.3}, {11, 0.05}};
  const auto a = pz::Scorer().rank(profile, neighbours, 5);
  const auto b = pz::Scorer().rank(profile, neighbours, 5);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].itemId == b[i].itemId);
    CHECK(a[i].score == b[i].score);
  }
  // Equal scores are ordered by item id.
  for (size_t i = 1; i < a.size(); ++i) {
    CHECK((a[i - 1].score > a[i].score ||
           (a[i - 1].score == a[i].score && a[i - 1].itemId < a[i].itemId)));
  }
}

TEST_CASE("Personalization: profiles, neighbour job and scorer end to end", "[personalization]") {
  // Three coffee drinkers who also buy milk, and a shopper who has only bought coffee so far.
  const pz::HabitProfile a = pz::buildProfile({{1, 2}, {1, 2}, {1}});
  const pz::HabitProfile b = pz::buildProfile({{1, 2}, {2}, {1, 2}});
  const pz::HabitProfile c = pz::buildProfile({{1, 2, 3}});
  const pz::HabitProfile d = pz::buildProfile({{1}, {1}});
  const pz::HabitProfile tea = pz::buildProfile({{8, 9}, {8}});
  pz::NeighbourParams params;
  params.k = 3;
  auto vectors = pz::neighbourVectorsFor({{1, &a}, {2, &b}, {3, &c}, {4, &d}, {5, &tea}}, params);
  REQUIRE(vectors.ok());
  REQUIRE(vectors->size() == 5);
  const auto ranked = pz::Scorer().rank(d, vectors.value()[3], 2);
  REQUIRE(ranked.size() == 2);
  CHECK(ranked[0].itemId == 1);  // coffee, always bought
  CHECK(ranked[0].repeat);
  CHECK(ranked[1].itemId == 2);  // milk, from the neighbours
  CHECK_FALSE(ranked[1].repeat);
}

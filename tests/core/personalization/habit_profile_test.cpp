// HabitProfile: decay on hand-computed examples, bounded size, persistence.
#include "domain/personalization/habit_profile.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "domain/personalization/personalization.h"

namespace pz = loyalty::core::personalization;
using loyalty::base::ErrorCode;

namespace {

pz::HabitProfile profileWithDecay(double r, size_t capacity = 200) {
  pz::ProfileParams params;
  params.decayRate = r;
  params.capacity = capacity;
  return pz::HabitProfile(params);
}

// A profile fed with random baskets from a seeded generator.
pz::HabitProfile randomProfile(uint64_t seed, int baskets, size_t capacity = 200) {
  std::mt19937_64 rng(seed);
  pz::HabitProfile profile = profileWithDecay(0.85, capacity);
  for (int b = 0; b < baskets; ++b) {
    std::vector<int64_t> basket;
    const int size = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < size; ++i) {
      basket.push_back(static_cast<int64_t>(rng() % 400));
    }
    profile.update(basket);
  }
  return profile;
}

void requireSameState(const pz::HabitProfile& a, const pz::HabitProfile& b) {
  REQUIRE(a.params().decayRate == b.params().decayRate);
  REQUIRE(a.params().capacity == b.params().capacity);
  REQUIRE(a.basketCount() == b.basketCount());
  REQUIRE(a.items().size() == b.items().size());
  for (size_t i = 0; i < a.items().size(); ++i) {
    const pz::ItemHabit& x = a.items()[i];
    const pz::ItemHabit& y = b.items()[i];
    CHECK(x.itemId == y.itemId);
    CHECK(x.weight == y.weight);  // bit-exact
    CHECK(x.count == y.count);
    CHECK(x.firstBasket == y.firstBasket);
    CHECK(x.lastBasket == y.lastBasket);
  }
}

}  // namespace

TEST_CASE("HabitProfile: decayed frequencies match a hand computation", "[personalization]") {
  pz::HabitProfile p = profileWithDecay(0.5);
  CHECK(p.basketCount() == 0);
  CHECK(p.decayNorm() == 0);
  CHECK(p.vector().empty());

  p.update({1, 2});
  p.update({2, 3});
  // w1 = 0.5, w2 = 0.5 + 1, w3 = 1; norm = 1 + 0.5.
  REQUIRE(p.items().size() == 3);
  CHECK(p.find(1)->weight == Approx(0.5));
  CHECK(p.find(2)->weight == Approx(1.5));
  CHECK(p.decayNorm() == Approx(1.5));

  p.update({2, 2, 4});  // a set: 2 counts once
  // w1 = 0.25, w2 = 1.75, w3 = 0.5, w4 = 1; norm = 1.75.
  CHECK(p.basketCount() == 3);
  CHECK(p.decayNorm() == Approx(1.75));
  const pz::SparseVector v = p.vector();
  REQUIRE(v.size() == 4);
  CHECK(v[0].itemId == 1);
  CHECK(v[0].weight == Approx(1.0 / 7));
  CHECK(v[1].itemId == 2);
  CHECK(v[1].weight == Approx(1.0));  // bought in every basket
  CHECK(v[2].weight == Approx(2.0 / 7));
  CHECK(v[3].weight == Approx(4.0 / 7));
  CHECK(pz::isWellFormed(v));

  const pz::ItemHabit* two = p.find(2);
  REQUIRE(two != nullptr);
  CHECK(two->count == 3);
  CHECK(two->firstBasket == 0);
  CHECK(two->lastBasket == 2);
  CHECK(pz::HabitProfile::repurchaseInterval(*two) == Approx(1.0));
  CHECK(pz::HabitProfile::repurchaseInterval(*p.find(4)) == 0);
  CHECK(p.find(5) == nullptr);
}

TEST_CASE("HabitProfile: without decay the weights are basket counts", "[personalization]") {
  pz::HabitProfile p = profileWithDecay(1.0);
  p.update({7});
  p.update({7, 8});
  p.update({});  // an empty basket still counts as a visit
  CHECK(p.basketCount() == 3);
  CHECK(p.find(7)->weight == 2);
  CHECK(p.find(8)->weight == 1);
  CHECK(p.decayNorm() == 3);
  CHECK(pz::weightOf(p.vector(), 7) == Approx(2.0 / 3));
}

TEST_CASE("HabitProfile: keeps at most capacity items, dropping the weakest", "[personalization]") {
  pz::HabitProfile p = profileWithDecay(0.5, 3);
  p.update({1});
  p.update({2});
  p.update({3});
  p.update({4});  // weights 0.125, 0.25, 0.5, 1: item 1 goes
  REQUIRE(p.items().size() == 3);
  CHECK(p.find(1) == nullptr);
  CHECK(p.find(2) != nullptr);
  CHECK(p.find(4) != nullptr);

  // Equal weights and recency: the lower ids stay.
  pz::HabitProfile q = profileWithDecay(0.5, 2);
  q.update({9, 5, 7});
  REQUIRE(q.items().size() == 2);
  CHECK(q.items()[0].itemId == 5);
  CHECK(q.items()[1].itemId == 7);

  // A long random history never exceeds the capacity and stays sorted.
  const pz::HabitProfile r = randomProfile(42, 300, 50);
  CHECK(r.items().size() == 50);
  CHECK(pz::isWellFormed(r.vector()));
}

TEST_CASE("HabitProfile: serialisation round trip is exact and compact", "[personalization]") {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const pz::HabitProfile original = randomProfile(seed, 50);
    const std::string bytes = original.serialize();
    CHECK(bytes.size() <= 16 + original.items().size() * 16);
    auto restored = pz::HabitProfile::deserialize(bytes);
    REQUIRE(restored.ok());
    requireSameState(original, restored.value());
    CHECK(restored->serialize() == bytes);
  }

  // Extreme ids survive the delta encoding; an empty profile too.
  pz::HabitProfile extremes = profileWithDecay(0.9);
  extremes.update(
      {std::numeric_limits<int64_t>::min(), -3, 0, std::numeric_limits<int64_t>::max()});
  auto back = pz::HabitProfile::deserialize(extremes.serialize());
  REQUIRE(back.ok());
  requireSameState(extremes, back.value());
  auto empty = pz::HabitProfile::deserialize(pz::HabitProfile().serialize());
  REQUIRE(empty.ok());
  CHECK(empty->basketCount() == 0);

  // The plain-struct form round-trips as well.
  const pz::HabitProfile p = randomProfile(9, 20);
  auto fromState = pz::HabitProfile::fromState(p.state());
  REQUIRE(fromState.ok());
  requireSameState(p, fromState.value());
}

TEST_CASE("HabitProfile: corrupt bytes and states are refused", "[personalization]") {
  const std::string bytes = randomProfile(3, 10).serialize();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    auto r = pz::HabitProfile::deserialize(bytes.substr(0, cut));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidValue);
  }
  CHECK_FALSE(pz::HabitProfile::deserialize(bytes + "x").ok());
  std::string badMagic = bytes;
  badMagic[0] = 'X';
  CHECK_FALSE(pz::HabitProfile::deserialize(badMagic).ok());
  std::string badVersion = bytes;
  badVersion[1] = 9;
  CHECK_FALSE(pz::HabitProfile::deserialize(badVersion).ok());

  pz::ProfileState state = randomProfile(4, 10).state();
  pz::ProfileState unsorted = state;
  std::swap(unsorted.items[0], unsorted.items[1]);
  CHECK_FALSE(pz::HabitProfile::fromState(unsorted).ok());
  pz::ProfileState badWeight = state;
  badWeight.items[0].weight = -1;
  CHECK_FALSE(pz::HabitProfile::fromState(badWeight).ok());
  pz::ProfileState badIndex = state;
  badIndex.items[0].lastBasket = state.basketCount;
  CHECK_FALSE(pz::HabitProfile::fromState(badIndex).ok());
  pz::ProfileState badRate = state;
  badRate.params.decayRate = 0;
  CHECK_FALSE(pz::HabitProfile::fromState(badRate).ok());
  pz::ProfileState overCapacity = state;
  overCapacity.params.capacity = 1;
  CHECK_FALSE(pz::HabitProfile::fromState(overCapacity).ok());
}

TEST_CASE("HabitProfile: buildProfile equals feeding baskets one by one", "[personalization]") {
  const std::vector<std::vector<int64_t>> baskets = {{1, 2}, {2}, {3, 1}};
  pz::HabitProfile manual;
  for (const auto& b : baskets) {
    manual.update(b);
  }
  requireSameState(pz::buildProfile(baskets), manual);
}

// chooseCoupons: due items first, the repeat/discover mix, exclusions, the eligible filter, the
// popular fallback, determinism and short candidate lists.
#include "domain/personalization/coupon_choice.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "domain/personalization/personalization.h"

namespace pz = loyalty::core::personalization;

namespace {

pz::ChoiceParams choiceParams(size_t count, int64_t discoverPercent, bool allowBasket = false) {
  pz::ChoiceParams p;
  p.count = count;
  p.discoverPercent = discoverPercent;
  p.allowBasketItems = allowBasket;
  return p;
}

std::vector<int64_t> idsOf(const std::vector<pz::CouponChoice>& choices) {
  std::vector<int64_t> ids;
  for (const auto& c : choices) {
    ids.push_back(c.itemId);
  }
  return ids;
}

size_t repeatCount(const std::vector<pz::CouponChoice>& choices) {
  size_t n = 0;
  for (const auto& c : choices) {
    n += c.repeat ? 1 : 0;
  }
  return n;
}

const std::function<bool(int64_t)> kAll = [](int64_t) { return true; };

}  // namespace

TEST_CASE("CouponChoice: discover slots are count * percent / 100, rounded", "[personalization]") {
  CHECK(pz::discoverSlots(3, 20) == 1);  // 0.6
  CHECK(pz::discoverSlots(1, 20) == 0);  // 0.2
  CHECK(pz::discoverSlots(5, 10) == 1);  // 0.5 rounds up
  CHECK(pz::discoverSlots(4, 10) == 0);  // 0.4
  CHECK(pz::discoverSlots(10, 100) == 10);
  CHECK(pz::discoverSlots(4, 0) == 0);
  CHECK(pz::discoverSlots(0, 50) == 0);
  CHECK(pz::discoverSlots(20, 50) == 5);  // count clamped to 10
  CHECK(pz::discoverSlots(3, -5) == 0);   // percent clamped to [0, 100]
  CHECK(pz::discoverSlots(3, 150) == 3);
}

TEST_CASE("CouponChoice: a due item goes before a higher-scoring repeat item",
          "[personalization]") {
  // Baskets 0..5; basket 5 is today's. Item 10 in baskets 0, 2, 4: interval 2, one basket since
  // the last purchase, so by the next visit the usual gap has passed: due, overdue 0.
  // Item 50 was bought once (basket 4): never due, but its neighbours love it.
  const std::vector<int64_t> today = {20, 30};
  const pz::HabitProfile profile =
      pz::buildProfile({{10, 20}, {20}, {10, 20}, {20}, {10, 20, 50}, today});
  const pz::ItemHabit* ten = profile.find(10);
  REQUIRE(ten != nullptr);
  CHECK(pz::HabitProfile::repurchaseInterval(*ten) == 2.0);
  CHECK(pz::isDue(profile, *ten));
  CHECK(pz::overdueBy(profile, *ten) == 0.0);
  CHECK_FALSE(pz::isDue(profile, *profile.find(50)));

  const pz::SparseVector neighbours = {{50, 0.9}};
  const auto chosen =
      pz::chooseCoupons(profile, neighbours, pz::Scorer(), choiceParams(2, 0), today, kAll, {});
  REQUIRE(chosen.size() == 2);
  CHECK(chosen[0].itemId == 10);
  CHECK(chosen[0].repeat);
  CHECK(chosen[0].due);
  CHECK(chosen[1].itemId == 50);
  CHECK(chosen[1].repeat);
  CHECK_FALSE(chosen[1].due);
  CHECK(chosen[1].score > chosen[0].score);  // the due item won despite its lower score
}

TEST_CASE("CouponChoice: the most overdue item comes first", "[personalization]") {
  // 8 baskets (0..7), today's is {99}. Item 1: baskets 0, 1 (interval 1, 6 since last: overdue
  // 7 - 1 = 6). Item 2: baskets 3, 5 (interval 2, 2 since last: overdue 3 - 2 = 1). Item 3:
  // baskets 4, 6 (interval 2, 1 since last: overdue 0). Item 4: baskets 2, 6 (interval 4, 1 since
  // last: 2 < 4, not due).
  const pz::HabitProfile profile = pz::buildProfile({{1}, {1}, {4}, {2}, {3}, {2}, {3, 4}, {99}});
  CHECK(pz::overdueBy(profile, *profile.find(1)) == 6.0);
  CHECK(pz::overdueBy(profile, *profile.find(2)) == 1.0);
  CHECK(pz::overdueBy(profile, *profile.find(3)) == 0.0);
  CHECK_FALSE(pz::isDue(profile, *profile.find(4)));

  const auto chosen =
      pz::chooseCoupons(profile, {}, pz::Scorer(), choiceParams(4, 0), {99}, kAll, {});
  CHECK(idsOf(chosen) == std::vector<int64_t>{1, 2, 3, 4});
  REQUIRE(chosen.size() == 4);
  CHECK(chosen[0].due);
  CHECK(chosen[1].due);
  CHECK(chosen[2].due);
  CHECK_FALSE(chosen[3].due);
  // Without the due rule item 3 and 4 (bought in the latest past basket) would score highest.
  CHECK(chosen[2].score > chosen[0].score);
}

TEST_CASE("CouponChoice: the discover share of the picks", "[personalization]") {
  // Ten own items, bought in turns; ten neighbour items the shopper never bought.
  std::vector<std::vector<int64_t>> baskets;
  for (int64_t round = 0; round < 3; ++round) {
    for (int64_t item = 1; item <= 10; ++item) {
      baskets.push_back({item});
    }
  }
  const pz::HabitProfile profile = pz::buildProfile(baskets);
  pz::SparseVector neighbours;
  for (int64_t item = 101; item <= 110; ++item) {
    neighbours.push_back({item, 0.01 * static_cast<double>(item - 100)});
  }

  struct Case {
    size_t count;
    int64_t percent;
    size_t discover;
  };
  for (const Case& c : {Case{5, 40, 2}, Case{3, 20, 1}, Case{1, 20, 0}, Case{10, 100, 10},
                        Case{4, 0, 0}, Case{10, 50, 5}}) {
    INFO("count " << c.count << ", discover " << c.percent << "%");
    const auto chosen = pz::chooseCoupons(profile, neighbours, pz::Scorer(),
                                          choiceParams(c.count, c.percent), {}, kAll, {});
    REQUIRE(chosen.size() == c.count);
    CHECK(chosen.size() - repeatCount(chosen) == c.discover);
    // Repeat picks are listed first, and every flag tells the truth.
    for (size_t i = 0; i < chosen.size(); ++i) {
      CHECK(chosen[i].repeat == (i < c.count - c.discover));
      CHECK(chosen[i].repeat == (profile.find(chosen[i].itemId) != nullptr));
    }
  }
  // Discover picks follow the neighbour weights: 110 then 109.
  const auto two =
      pz::chooseCoupons(profile, neighbours, pz::Scorer(), choiceParams(2, 100), {}, kAll, {});
  CHECK(idsOf(two) == std::vector<int64_t>{110, 109});
}

TEST_CASE("CouponChoice: basket items are excluded unless allowed", "[personalization]") {
  // Item 7 in every basket, today's included: the best repeat item by far.
  const std::vector<int64_t> today = {7, 8};
  const pz::HabitProfile profile = pz::buildProfile({{7, 1}, {7, 2}, {7, 3}, {7, 8}});
  const pz::SparseVector neighbours = {{8, 0.5}, {9, 0.4}};

  const auto excluded =
      pz::chooseCoupons(profile, neighbours, pz::Scorer(), choiceParams(3, 0), today, kAll, {});
  REQUIRE(excluded.size() == 3);
  for (const auto& c : excluded) {
    CHECK(c.itemId != 7);
    CHECK(c.itemId != 8);
  }

  const auto allowed = pz::chooseCoupons(profile, neighbours, pz::Scorer(),
                                         choiceParams(3, 0, true), today, kAll, {});
  REQUIRE(allowed.size() == 3);
  const std::vector<int64_t> allowedIds = idsOf(allowed);
  const std::set<int64_t> ids(allowedIds.begin(), allowedIds.end());
  CHECK(ids.count(7) == 1);
  CHECK(ids.count(8) == 1);       // 8: bought today, and its neighbours buy it
  CHECK(allowed[0].itemId == 7);  // due (interval 1) and the best scored

  // Popular items of today's basket are excluded too.
  const auto fromPopular = pz::chooseCoupons(pz::buildProfile({{1}}), {}, pz::Scorer(),
                                             choiceParams(2, 100), {50}, kAll, {50, 51, 52});
  CHECK(idsOf(fromPopular) == std::vector<int64_t>{51, 52});
}

TEST_CASE("CouponChoice: only eligible items, each asked about once", "[personalization]") {
  const pz::HabitProfile profile = pz::buildProfile({{1, 2, 3}, {1, 2, 4}, {1, 5}, {6}});
  const pz::SparseVector neighbours = {{1, 0.3}, {20, 0.9}, {21, 0.8}, {22, 0.7}};
  std::map<int64_t, int> asked;
  const std::function<bool(int64_t)> evenOnly = [&](int64_t id) {
    ++asked[id];
    return id % 2 == 0;
  };
  const auto chosen = pz::chooseCoupons(profile, neighbours, pz::Scorer(), choiceParams(10, 30), {},
                                        evenOnly, {24, 23, 20, 26});
  for (const auto& c : chosen) {
    CHECK(c.itemId % 2 == 0);
  }
  // Even items: own 2, 4, 6; neighbour 20, 22; popular 24, 26 (20 already seen).
  CHECK(chosen.size() == 7);
  for (const auto& [id, times] : asked) {
    INFO("item " << id);
    CHECK(times == 1);
  }
  // An empty eligible function lets everything through.
  const auto all = pz::chooseCoupons(profile, neighbours, pz::Scorer(), choiceParams(10, 30), {},
                                     std::function<bool(int64_t)>(), {});
  CHECK(all.size() == 9);  // 6 own items, 20, 21, 22
}

TEST_CASE("CouponChoice: discover slots fall back to the popular ranking", "[personalization]") {
  const pz::HabitProfile profile = pz::buildProfile({{1, 2}, {1, 3}});
  const std::function<bool(int64_t)> not42 = [](int64_t id) { return id != 42; };
  // No neighbour vector: discover picks come from popular, in its order, skipping items the
  // profile holds (1), ineligible items (42), duplicates (40 twice) and today's basket (3).
  const std::vector<int64_t> popular = {1, 42, 40, 40, 3, 41, 43, 44};
  const auto chosen =
      pz::chooseCoupons(profile, {}, pz::Scorer(), choiceParams(4, 75), {3}, not42, popular);
  REQUIRE(chosen.size() == 4);
  CHECK(chosen[0].repeat);
  CHECK(chosen[0].itemId == 1);
  CHECK(idsOf(chosen) == std::vector<int64_t>{1, 40, 41, 43});
  for (size_t i = 1; i < chosen.size(); ++i) {
    CHECK_FALSE(chosen[i].repeat);
    CHECK(chosen[i].score == 0.0);
  }
  // Scored neighbour items come before popular ones.
  const auto mixed = pz::chooseCoupons(profile, {{41, 0.2}}, pz::Scorer(), choiceParams(3, 100),
                                       {3}, not42, popular);
  CHECK(idsOf(mixed) == std::vector<int64_t>{41, 40, 43});
  CHECK(mixed[0].score > 0);
}

TEST_CASE("CouponChoice: fewer candidates than coupons", "[personalization]") {
  const pz::HabitProfile profile = pz::buildProfile({{1, 2}, {2, 3}});
  SECTION("repeat items fill missing discover slots") {
    const auto chosen =
        pz::chooseCoupons(profile, {}, pz::Scorer(), choiceParams(3, 100), {}, kAll, {});
    CHECK(chosen.size() == 3);
    CHECK(repeatCount(chosen) == 3);
  }
  SECTION("discover items fill missing repeat slots") {
    const auto chosen =
        pz::chooseCoupons(profile, {{8, 0.1}}, pz::Scorer(), choiceParams(5, 0), {}, kAll, {9, 10});
    CHECK(chosen.size() == 5);
    CHECK(repeatCount(chosen) == 3);
    CHECK(idsOf(chosen) == std::vector<int64_t>{2, 3, 1, 8, 9});
  }
  SECTION("every candidate once, then no more") {
    const auto chosen = pz::chooseCoupons(profile, {{8, 0.1}, {9, 0.05}}, pz::Scorer(),
                                          choiceParams(10, 20), {}, kAll, {9, 11, 1});
    const std::vector<int64_t> ids = idsOf(chosen);
    CHECK(std::set<int64_t>(ids.begin(), ids.end()) == std::set<int64_t>{1, 2, 3, 8, 9, 11});
    CHECK(ids.size() == 6);
  }
  SECTION("nothing eligible, nothing chosen") {
    const auto chosen = pz::chooseCoupons(profile, {{8, 0.1}}, pz::Scorer(), choiceParams(3, 50),
                                          {}, [](int64_t) { return false; }, {9});
    CHECK(chosen.empty());
  }
  SECTION("count 0 chooses nothing, a count beyond 10 is capped") {
    CHECK(pz::chooseCoupons(profile, {}, pz::Scorer(), choiceParams(0, 20), {}, kAll, {1, 5})
              .empty());
    std::vector<int64_t> many;
    for (int64_t i = 100; i < 150; ++i) {
      many.push_back(i);
    }
    CHECK(
        pz::chooseCoupons(profile, {}, pz::Scorer(), choiceParams(50, 50), {}, kAll, many).size() ==
        pz::kMaxCouponChoices);
  }
}

TEST_CASE("CouponChoice: a malformed neighbour vector is ignored", "[personalization]") {
  const pz::HabitProfile profile = pz::buildProfile({{1}, {2}});
  const pz::SparseVector unsorted = {{9, 0.5}, {8, 0.5}};
  const pz::SparseVector negative = {{8, -1.0}};
  for (const auto& bad : {unsorted, negative}) {
    const auto chosen =
        pz::chooseCoupons(profile, bad, pz::Scorer(), choiceParams(3, 100), {}, kAll, {});
    CHECK(idsOf(chosen) == std::vector<int64_t>{2, 1});  // own items only (repeat fill)
  }
}

TEST_CASE("CouponChoice: deterministic, equal scores by lower item id", "[personalization]") {
  SECTION("ties") {
    // One basket: items 9, 5 and 3 have equal weights (and none is due); 20 and 30 have equal
    // neighbour weights.
    const pz::HabitProfile profile = pz::buildProfile({{9, 5, 3}});
    const auto chosen = pz::chooseCoupons(profile, {{20, 0.2}, {30, 0.2}}, pz::Scorer(),
                                          choiceParams(5, 40), {}, kAll, {});
    CHECK(idsOf(chosen) == std::vector<int64_t>{3, 5, 9, 20, 30});
  }
  SECTION("same inputs, same output") {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int64_t> item(1, 60);
    std::vector<std::vector<int64_t>> baskets(40);
    for (auto& b : baskets) {
      for (int i = 0; i < 8; ++i) {
        b.push_back(item(rng));
      }
    }
    const pz::HabitProfile profile = pz::buildProfile(baskets);
    pz::SparseVector neighbours;
    for (int64_t id = 1; id <= 90; id += 3) {
      neighbours.push_back({id, 0.001 * static_cast<double>(id % 7 + 1)});
    }
    const std::vector<int64_t> popular = {90, 80, 70, 61, 62};
    const auto first = pz::chooseCoupons(profile, neighbours, pz::Scorer(), choiceParams(10, 30),
                                         baskets.back(), kAll, popular);
    REQUIRE(first.size() == 10);
    for (int run = 0; run < 3; ++run) {
      const auto again = pz::chooseCoupons(profile, neighbours, pz::Scorer(), choiceParams(10, 30),
                                           baskets.back(), kAll, popular);
      REQUIRE(again.size() == first.size());
      for (size_t i = 0; i < first.size(); ++i) {
        CHECK(again[i].itemId == first[i].itemId);
        CHECK(again[i].score == first[i].score);
        CHECK(again[i].due == first[i].due);
      }
    }
    const std::vector<int64_t> ids = idsOf(first);
    CHECK(std::set<int64_t>(ids.begin(), ids.end()).size() == ids.size());
  }
}

namespace {

// The rules of coupon_choice.h written the slow, obvious way: full sorts, no laziness.
std::vector<pz::CouponChoice> referenceChoice(
    const pz::HabitProfile& profile, const pz::SparseVector& neighbours, const pz::Scorer& scorer,
    const pz::ChoiceParams& params, const std::vector<int64_t>& basket,
    const std::function<bool(int64_t)>& eligible, const std::vector<int64_t>& popular) {
  const size_t count = std::min(params.count, pz::kMaxCouponChoices);
  const size_t discoverWanted = pz::discoverSlots(count, params.discoverPercent);
  const std::vector<int64_t> exclude = params.allowBasketItems ? std::vector<int64_t>{} : basket;
  auto excluded = [&](int64_t id) {
    return std::find(exclude.begin(), exclude.end(), id) != exclude.end();
  };
  const auto ranked = scorer.rank(profile, neighbours, 1000000, exclude);
  struct Item {
    pz::CouponChoice choice;
    double overdue = 0;
  };
  std::vector<Item> repeats;
  std::vector<Item> discovers;
  for (const auto& r : ranked) {
    if (!eligible(r.itemId)) {
      continue;
    }
    const pz::ItemHabit* habit = profile.find(r.itemId);
    if (habit == nullptr) {
      discovers.push_back({{r.itemId, false, false, r.score}, 0});
      continue;
    }
    const bool due = pz::isDue(profile, *habit);
    repeats.push_back({{r.itemId, true, due, r.score}, due ? pz::overdueBy(profile, *habit) : 0});
  }
  std::stable_sort(repeats.begin(), repeats.end(), [](const Item& a, const Item& b) {
    if (a.choice.due != b.choice.due) {
      return a.choice.due;
    }
    return a.choice.due && a.overdue > b.overdue;
  });
  for (int64_t id : popular) {
    const bool listed = std::any_of(discovers.begin(), discovers.end(),
                                    [&](const Item& d) { return d.choice.itemId == id; });
    if (!listed && profile.find(id) == nullptr && !excluded(id) &&
        pz::weightOf(neighbours, id) == 0 && eligible(id)) {
      discovers.push_back({{id, false, false, 0.0}, 0});
    }
  }
  const size_t repeatTake = std::min(count - discoverWanted, repeats.size());
  const size_t discoverTake = std::min(count - repeatTake, discovers.size());
  const size_t repeatAll = std::min(count - discoverTake, repeats.size());
  std::vector<pz::CouponChoice> out;
  for (size_t i = 0; i < repeatAll; ++i) {
    out.push_back(repeats[i].choice);
  }
  for (size_t i = 0; i < discoverTake; ++i) {
    out.push_back(discovers[i].choice);
  }
  return out;
}

}  // namespace

TEST_CASE("CouponChoice: matches a full-sort reference on random shoppers", "[personalization]") {
  std::mt19937_64 rng(20240601);
  for (int trial = 0; trial < 300; ++trial) {
    INFO("trial " << trial);
    std::uniform_int_distribution<int64_t> item(1, 400);
    std::uniform_int_distribution<int> basketSize(1, 15);
    std::uniform_int_distribution<int> basketCount(1, 60);
    std::vector<std::vector<int64_t>> baskets(static_cast<size_t>(basketCount(rng)));
    for (auto& b : baskets) {
      const int n = basketSize(rng);
      for (int i = 0; i < n; ++i) {
        // Half of the picks from a small "habit" set, so that repeats and due items exist.
        b.push_back(rng() % 2 == 0 ? item(rng) % 25 + 1 : item(rng));
      }
    }
    pz::ProfileParams profileParams;
    profileParams.capacity = 1 + rng() % 200;
    const pz::HabitProfile profile = pz::buildProfile(baskets, profileParams);
    pz::SparseVector neighbours;
    for (int64_t id = 1; id <= 400; ++id) {
      if (rng() % 4 == 0) {
        // Coarse weights so that equal scores (ties) happen.
        neighbours.push_back({id, 0.01 * static_cast<double>(1 + rng() % 5)});
      }
    }
    std::vector<int64_t> popular;
    for (int i = 0; i < 60; ++i) {
      popular.push_back(item(rng));
    }
    const uint64_t salt = rng();
    const int rejectPercent = static_cast<int>(rng() % 100);
    const std::function<bool(int64_t)> eligible = [&](int64_t id) {
      return static_cast<int>((static_cast<uint64_t>(id) * 0x9e3779b97f4a7c15ULL ^ salt) % 100) >=
             rejectPercent;
    };
    pz::ScorerParams scorerParams;
    scorerParams.alpha = static_cast<double>(rng() % 11) / 10.0;
    const pz::Scorer scorer(scorerParams);
    const pz::ChoiceParams params =
        choiceParams(1 + rng() % 10, static_cast<int64_t>(rng() % 101), rng() % 3 == 0);

    const auto got =
        pz::chooseCoupons(profile, neighbours, scorer, params, baskets.back(), eligible, popular);
    const auto want =
        referenceChoice(profile, neighbours, scorer, params, baskets.back(), eligible, popular);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("pick " << i);
      CHECK(got[i].itemId == want[i].itemId);
      CHECK(got[i].repeat == want[i].repeat);
      CHECK(got[i].due == want[i].due);
      CHECK(got[i].score == want[i].score);
    }
  }
}

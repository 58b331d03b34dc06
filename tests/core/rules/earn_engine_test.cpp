// The earn engine: every rule type, the stacking order, rounding, date boundaries, overflow bounds
// at the protocol maxima, the refund helper, and equality with the plain base-rate formula.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "domain/rules/earn_engine.h"

using loyalty::base::Money;
using loyalty::base::Points;
using namespace loyalty::core::domain::rules;  // NOLINT(google-build-using-namespace)

namespace {

PricedLine line(int64_t n, std::string sku, std::string brand, std::string category,
                int64_t quantity, int64_t unitPrice) {
  return PricedLine{n,        std::move(sku),   std::move(brand), std::move(category),
                    quantity, Money(unitPrice), Money(0)};
}

EarnContext context(std::string date = "2024-03-05", std::string tier = "base",
                    std::string store = "S001") {
  return EarnContext{std::move(store), std::move(tier), std::move(date)};
}

Multiplier multiplier(std::string id, ScopeKind kind, std::string value, int64_t percent,
                      std::optional<std::string> from = std::nullopt,
                      std::optional<std::string> to = std::nullopt) {
  return Multiplier{std::move(id), Scope{kind, std::move(value)}, percent, std::move(from),
                    std::move(to)};
}

constexpr int64_t kAbsent = std::numeric_limits<int64_t>::min();

// The contribution of `id`, or kAbsent when the breakdown does not list it.
int64_t contribution(const EarnBreakdown& b, const std::string& id) {
  for (const auto& c : b.contributions) {
    if (c.ruleId == id) {
      return c.points.value();
    }
  }
  return kAbsent;
}

int64_t sumOfParts(const EarnBreakdown& b) {
  int64_t sum = b.base.value();
  for (const auto& c : b.contributions) {
    sum += c.points.value();
  }
  return sum;
}

// A small shop: milk (dairy), bread (bakery), beer (alcohol, excluded), an unknown product.
std::vector<PricedLine> shop() {
  return {line(1, "milk", "Moo", "dairy/milk", 2, 250), line(2, "bread", "Bake", "bakery", 1, 300),
          line(3, "beer", "Hop", "alcohol/beer", 1, 500), line(4, "mystery", "", "", 1, 99)};
}

}  // namespace

TEST_CASE("EarnEngine: base rate, rounded down once per basket", "[rules]") {
  EarnRules rules;
  // Ten 0.99 items: 9.90 earns 9 points; per-line rounding would give 0.
  std::vector<PricedLine> lines;
  for (int64_t i = 1; i <= 10; ++i) {
    lines.push_back(line(i, "sku" + std::to_string(i), "", "grocery", 1, 99));
  }
  auto b = explain(lines, context(), rules);
  CHECK(b.total == Points(9));
  CHECK(b.base == Points(9));
  CHECK(b.contributions.empty());
  CHECK(b.eligibleSpend == Money(990));
  CHECK(b.pointsDenominator == 10'000);
  REQUIRE(b.lines.size() == 10);
  CHECK(b.lines[0].pointsNumerator == 99 * 1 * 100);  // 0.99 point, exactly, before rounding
  CHECK(b.lines[0].percent == 100);
  CHECK(b.lines[0].appliedMultipliers.empty());
  CHECK(computePoints({}, context(), rules) == Points(0));
}

TEST_CASE("EarnEngine: excluded lines earn nothing, not even from offers on them", "[rules]") {
  EarnRules rules;
  rules.multipliers.push_back(multiplier("x-all", ScopeKind::kAll, "", 300));
  rules.productBonuses.push_back(ProductBonus{"pb-beer", "beer", 50, std::nullopt, std::nullopt});
  rules.thresholdBonuses.push_back(
      ThresholdBonus{"th-10", Money(1000), Points(40), std::nullopt, std::nullopt});
  auto b = explain(shop(), context(), rules);
  // Eligible: 500 + 300 + 99 = 899 (beer excluded, the unknown product earns).
  CHECK(b.eligibleSpend == Money(899));
  CHECK(b.lines[2].excluded);
  CHECK(b.lines[2].eligible == Money(0));
  CHECK(b.lines[2].appliedMultipliers.empty());
  CHECK(b.lines[2].productBonus == Points(0));
  CHECK_FALSE(b.lines[3].excluded);
  CHECK(b.base == Points(8));                    // floor(8.99)
  CHECK(contribution(b, "x-all") == 18);         // floor(26.97) - 8
  CHECK(contribution(b, "pb-beer") == kAbsent);  // never applied
  CHECK(contribution(b, "th-10") == kAbsent);    // 8.99 < 10.00: the beer does not count
  CHECK(b.total == Points(26));
}

TEST_CASE("EarnEngine: multipliers by product, brand, category, store and tier", "[rules]") {
  const auto lines = shop();
  SECTION("sku") {
    EarnRules rules;
    rules.multipliers.push_back(multiplier("m", ScopeKind::kSku, "bread", 500));
    auto b = explain(lines, context(), rules);
    CHECK(b.lines[1].percent == 500);
    CHECK(b.lines[0].percent == 100);
    CHECK(contribution(b, "m") == 12);  // floor(8.99 + 3.00 x 4) - 8 = 20 - 8
    CHECK(b.total == Points(20));
  }
  SECTION("brand") {
    EarnRules rules;
    rules.multipliers.push_back(multiplier("m", ScopeKind::kBrand, "Moo", 200));
    auto b = explain(lines, context(), rules);
    CHECK(b.lines[0].appliedMultipliers == std::vector<std::string>{"m"});
    CHECK(b.total == Points(13));  // floor(8.99 + 5.00)
  }
  SECTION("category, by whole segments") {
    EarnRules rules;
    rules.multipliers.push_back(multiplier("m", ScopeKind::kCategory, "dairy", 200));
    rules.multipliers.push_back(multiplier("n", ScopeKind::kCategory, "bake", 1000));
    auto b = explain(lines, context(), rules);
    CHECK(b.lines[0].percent == 200);
    CHECK(b.lines[1].percent == 100);  // "bake" is not a segment prefix of "bakery"
    CHECK(contribution(b, "n") == kAbsent);
    CHECK(b.total == Points(13));
  }
  SECTION("store") {
    EarnRules rules;
    rules.multipliers.push_back(multiplier("m", ScopeKind::kStore, "S042", 300));
    CHECK(computePoints(lines, context("2024-03-05", "base", "S001"), rules) == Points(8));
    auto b = explain(lines, context("2024-03-05", "base", "S042"), rules);
    CHECK(b.total == Points(26));      // floor(8.99 x 3)
    CHECK(b.lines[2].percent == 100);  // the excluded line stays out
  }
  SECTION("tier-scoped multiplier is a line multiplier for members of that tier") {
    EarnRules rules;
    rules.multipliers.push_back(multiplier("m", ScopeKind::kTier, "gold", 200));
    CHECK(computePoints(lines, context("2024-03-05", "silver"), rules) == Points(8));
    CHECK(computePoints(lines, context("2024-03-05", "gold"), rules) == Points(17));
  }
}

TEST_CASE("EarnEngine: date-range rules apply on both boundary days only inside", "[rules]") {
  EarnRules rules;
  rules.multipliers.push_back(
      multiplier("week", ScopeKind::kAll, "", 200, "2024-03-01", "2024-03-07"));
  rules.productBonuses.push_back(ProductBonus{"pb", "milk", 10, "2024-03-07", "2024-03-07"});
  rules.thresholdBonuses.push_back(
      ThresholdBonus{"th", Money(100), Points(7), std::nullopt, "2024-03-01"});
  const auto lines = shop();
  CHECK(computePoints(lines, context("2024-02-29"), rules) == Points(8 + 7));
  CHECK(computePoints(lines, context("2024-03-01"), rules) == Points(17 + 7));
  CHECK(computePoints(lines, context("2024-03-02"), rules) == Points(17));
  CHECK(computePoints(lines, context("2024-03-07"), rules) == Points(17 + 20));
  CHECK(computePoints(lines, context("2024-03-08"), rules) == Points(8));
  // A context without a valid date gets undated rules only.
  CHECK(computePoints(lines, context(""), rules) == Points(8));
}

TEST_CASE("EarnEngine: the largest line multiplier applies alone, ties go to the first",
          "[rules]") {
  EarnRules rules;
  rules.multipliers.push_back(multiplier("brand-2x", ScopeKind::kBrand, "Moo", 200));
  rules.multipliers.push_back(multiplier("dairy-3x", ScopeKind::kCategory, "dairy", 300));
  rules.multipliers.push_back(multiplier("all-3x", ScopeKind::kAll, "", 300));
  auto b = explain(shop(), context(), rules);
  // Milk: 300 % (dairy-3x, listed before the equal all-3x), not 200 + 300 nor 2 x 3.
  CHECK(b.lines[0].percent == 300);
  CHECK(b.lines[0].appliedMultipliers == std::vector<std::string>{"dairy-3x"});
  CHECK(b.lines[1].appliedMultipliers == std::vector<std::string>{"all-3x"});
  CHECK(contribution(b, "brand-2x") == kAbsent);  // won no line
  CHECK(b.total == Points(26));                   // floor(8.99 x 3)
  CHECK(b.total.value() == sumOfParts(b));
}

TEST_CASE("EarnEngine: a multiplier below 100 % reduces points, contribution negative", "[rules]") {
  EarnRules rules;
  rules.multipliers.push_back(multiplier("half-bread", ScopeKind::kSku, "bread", 50));
  auto b = explain(shop(), context(), rules);
  CHECK(b.total == Points(7));  // floor(5.00 + 1.50 + 0.99) = floor(7.49)
  CHECK(contribution(b, "half-bread") == -1);
  CHECK(b.total.value() == sumOfParts(b));
  rules.multipliers[0].percent = 0;
  CHECK(computePoints(shop(), context(), rules) == Points(5));
}

TEST_CASE("EarnEngine: the tier multiplies the exact basket, then rounds once", "[rules]") {
  EarnRules rules;
  rules.tiers.push_back(Tier{"silver", Money(100'000), 125});
  rules.tiers.push_back(Tier{"gold", Money(300'000), 150});
  rules.multipliers.push_back(multiplier("milk-2x", ScopeKind::kSku, "milk", 200));
  // Exact basket: 5.00 x 2 + 3.00 + 0.99 = 13.99.
  auto gold = explain(shop(), context("2024-03-05", "gold"), rules);
  CHECK(gold.tierPercent == 150);
  CHECK(gold.total == Points(20));  // floor(20.985), not floor(13.99) x 1.5 = 19.5
  CHECK(gold.base == Points(8));
  CHECK(contribution(gold, "milk-2x") == 5);
  CHECK(contribution(gold, "gold") == 7);
  CHECK(gold.total.value() == sumOfParts(gold));

  auto unknown = explain(shop(), context("2024-03-05", "platinum"), rules);
  CHECK(unknown.tierPercent == 100);
  CHECK(unknown.total == Points(13));
  CHECK(contribution(unknown, "platinum") == kAbsent);

  // The tier from rolling spend feeds the context.
  auto b = explain(shop(), context("2024-03-05", tierFor(Money(150'000), rules.tiers)), rules);
  CHECK(b.tier == "silver");
  CHECK(b.total == Points(17));  // floor(13.99 x 1.25) = floor(17.4875)
}

TEST_CASE("EarnEngine: product bonuses are whole points per unit, not multiplied", "[rules]") {
  EarnRules rules;
  rules.productBonuses.push_back(ProductBonus{"milk-10", "milk", 10, std::nullopt, std::nullopt});
  rules.productBonuses.push_back(ProductBonus{"milk-25", "milk", 25, std::nullopt, std::nullopt});
  rules.multipliers.push_back(multiplier("all-2x", ScopeKind::kAll, "", 200));
  rules.tiers.push_back(Tier{"gold", Money(1), 200});
  auto lines = shop();
  lines.push_back(line(5, "milk", "Moo", "dairy/milk", 3, 250));  // the same SKU again
  auto b = explain(lines, context("2024-03-05", "gold"), rules);
  // Only the larger bonus applies, per unit bought on every line of the SKU: 25 x (2 + 3).
  CHECK(contribution(b, "milk-25") == 125);
  CHECK(contribution(b, "milk-10") == kAbsent);
  CHECK(b.lines[4].productBonus == Points(75));
  // floor(16.49 x 2 x 2) = 65, plus 125 (the bonus is neither doubled nor tiered).
  CHECK(b.total == Points(65 + 125));
  CHECK(b.total.value() == sumOfParts(b));
}

TEST_CASE("EarnEngine: the largest threshold bonus reached applies, on eligible spend", "[rules]") {
  EarnRules rules;
  rules.thresholdBonuses.push_back(
      ThresholdBonus{"th-5", Money(500), Points(20), std::nullopt, std::nullopt});
  rules.thresholdBonuses.push_back(
      ThresholdBonus{"th-8.99", Money(899), Points(50), std::nullopt, std::nullopt});
  rules.thresholdBonuses.push_back(
      ThresholdBonus{"th-9", Money(900), Points(500), std::nullopt, std::nullopt});
  auto b = explain(shop(), context(), rules);  // eligible spend exactly 8.99
  CHECK(contribution(b, "th-8.99") == 50);     // the minimum itself qualifies
  CHECK(contribution(b, "th-5") == kAbsent);   // bonuses of one kind do not add
  CHECK(contribution(b, "th-9") == kAbsent);
  CHECK(b.total == Points(8 + 50));

  // A basket with no eligible spend earns no threshold bonus, even from a zero minimum.
  rules.thresholdBonuses.push_back(
      ThresholdBonus{"th-0", Money(0), Points(5), std::nullopt, std::nullopt});
  CHECK(computePoints({line(1, "beer", "Hop", "alcohol", 3, 500)}, context(), rules) == Points(0));
  CHECK(computePoints({line(1, "gum", "", "sweets", 1, 1)}, context(), rules) == Points(5));
}

TEST_CASE("EarnEngine: rounding keeps fractions across lines and rules", "[rules]") {
  EarnRules rules;
  rules.base.pointsPerUnit = 3;
  rules.base.unitMinor = 1000;  // 3 points per 10.00
  rules.multipliers.push_back(multiplier("a", ScopeKind::kSku, "a", 150));
  rules.multipliers.push_back(multiplier("b", ScopeKind::kSku, "b", 150));
  const std::vector<PricedLine> lines{line(1, "a", "", "x", 1, 333), line(2, "b", "", "x", 1, 333),
                                      line(3, "c", "", "x", 1, 334)};
  auto b = explain(lines, context(), rules);
  // Exact: (333 x 1.5 + 333 x 1.5 + 334) x 3 / 1000 = 3.999 -> 3; base 10.00 x 0.3 = 3.
  CHECK(b.pointsDenominator == 100'000);
  CHECK(b.lines[0].pointsNumerator == 333 * 3 * 150);
  CHECK(b.base == Points(3));
  CHECK(contribution(b, "a") == 0);  // listed although its share rounds to nothing
  CHECK(contribution(b, "b") == 0);
  CHECK(b.total == Points(3));
  // One more minor unit on c crosses the next whole point: floor(4.002).
  auto more = explain({lines[0], lines[1], line(3, "c", "", "x", 1, 335)}, context(), rules);
  CHECK(more.total == Points(4));
  CHECK(contribution(more, "b") == 1);  // the running sum crossed 4 while adding b
}

TEST_CASE("EarnEngine: only the base rate gives floor(eligible x rate / unit) on random baskets",
          "[rules]") {
  std::mt19937_64 rng(20240305);
  const std::vector<std::string> categories{
      "",           "alcohol",    "alcohol/wine", "alcoholfree", "tobacco",
      "dairy/milk", "gift-cards", "deposits/can", "produce",     "produce/alcohol"};
  int compared = 0;
  for (int round = 0; round < 300; ++round) {
    EarnRules rules;
    rules.base.pointsPerUnit = std::uniform_int_distribution<int64_t>(0, 1000)(rng);
    rules.base.unitMinor = std::uniform_int_distribution<int64_t>(1, 1'000'000)(rng);
    // The default exclusions: tobacco, alcohol, gift-cards, deposits (whole segments).
    auto excludes = [&](const std::string& cat) {
      for (const auto& e : rules.base.excludedCategories) {
        if (cat == e || cat.rfind(e + "/", 0) == 0) {
          return true;
        }
      }
      return false;
    };

    const int n = std::uniform_int_distribution<int>(0, 40)(rng);
    std::vector<PricedLine> lines;
    int64_t eligible = 0;
    for (int i = 0; i < n; ++i) {
      const std::string& cat = categories[rng() % categories.size()];
      const int64_t qty = std::uniform_int_distribution<int64_t>(1, 9'999)(rng);
      const int64_t price = std::uniform_int_distribution<int64_t>(0, 2'000'000)(rng);
      lines.push_back(line(i + 1, "s" + std::to_string(i), "b", cat, qty, price));
      if (!excludes(cat)) {
        eligible += qty * price;
      }
    }
    auto b = explain(lines, context(), rules);
    // eligible <= 40 x 9,999 x 2,000,000 < 8e11, times 1,000 stays far below 2^63.
    const Points expected(eligible * rules.base.pointsPerUnit / rules.base.unitMinor);
    INFO("round " << round);
    CHECK(b.total == expected);
    CHECK(b.base == expected);
    CHECK(b.eligibleSpend == Money(eligible));
    ++compared;
  }
  CHECK(compared == 300);
}

TEST_CASE("EarnEngine: total equals base plus contributions on random configurations", "[rules]") {
  std::mt19937_64 rng(77);
  const std::vector<std::string> skus{"a", "b", "c", "d"};
  for (int round = 0; round < 200; ++round) {
    EarnRules rules;
    rules.base.pointsPerUnit = std::uniform_int_distribution<int64_t>(1, 20)(rng);
    rules.base.unitMinor = std::uniform_int_distribution<int64_t>(1, 1000)(rng);
    for (int m = 0; m < 4; ++m) {
      rules.multipliers.push_back(multiplier("m" + std::to_string(m), ScopeKind::kSku,
                                             skus[rng() % skus.size()],
                                             std::uniform_int_distribution<int64_t>(0, 1000)(rng)));
    }
    rules.productBonuses.push_back(ProductBonus{"pb", "c", 3, std::nullopt, std::nullopt});
    rules.thresholdBonuses.push_back(
        ThresholdBonus{"th", Money(5000), Points(9), std::nullopt, std::nullopt});
    const int64_t tierPercent = std::uniform_int_distribution<int64_t>(0, 1000)(rng);
    rules.tiers.push_back(Tier{"t", Money(0), tierPercent});
    std::vector<PricedLine> lines;
    for (int i = 0; i < 6; ++i) {
      lines.push_back(line(i, skus[rng() % skus.size()], "", "x",
                           std::uniform_int_distribution<int64_t>(1, 5)(rng),
                           std::uniform_int_distribution<int64_t>(1, 3000)(rng)));
    }
    auto b = explain(lines, context("2024-03-05", "t"), rules);
    INFO("round " << round);
    CHECK(b.total.value() == sumOfParts(b));
    CHECK(b.total.value() >= 0);
  }
}

TEST_CASE("EarnEngine: no overflow at the protocol maxima", "[rules]") {
  EarnRules extreme;
  extreme.base.pointsPerUnit = kMaxPointsPerUnit;
  extreme.base.unitMinor = 1;
  extreme.multipliers.push_back(multiplier("max", ScopeKind::kAll, "", kMaxPercent));
  extreme.tiers.push_back(Tier{"top", Money(0), kMaxPercent});
  extreme.productBonuses.push_back(
      ProductBonus{"pb", "sku", kMaxBonusPerUnit, std::nullopt, std::nullopt});
  extreme.thresholdBonuses.push_back(
      ThresholdBonus{"th", Money(0), Points(kMaxThresholdPoints), std::nullopt, std::nullopt});

  SECTION("a basket at the protocol's total limit is exact under the most generous rules") {
    std::vector<PricedLine> lines;
    for (int64_t i = 1; i <= 100; ++i) {  // 100 x 100,000,000 = kMaxBasketTotal
      lines.push_back(line(i, "sku", "", "x", 1, 100'000'000));
    }
    auto b = explain(lines, context("2024-03-05", "top"), extreme);
    CHECK(b.base == Points(10'000'000'000'000));           // 1e10 x 1000
    CHECK(contribution(b, "max") == 90'000'000'000'000);   // x 10
    CHECK(contribution(b, "top") == 900'000'000'000'000);  // x 10 again
    CHECK(contribution(b, "pb") == 100 * kMaxBonusPerUnit);
    CHECK(b.total == Points(1'000'000'000'000'000 + 100 * kMaxBonusPerUnit + kMaxThresholdPoints));
    CHECK(b.total.value() == sumOfParts(b));
  }

  SECTION("500 lines x 9,999 x 100,000,000 at 1000 % and tier 1000 %") {
    EarnRules rules = extreme;
    rules.base = BaseRate{};  // 1 point per 100 minor units
    std::vector<PricedLine> lines;
    for (int64_t i = 1; i <= 500; ++i) {
      lines.push_back(line(i, "other", "", "x", 9'999, 100'000'000));
    }
    auto b = explain(lines, context("2024-03-05", "top"), rules);
    const int64_t amount = 500LL * 9'999 * 100'000'000;  // 4.9995e14 minor units
    CHECK(b.eligibleSpend == Money(amount));
    CHECK(b.lines[0].pointsNumerator == 9'999LL * 100'000'000 * 1 * 1000);
    CHECK(b.base == Points(amount / 100));
    CHECK(b.total == Points(amount + kMaxThresholdPoints));  // amount / 100 x 10 x 10
    CHECK(b.total.value() == sumOfParts(b));

    // With the most generous base rate too, the true value (5e19) is beyond int64_t: the
    // total saturates instead of wrapping.
    auto sat = explain(lines, context("2024-03-05", "top"), extreme);
    CHECK(sat.lines[0].pointsNumerator == 9'999LL * 100'000'000 * 1000 * 1000);  // 1e18
    CHECK(sat.base == Points(amount * 1000));
    CHECK(sat.total == Points(std::numeric_limits<int64_t>::max()));
  }

  SECTION("inputs beyond the protocol are capped, never undefined") {
    const int64_t big = std::numeric_limits<int64_t>::max();
    auto b = explain({line(1, "sku", "", "x", big, big), line(2, "y", "", "x", -5, 100),
                      line(3, "z", "", "x", 2, -100)},
                     context("2024-03-05", "top"), extreme);
    CHECK(b.lines[0].eligible == Money(9'999LL * 100'000'000));
    CHECK(b.lines[1].eligible == Money(0));
    CHECK(b.lines[2].eligible == Money(0));
    CHECK(b.total > Points(0));
  }
}

TEST_CASE("EarnEngine: repeated partial refunds never reverse more than was earned", "[rules]") {
  EarnRules rules;
  rules.multipliers.push_back(multiplier("milk-2x", ScopeKind::kSku, "milk", 200));
  rules.thresholdBonuses.push_back(
      ThresholdBonus{"th-7", Money(700), Points(100), std::nullopt, std::nullopt});
  const EarnContext sale = context();
  std::vector<PricedLine> kept{line(1, "milk", "Moo", "dairy/milk", 2, 250),
                               line(2, "bread", "Bake", "bakery", 1, 300),
                               line(3, "beer", "Hop", "alcohol", 1, 500)};
  const Points earned = computePoints(kept, sale, rules);
  REQUIRE(earned == Points(113));  // floor(8.00 + 5.00 extra) + 100

  // Returning the beer changes nothing; one milk loses the threshold bonus.
  const std::vector<std::vector<ReturnedUnits>> returns{{{3, 1}}, {{1, 1}}, {{2, 1}}, {{1, 1}}};
  const std::vector<int64_t> expected{0, 105, 3, 5};
  int64_t reversed = 0;
  for (size_t i = 0; i < returns.size(); ++i) {
    const Points r = pointsToReverse(kept, returns[i], sale, rules);
    INFO("return " << i);
    CHECK(r.value() == expected[i]);
    reversed += r.value();
    CHECK(reversed <= earned.value());
    kept = afterReturn(kept, returns[i]);
  }
  CHECK(reversed == earned.value());  // everything returned: everything reversed

  // Over-returning and unknown lines cannot reverse more than what is left.
  std::vector<PricedLine> one{line(1, "milk", "Moo", "dairy/milk", 1, 250)};
  CHECK(pointsToReverse(one, {{1, 50}, {9, 1}, {1, -3}}, sale, rules) == Points(5));
}

TEST_CASE("EarnEngine: random refund sequences stay within what the sale earned", "[rules]") {
  std::mt19937_64 rng(4242);
  EarnRules rules;
  rules.multipliers.push_back(multiplier("dairy", ScopeKind::kCategory, "dairy", 300));
  rules.multipliers.push_back(multiplier("low", ScopeKind::kSku, "s2", 40));
  rules.productBonuses.push_back(ProductBonus{"pb", "s1", 7, std::nullopt, std::nullopt});
  rules.thresholdBonuses.push_back(
      ThresholdBonus{"th-a", Money(2000), Points(30), std::nullopt, std::nullopt});
  rules.thresholdBonuses.push_back(
      ThresholdBonus{"th-b", Money(6000), Points(90), std::nullopt, std::nullopt});
  rules.tiers.push_back(Tier{"gold", Money(0), 175});
  const std::vector<std::string> cats{"dairy/milk", "bakery", "alcohol", ""};
  for (int round = 0; round < 200; ++round) {
    std::vector<PricedLine> kept;
    for (int i = 0; i < 5; ++i) {
      kept.push_back(line(i + 1, "s" + std::to_string(rng() % 4), "", cats[rng() % cats.size()],
                          std::uniform_int_distribution<int64_t>(1, 6)(rng),
                          std::uniform_int_distribution<int64_t>(1, 2500)(rng)));
    }
    const EarnContext sale = context("2024-03-05", "gold");
    const int64_t earned = computePoints(kept, sale, rules).value();
    int64_t reversed = 0;
    for (int step = 0; step < 40; ++step) {
      std::vector<ReturnedUnits> ret{
          {static_cast<int64_t>(rng() % 5 + 1), std::uniform_int_distribution<int64_t>(1, 3)(rng)}};
      const int64_t r = pointsToReverse(kept, ret, sale, rules).value();
      CHECK(r >= 0);
      reversed += r;
      kept = afterReturn(kept, ret);
    }
    INFO("round " << round);
    CHECK(reversed <= earned);
    // The telescoping sum: what was reversed plus what is still held is what was earned.
    CHECK(reversed + computePoints(kept, sale, rules).value() == earned);
  }
}

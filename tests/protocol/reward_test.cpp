// Tests of coupon rewards (loyalty/offers/reward.h): every kind and target, the minimum quantity
// and spend, amounts spread over lines, caps at the open amount, earlier discounts, buy-x-get-y
// ranking and groups, validation per field, names and receipt texts.
#include "loyalty/offers/reward.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using loyalty::base::ErrorCode;
using loyalty::base::Money;
using loyalty::base::Points;
using namespace loyalty::offers;  // NOLINT(google-build-using-namespace): test file

RewardLine line(int64_t number, std::string sku, std::string category, int64_t quantity,
                int64_t unitPrice, int64_t discounted = 0) {
  RewardLine l;
  l.line = number;
  l.sku = std::move(sku);
  l.categoryPath = std::move(category);
  l.quantity = quantity;
  l.unitPrice = Money(unitPrice);
  l.discounted = Money(discounted);
  return l;
}

Reward amountOff(TargetKind target, std::string value, int64_t amount) {
  Reward r;
  r.kind = RewardKind::kAmountOff;
  r.target = target;
  r.value = std::move(value);
  r.amount = Money(amount);
  return r;
}

Reward percentOff(TargetKind target, std::string value, int64_t percent) {
  Reward r;
  r.kind = RewardKind::kPercentOff;
  r.target = target;
  r.value = std::move(value);
  r.percent = percent;
  return r;
}

Reward buyGet(TargetKind target, std::string value, int64_t buy, int64_t get,
              int64_t maxGroups = 0) {
  Reward r;
  r.kind = RewardKind::kBuyXGetY;
  r.target = target;
  r.value = std::move(value);
  r.buyQuantity = buy;
  r.getQuantity = get;
  r.maxGroups = maxGroups;
  return r;
}

Reward bonus(TargetKind target, std::string value, int64_t points) {
  Reward r;
  r.kind = RewardKind::kBonusPoints;
  r.target = target;
  r.value = std::move(value);
  r.points = Points(points);
  return r;
}

std::vector<LineDiscount> discounts(std::initializer_list<std::pair<int64_t, int64_t>> items) {
  std::vector<LineDiscount> out;
  for (const auto& [number, amount] : items) {
    out.push_back(LineDiscount{number, Money(amount)});
  }
  return out;
}

// A small basket used by several cases:
//   1: P1 milk 2 x 1.50, 2: P2 cheese 1 x 4.00, 3: P3 bread 3 x 2.00, 4: P1 milk again 1 x 1.50.
std::vector<RewardLine> basket() {
  return {line(1, "P1", "dairy/milk", 2, 150), line(2, "P2", "dairy/cheese", 1, 400),
          line(3, "P3", "bakery/bread", 3, 200), line(4, "P1", "dairy/milk", 1, 150)};
}

void checkError(const Reward& reward, ErrorCode code, const std::string& field) {
  const auto status = validate(reward);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == code);
  CHECK(status.error().message.rfind("reward." + field + ": ", 0) == 0);
}

}  // namespace

// ---- Names and equality ------------------------------------------------------------------------

TEST_CASE("Reward: kind and target names round trip", "[protocol][reward]") {
  for (const RewardKind kind : {RewardKind::kAmountOff, RewardKind::kPercentOff,
                                RewardKind::kBuyXGetY, RewardKind::kBonusPoints}) {
    const auto parsed = parseRewardKind(rewardKindName(kind));
    REQUIRE(parsed);
    CHECK(*parsed == kind);
  }
  CHECK(std::string(rewardKindName(RewardKind::kAmountOff)) == "amount_off");
  CHECK(std::string(rewardKindName(RewardKind::kPercentOff)) == "percent_off");
  CHECK(std::string(rewardKindName(RewardKind::kBuyXGetY)) == "buy_x_get_y");
  CHECK(std::string(rewardKindName(RewardKind::kBonusPoints)) == "bonus_points");
  for (const TargetKind kind : {TargetKind::kSku, TargetKind::kCategory, TargetKind::kBasket}) {
    const auto parsed = parseTargetKind(targetKindName(kind));
    REQUIRE(parsed);
    CHECK(*parsed == kind);
  }
  CHECK(std::string(targetKindName(TargetKind::kCategory)) == "category");
  CHECK_FALSE(parseRewardKind("AMOUNT_OFF"));
  CHECK_FALSE(parseRewardKind(""));
  CHECK_FALSE(parseTargetKind("store"));
  CHECK_FALSE(parseTargetKind("sku "));
}

TEST_CASE("Reward: equality compares every field", "[protocol][reward]") {
  const Reward base = buyGet(TargetKind::kSku, "P7", 2, 1, 3);
  CHECK(base == base);
  Reward other = base;
  other.minSpend = Money(1);
  CHECK_FALSE(base == other);
  other = base;
  other.minQuantity = 4;
  CHECK_FALSE(base == other);
  other = base;
  other.maxGroups = 2;
  CHECK_FALSE(base == other);
  other = base;
  other.value = "P8";
  CHECK_FALSE(base == other);
  other = base;
  other.target = TargetKind::kCategory;
  CHECK_FALSE(base == other);
}

TEST_CASE("Reward: categoryMatches uses whole segments", "[protocol][reward]") {
  CHECK(categoryMatches("dairy/milk", "dairy"));
  CHECK(categoryMatches("dairy/milk", "dairy/"));
  CHECK(categoryMatches("dairy/milk", "dairy/milk"));
  CHECK(categoryMatches("dairy", "dairy"));
  CHECK(categoryMatches("dairy/milk/whole", "dairy/milk"));
  CHECK_FALSE(categoryMatches("dairyfree/milk", "dairy"));
  CHECK_FALSE(categoryMatches("dairy", "dairy/milk"));
  CHECK_FALSE(categoryMatches("bakery/dairy", "dairy"));
  CHECK_FALSE(categoryMatches("dairy/milk", ""));
  CHECK_FALSE(categoryMatches("dairy/milk", "/"));
  CHECK_FALSE(categoryMatches("", "dairy"));
}

// ---- Amount off --------------------------------------------------------------------------------

TEST_CASE("Reward: amount off a SKU is taken from the first matching line", "[protocol][reward]") {
  const auto outcome = applyReward(amountOff(TargetKind::kSku, "P1", 100), basket());
  CHECK(outcome.applies);
  CHECK(outcome.discounts == discounts({{1, 100}}));
  CHECK(outcome.cost == Money(100));
  CHECK(outcome.bonusPoints == Points(0));
}

TEST_CASE("Reward: amount off spreads over the next matching lines", "[protocol][reward]") {
  // P1 lines: 1 (3.00 open) and 4 (1.50 open); 4.00 off takes 3.00 then 1.00.
  const auto outcome = applyReward(amountOff(TargetKind::kSku, "P1", 400), basket());
  CHECK(outcome.applies);
  CHECK(outcome.discounts == discounts({{1, 300}, {4, 100}}));
  CHECK(outcome.cost == Money(400));
}

TEST_CASE("Reward: amount off is capped at the open amount of the matching lines",
          "[protocol][reward]") {
  const auto outcome = applyReward(amountOff(TargetKind::kCategory, "dairy", 100000), basket());
  CHECK(outcome.applies);
  CHECK(outcome.discounts == discounts({{1, 300}, {2, 400}, {4, 150}}));
  CHECK(outcome.cost == Money(850));
}

TEST_CASE("Reward: amount off the basket uses basket order", "[protocol][reward]") {
  const auto outcome = applyReward(amountOff(TargetKind::kBasket, "", 750), basket());
  CHECK(outcome.applies);
  CHECK(outcome.discounts == discounts({{1, 300}, {2, 400}, {3, 50}}));
  CHECK(outcome.cost == Money(750));
}

TEST_CASE("Reward: earlier discounts reduce the open amount", "[protocol][reward]") {
  std::vector<RewardLine> lines = basket();
  lines[0].discounted = Money(250);  // line 1 has 0.50 left
  const auto outcome = applyReward(amountOff(TargetKind::kSku, "P1", 150), lines);
  CHECK(outcome.applies);
  CHECK(outcome.discounts == discounts({{1, 50}, {4, 100}}));
  CHECK(outcome.cost == Money(150));

  // A fully discounted line is skipped (no zero entries); the reward still applies.
  lines[0].discounted = Money(300);
  lines[3].discounted = Money(150);
  const auto nothingLeft = applyReward(amountOff(TargetKind::kSku, "P1", 150), lines);
  CHECK(nothingLeft.applies);
  CHECK(nothingLeft.discounts.empty());
  CHECK(nothingLeft.cost == Money(0));

  // A discount above the line's value (not produced by applyReward) never makes it negative.
  lines[0].discounted = Money(10000);
  const auto over = applyReward(amountOff(TargetKind::kBasket, "", 100), lines);
  CHECK(over.discounts == discounts({{2, 100}}));
}

TEST_CASE("Reward: no matching line means the reward does not apply", "[protocol][reward]") {
  for (const Reward& reward :
       {amountOff(TargetKind::kSku, "P9", 100), percentOff(TargetKind::kCategory, "frozen", 10),
        buyGet(TargetKind::kSku, "P9", 1, 1), bonus(TargetKind::kCategory, "dairyfree", 10)}) {
    const auto outcome = applyReward(reward, basket());
    CHECK_FALSE(outcome.applies);
    CHECK(outcome.discounts.empty());
    CHECK(outcome.cost == Money(0));
    CHECK(outcome.bonusPoints == Points(0));
  }
  CHECK_FALSE(applyReward(amountOff(TargetKind::kBasket, "", 100), {}).applies);
}

TEST_CASE("Reward: a line with an unknown category matches only the basket", "[protocol][reward]") {
  const std::vector<RewardLine> lines = {line(1, "X1", "", 1, 500)};
  CHECK_FALSE(applyReward(amountOff(TargetKind::kCategory, "dairy", 100), lines).applies);
  CHECK(applyReward(amountOff(TargetKind::kBasket, "", 100), lines).discounts ==
        discounts({{1, 100}}));
  CHECK(applyReward(amountOff(TargetKind::kSku, "X1", 100), lines).discounts ==
        discounts({{1, 100}}));
}

// ---- Conditions --------------------------------------------------------------------------------

TEST_CASE("Reward: minimum quantity counts matching units", "[protocol][reward]") {
  Reward reward = amountOff(TargetKind::kSku, "P1", 100);
  reward.minQuantity = 3;  // P1: 2 + 1 units
  CHECK(applyReward(reward, basket()).applies);
  reward.minQuantity = 4;
  const auto outcome = applyReward(reward, basket());
  CHECK_FALSE(outcome.applies);
  CHECK(outcome.discounts.empty());
  // Units count even when earlier coupons took their whole value.
  std::vector<RewardLine> lines = basket();
  lines[0].discounted = Money(300);
  reward.minQuantity = 3;
  CHECK(applyReward(reward, lines).applies);
}

TEST_CASE("Reward: minimum spend uses the open amount of the matching lines",
          "[protocol][reward]") {
  Reward reward = percentOff(TargetKind::kCategory, "dairy", 10);
  reward.minSpend = Money(850);  // dairy: 3.00 + 4.00 + 1.50
  const auto met = applyReward(reward, basket());
  CHECK(met.applies);
  CHECK(met.discounts == discounts({{1, 30}, {2, 40}, {4, 15}}));
  reward.minSpend = Money(851);
  CHECK_FALSE(applyReward(reward, basket()).applies);
  // Earlier discounts count against the minimum spend.
  std::vector<RewardLine> lines = basket();
  lines[1].discounted = Money(1);
  reward.minSpend = Money(850);
  CHECK_FALSE(applyReward(reward, lines).applies);
}

// ---- Percent off -------------------------------------------------------------------------------

TEST_CASE("Reward: percent off rounds down per line", "[protocol][reward]") {
  const std::vector<RewardLine> lines = {line(1, "A", "x", 3, 333), line(2, "B", "x", 1, 9),
                                         line(3, "C", "y", 1, 1000)};
  // 15% of 9.99 = 1.4985 -> 1.49; of 0.09 = 0.0135 -> 0.01; line 3 is not in category x.
  const auto outcome = applyReward(percentOff(TargetKind::kCategory, "x", 15), lines);
  CHECK(outcome.applies);
  CHECK(outcome.discounts == discounts({{1, 149}, {2, 1}}));
  CHECK(outcome.cost == Money(150));
  // 10% of 0.09 is 0.009 -> 0: no entry for line 2.
  const auto small = applyReward(percentOff(TargetKind::kSku, "B", 10), lines);
  CHECK(small.applies);
  CHECK(small.discounts.empty());
}

TEST_CASE("Reward: percent off applies to the open amount", "[protocol][reward]") {
  std::vector<RewardLine> lines = {line(1, "A", "x", 2, 500, 200)};  // 10.00 - 2.00 = 8.00
  CHECK(applyReward(percentOff(TargetKind::kSku, "A", 25), lines).discounts ==
        discounts({{1, 200}}));
  CHECK(applyReward(percentOff(TargetKind::kBasket, "", 100), lines).discounts ==
        discounts({{1, 800}}));
}

TEST_CASE("Reward: percent off at the protocol maximum is exact", "[protocol][reward]") {
  // 9,999 x 100,000,000 = 999,900,000,000 minor units on one line.
  const std::vector<RewardLine> lines = {line(1, "A", "x", 9999, 100'000'000)};
  const auto outcome = applyReward(percentOff(TargetKind::kBasket, "", 37), lines);
  CHECK(outcome.discounts == discounts({{1, 369'963'000'000}}));
  const std::vector<RewardLine> odd = {line(1, "A", "x", 9999, 99'999'999)};
  // 999,899,990,001 x 37 / 100 = 369,962,996,300.37 -> 369,962,996,300
  CHECK(applyReward(percentOff(TargetKind::kBasket, "", 37), odd).cost ==
        Money(369'962'996'300));
}

// ---- Buy x get y -------------------------------------------------------------------------------

TEST_CASE("Reward: buy 2 get 1 gives the cheapest matching unit free", "[protocol][reward]") {
  const std::vector<RewardLine> lines = {line(1, "A", "snacks/chips", 1, 300),
                                         line(2, "B", "snacks/nuts", 1, 250),
                                         line(3, "C", "snacks/chips", 1, 199),
                                         line(4, "D", "drinks", 1, 100)};
  const auto outcome = applyReward(buyGet(TargetKind::kCategory, "snacks", 2, 1), lines);
  CHECK(outcome.applies);
  CHECK(outcome.discounts == discounts({{3, 199}}));
  CHECK(outcome.cost == Money(199));
}

TEST_CASE("Reward: buy x get y needs a whole group", "[protocol][reward]") {
  const std::vector<RewardLine> lines = {line(1, "A", "x", 2, 300)};
  const auto outcome = applyReward(buyGet(TargetKind::kSku, "A", 2, 1), lines);
  CHECK(outcome.applies);  // units present: the reward applies but gives nothing yet
  CHECK(outcome.discounts.empty());
  CHECK(outcome.cost == Money(0));
}

TEST_CASE("Reward: buy x get y is limited to maxGroups groups (0 = 1)", "[protocol][reward]") {
  const std::vector<RewardLine> lines = {line(1, "A", "x", 7, 100)};
  // 7 units make 3 groups of buy 1 get 1 (2 units each).
  CHECK(applyReward(buyGet(TargetKind::kSku, "A", 1, 1), lines).cost == Money(100));
  CHECK(applyReward(buyGet(TargetKind::kSku, "A", 1, 1, 1), lines).cost == Money(100));
  CHECK(applyReward(buyGet(TargetKind::kSku, "A", 1, 1, 2), lines).cost == Money(200));
  CHECK(applyReward(buyGet(TargetKind::kSku, "A", 1, 1, 3), lines).cost == Money(300));
  CHECK(applyReward(buyGet(TargetKind::kSku, "A", 1, 1, 100), lines).cost == Money(300));
  // get 2: each group gives two units.
  const auto two = applyReward(buyGet(TargetKind::kSku, "A", 1, 2, 5), lines);
  CHECK(two.discounts == discounts({{1, 400}}));  // 7 / 3 = 2 groups x 2 units
}

TEST_CASE("Reward: buy x get y takes the cheapest units across lines", "[protocol][reward]") {
  const std::vector<RewardLine> lines = {line(1, "A", "x", 3, 500), line(2, "B", "x", 2, 120),
                                         line(3, "C", "x", 1, 300)};
  // 6 units, buy 1 get 1, 3 groups: the 3 cheapest units are 2 x 1.20 (line 2) and 1 x 3.00.
  const auto outcome = applyReward(buyGet(TargetKind::kBasket, "", 1, 1, 3), lines);
  CHECK(outcome.discounts == discounts({{2, 240}, {3, 300}}));
  CHECK(outcome.cost == Money(540));
}

TEST_CASE("Reward: buy x get y breaks price ties by basket order", "[protocol][reward]") {
  const std::vector<RewardLine> lines = {line(7, "A", "x", 1, 200), line(3, "B", "x", 1, 200),
                                         line(5, "C", "x", 1, 200), line(9, "D", "x", 1, 500)};
  // 4 units, buy 3 get 1: one free unit among the three at 2.00: the first in basket order.
  const auto outcome = applyReward(buyGet(TargetKind::kBasket, "", 3, 1), lines);
  CHECK(outcome.discounts == discounts({{7, 200}}));
  // buy 1 get 1, 2 groups: two free units, lines 7 and 3 (basket order, not line number).
  const auto two = applyReward(buyGet(TargetKind::kBasket, "", 1, 1, 2), lines);
  CHECK(two.discounts == discounts({{7, 200}, {3, 200}}));
}

TEST_CASE("Reward: a free unit is capped at its line's open amount", "[protocol][reward]") {
  const std::vector<RewardLine> lines = {line(1, "A", "x", 2, 300, 450),  // 1.50 open
                                         line(2, "A", "x", 2, 400)};
  // buy 1 get 1 twice: the two cheapest units are both on line 1 (3.00 each) but only 1.50 is
  // open there.
  const auto outcome = applyReward(buyGet(TargetKind::kSku, "A", 1, 1, 2), lines);
  CHECK(outcome.discounts == discounts({{1, 150}}));
  CHECK(outcome.cost == Money(150));
}

TEST_CASE("Reward: buy x get y honours the minimum quantity and spend", "[protocol][reward]") {
  Reward reward = buyGet(TargetKind::kSku, "A", 1, 1);
  reward.minQuantity = 3;
  const std::vector<RewardLine> two = {line(1, "A", "x", 2, 100)};
  CHECK_FALSE(applyReward(reward, two).applies);
  const std::vector<RewardLine> three = {line(1, "A", "x", 3, 100)};
  CHECK(applyReward(reward, three).cost == Money(100));
  reward.minSpend = Money(301);
  CHECK_FALSE(applyReward(reward, three).applies);
}

// ---- Bonus points ------------------------------------------------------------------------------

TEST_CASE("Reward: bonus points give no discount", "[protocol][reward]") {
  const auto outcome = applyReward(bonus(TargetKind::kSku, "P2", 50), basket());
  CHECK(outcome.applies);
  CHECK(outcome.discounts.empty());
  CHECK(outcome.bonusPoints == Points(50));
  CHECK(outcome.cost == Money(0));

  Reward big = bonus(TargetKind::kBasket, "", 500);
  big.minSpend = Money(2000);  // basket 14.50
  const auto notMet = applyReward(big, basket());
  CHECK_FALSE(notMet.applies);
  CHECK(notMet.bonusPoints == Points(0));
}

// ---- Stacking ----------------------------------------------------------------------------------

TEST_CASE("Reward: two coupons stack when the caller adds the first one's discounts",
          "[protocol][reward]") {
  std::vector<RewardLine> lines = basket();
  const auto first = applyReward(percentOff(TargetKind::kCategory, "dairy", 50), lines);
  REQUIRE(first.discounts == discounts({{1, 150}, {2, 200}, {4, 75}}));
  for (const LineDiscount& d : first.discounts) {
    for (RewardLine& l : lines) {
      if (l.line == d.line) {
        l.discounted += d.amount;
      }
    }
  }
  const auto second = applyReward(amountOff(TargetKind::kBasket, "", 600), lines);
  // Open: 1.50, 2.00, 6.00, 0.75.
  CHECK(second.discounts == discounts({{1, 150}, {2, 200}, {3, 250}}));
  CHECK(second.cost == Money(600));
}

// ---- Robustness --------------------------------------------------------------------------------

TEST_CASE("Reward: malformed or huge lines neither wrap nor produce negative discounts",
          "[protocol][reward]") {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::vector<RewardLine> lines = {
      line(1, "A", "x", -3, 100), line(2, "A", "x", 2, -100), line(3, "A", "x", 0, 100),
      line(4, "A", "x", kMax, kMax), line(5, "A", "x", 1, 100, -50)};
  for (const Reward& reward :
       {amountOff(TargetKind::kBasket, "", kMaxRewardAmount),
        percentOff(TargetKind::kBasket, "", 100), buyGet(TargetKind::kBasket, "", 1, 1, 100)}) {
    const auto outcome = applyReward(reward, lines);
    CHECK(outcome.applies);
    int64_t sum = 0;
    for (const LineDiscount& d : outcome.discounts) {
      CHECK(d.amount > Money(0));
      CHECK(d.line != 1);
      CHECK(d.line != 2);
      CHECK(d.line != 3);
      sum = loyalty::base::checkedAdd(sum, d.amount.value()).value_or(kMax);  // saturates too
    }
    CHECK(outcome.cost == Money(sum));
    CHECK(outcome.cost >= Money(0));
  }
  // Percent off a saturated line: exact floor of kMax x 100 / 100 is kMax itself.
  const auto all = applyReward(percentOff(TargetKind::kSku, "A", 100), {lines[3]});
  CHECK(all.discounts == discounts({{4, kMax}}));
}

TEST_CASE("Reward: random baskets keep every discount within the line's open amount",
          "[protocol][reward]") {
  std::mt19937_64 rng(20240305);
  const auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<RewardLine> lines;
    const int64_t count = uniform(1, 12);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t quantity = uniform(1, 20);
      const int64_t price = uniform(0, 5000);
      lines.push_back(line(i + 1, "S" + std::to_string(uniform(1, 3)),
                           uniform(0, 1) == 0 ? "a/b" : "c", quantity, price,
                           uniform(0, quantity * price)));
    }
    Reward reward;
    switch (uniform(0, 2)) {
      case 0:
        reward = amountOff(TargetKind::kCategory, "a", uniform(1, 20000));
        break;
      case 1:
        reward = percentOff(TargetKind::kSku, "S1", uniform(1, 100));
        break;
      default:
        reward = buyGet(TargetKind::kBasket, "", uniform(1, 4), uniform(1, 3), uniform(0, 5));
        break;
    }
    REQUIRE(validate(reward).ok());
    const auto outcome = applyReward(reward, lines);
    int64_t sum = 0;
    for (const LineDiscount& d : outcome.discounts) {
      CHECK(d.amount > Money(0));
      const auto it = std::find_if(lines.begin(), lines.end(),
                                   [&](const RewardLine& l) { return l.line == d.line; });
      REQUIRE(it != lines.end());
      CHECK(d.amount.value() <= it->quantity * it->unitPrice.value() - it->discounted.value());
      sum += d.amount.value();
    }
    CHECK(outcome.cost == Money(sum));
    if (reward.kind == RewardKind::kAmountOff) {
      CHECK(outcome.cost <= reward.amount);
    }
  }
}

// ---- Validation --------------------------------------------------------------------------------

TEST_CASE("Reward: valid rewards of every kind pass validation", "[protocol][reward]") {
  CHECK(validate(amountOff(TargetKind::kSku, "P12", 150)).ok());
  CHECK(validate(amountOff(TargetKind::kBasket, "", kMaxRewardAmount)).ok());
  CHECK(validate(percentOff(TargetKind::kCategory, "dairy/", 100)).ok());
  CHECK(validate(percentOff(TargetKind::kCategory, "dairy", 1)).ok());
  CHECK(validate(buyGet(TargetKind::kSku, "P7", 2, 1)).ok());
  CHECK(validate(buyGet(TargetKind::kBasket, "", kMaxGroupQuantity, kMaxGroupQuantity,
                        kMaxGroupQuantity))
            .ok());
  Reward withConditions = bonus(TargetKind::kBasket, "", kMaxRewardPoints);
  withConditions.minQuantity = kMaxGroupQuantity;
  withConditions.minSpend = Money(kMaxRewardAmount);
  CHECK(validate(withConditions).ok());
}

TEST_CASE("Reward: validation names the field at fault", "[protocol][reward]") {
  checkError(amountOff(TargetKind::kSku, "P1", 0), ErrorCode::kValueOutOfRange, "amount");
  checkError(amountOff(TargetKind::kSku, "P1", kMaxRewardAmount + 1), ErrorCode::kValueOutOfRange,
             "amount");
  checkError(amountOff(TargetKind::kSku, "P1", -5), ErrorCode::kValueOutOfRange, "amount");
  checkError(percentOff(TargetKind::kSku, "P1", 0), ErrorCode::kValueOutOfRange, "percent");
  checkError(percentOff(TargetKind::kSku, "P1", 101), ErrorCode::kValueOutOfRange, "percent");
  checkError(bonus(TargetKind::kSku, "P1", 0), ErrorCode::kValueOutOfRange, "points");
  checkError(bonus(TargetKind::kSku, "P1", kMaxRewardPoints + 1), ErrorCode::kValueOutOfRange,
             "points");
  checkError(buyGet(TargetKind::kSku, "P1", 0, 1), ErrorCode::kValueOutOfRange, "buy_quantity");
  checkError(buyGet(TargetKind::kSku, "P1", 101, 1), ErrorCode::kValueOutOfRange,
             "buy_quantity");
  checkError(buyGet(TargetKind::kSku, "P1", 1, 0), ErrorCode::kValueOutOfRange, "get_quantity");
  checkError(buyGet(TargetKind::kSku, "P1", 1, 101), ErrorCode::kValueOutOfRange,
             "get_quantity");
  checkError(buyGet(TargetKind::kSku, "P1", 1, 1, -1), ErrorCode::kValueOutOfRange, "max_groups");
  checkError(buyGet(TargetKind::kSku, "P1", 1, 1, 101), ErrorCode::kValueOutOfRange,
             "max_groups");

  Reward r = amountOff(TargetKind::kSku, "P1", 100);
  r.minQuantity = -1;
  checkError(r, ErrorCode::kValueOutOfRange, "min_quantity");
  r.minQuantity = kMaxGroupQuantity + 1;
  checkError(r, ErrorCode::kValueOutOfRange, "min_quantity");
  r.minQuantity = 0;
  r.minSpend = Money(-1);
  checkError(r, ErrorCode::kValueOutOfRange, "min_spend");
  r.minSpend = Money(kMaxRewardAmount + 1);
  checkError(r, ErrorCode::kValueOutOfRange, "min_spend");
}

TEST_CASE("Reward: fields of another kind must be zero", "[protocol][reward]") {
  Reward r = amountOff(TargetKind::kSku, "P1", 100);
  r.percent = 10;
  checkError(r, ErrorCode::kInvalidValue, "percent");
  r = percentOff(TargetKind::kSku, "P1", 10);
  r.amount = Money(5);
  checkError(r, ErrorCode::kInvalidValue, "amount");
  r = bonus(TargetKind::kSku, "P1", 10);
  r.buyQuantity = 1;
  checkError(r, ErrorCode::kInvalidValue, "buy_quantity");
  r = amountOff(TargetKind::kSku, "P1", 100);
  r.maxGroups = 2;
  checkError(r, ErrorCode::kInvalidValue, "max_groups");
  r = buyGet(TargetKind::kSku, "P1", 1, 1);
  r.points = Points(3);
  checkError(r, ErrorCode::kInvalidValue, "points");
}

TEST_CASE("Reward: the target value is checked per target", "[protocol][reward]") {
  checkError(amountOff(TargetKind::kBasket, "P1", 100), ErrorCode::kInvalidValue, "value");
  checkError(amountOff(TargetKind::kSku, "", 100), ErrorCode::kInvalidValue, "value");
  checkError(amountOff(TargetKind::kSku, "P 1", 100), ErrorCode::kInvalidValue, "value");
  checkError(amountOff(TargetKind::kSku, std::string(65, 'A'), 100), ErrorCode::kInvalidValue,
             "value");
  CHECK(validate(amountOff(TargetKind::kSku, std::string(64, 'A'), 100)).ok());
  checkError(amountOff(TargetKind::kCategory, "", 100), ErrorCode::kInvalidValue, "value");
  checkError(amountOff(TargetKind::kCategory, "//", 100), ErrorCode::kInvalidValue, "value");
  checkError(amountOff(TargetKind::kCategory, "dairy\n", 100), ErrorCode::kInvalidValue,
             "value");
  checkError(amountOff(TargetKind::kCategory, std::string(129, 'a'), 100),
             ErrorCode::kInvalidValue, "value");
  CHECK(validate(amountOff(TargetKind::kCategory, "frozen food/ice cream", 100)).ok());

  Reward badKind = amountOff(TargetKind::kSku, "P1", 100);
  badKind.kind = static_cast<RewardKind>(42);
  checkError(badKind, ErrorCode::kInvalidValue, "kind");
  Reward badTarget = amountOff(TargetKind::kSku, "P1", 100);
  badTarget.target = static_cast<TargetKind>(42);
  checkError(badTarget, ErrorCode::kInvalidValue, "target");
}

// ---- Texts -------------------------------------------------------------------------------------

TEST_CASE("Reward: describe gives short receipt texts", "[protocol][reward]") {
  CHECK(describe(amountOff(TargetKind::kSku, "P12", 150)) == "1.50 off P12");
  CHECK(describe(amountOff(TargetKind::kBasket, "", 5)) == "0.05 off the basket");
  CHECK(describe(amountOff(TargetKind::kBasket, "", 100000)) == "1000.00 off the basket");
  CHECK(describe(percentOff(TargetKind::kCategory, "dairy", 20)) == "20% off dairy");
  CHECK(describe(percentOff(TargetKind::kBasket, "", 10)) == "10% off the basket");
  CHECK(describe(buyGet(TargetKind::kSku, "P7", 2, 1)) == "buy 2 get 1 free: P7");
  CHECK(describe(buyGet(TargetKind::kSku, "P7", 2, 1, 1)) == "buy 2 get 1 free: P7");
  CHECK(describe(buyGet(TargetKind::kBasket, "", 3, 2, 4)) == "buy 3 get 2 free (up to 4 times)");
  CHECK(describe(bonus(TargetKind::kBasket, "", 50)) == "50 bonus points");
  CHECK(describe(bonus(TargetKind::kBasket, "", 1)) == "1 bonus point");
  CHECK(describe(bonus(TargetKind::kSku, "P2", 20)) == "20 bonus points with P2");

  Reward conditions = percentOff(TargetKind::kCategory, "dairy", 20);
  conditions.minQuantity = 2;
  conditions.minSpend = Money(1000);
  CHECK(describe(conditions) == "20% off dairy, min. 2 units, min. spend 10.00");
  conditions.minQuantity = 1;  // 1 is the default: not worth printing
  CHECK(describe(conditions) == "20% off dairy, min. spend 10.00");
}

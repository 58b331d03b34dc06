// Coupon rewards: what a coupon gives, and the one function that applies it to a basket.
//
// The core (price, commit, preview) and an offline pos-agent must compute the same discount for
// the same coupon and basket, so the computation lives here, beside the wire contract, and both
// link it. docs/offers.md, "Coupon rewards", states the rules with worked examples that tests run.
//
// Rules (exact integer arithmetic, no floating point):
//   - A line's "open" amount is quantity x unitPrice minus the discounts earlier coupons of the
//     same basket already took off it; a reward never takes a line below zero.
//   - Matching lines: target kSku matches lines whose SKU equals value; kCategory lines whose
//     category path equals value or starts with it as whole segments ("dairy" matches
//     "dairy/milk"); kBasket every line. A reward applies only when the matching lines hold at
//     least minQuantity units (1 when 0) and their open amount is at least minSpend.
//   - kAmountOff: `amount` off the matching lines, taken from the first matching line (in basket
//     order) and the rest from the next ones, capped at their open amount.
//   - kPercentOff: floor(open x percent / 100) off each matching line.
//   - kBuyXGetY: groups = min(matching units / (buyQuantity + getQuantity), maxGroups (1 when
//     0)); groups x getQuantity units are free, the cheapest matching units of the whole basket
//     (ties by line order); a free unit costs its unit price, capped at its line's open amount.
//   - kBonusPoints: no discount; `points` bonus points when the reward applies.
//   The cost of an application is the sum of its discounts (bonus points cost no money).
//
// Thread safety: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/money.h"
#include "loyalty/base/result.h"

namespace loyalty::offers {

using base::Money;
using base::Points;

enum class RewardKind { kAmountOff, kPercentOff, kBuyXGetY, kBonusPoints };
enum class TargetKind { kSku, kCategory, kBasket };

// "amount_off", "percent_off", "buy_x_get_y", "bonus_points".
const char* rewardKindName(RewardKind kind);
std::optional<RewardKind> parseRewardKind(std::string_view name);
// "sku", "category", "basket".
const char* targetKindName(TargetKind kind);
std::optional<TargetKind> parseTargetKind(std::string_view name);

// Bounds checked by validate().
inline constexpr int64_t kMaxRewardAmount = 100'000'000;  // minor units
inline constexpr int64_t kMaxRewardPoints = 10'000'000;
inline constexpr int64_t kMaxGroupQuantity = 100;

struct Reward {
  RewardKind kind = RewardKind::kAmountOff;
  TargetKind target = TargetKind::kBasket;
  std::string value;        // SKU or category prefix; empty for kBasket
  Money amount;             // kAmountOff: 1..kMaxRewardAmount
  int64_t percent = 0;      // kPercentOff: 1..100
  Points points;            // kBonusPoints: 1..kMaxRewardPoints
  int64_t buyQuantity = 0;  // kBuyXGetY: 1..kMaxGroupQuantity
  int64_t getQuantity = 0;  // kBuyXGetY: 1..kMaxGroupQuantity
  int64_t maxGroups = 0;    // kBuyXGetY: 0..kMaxGroupQuantity (0 = 1)
  int64_t minQuantity = 0;  // 0..kMaxGroupQuantity matching units needed (0 = 1)
  Money minSpend;           // 0..kMaxRewardAmount open amount of the matching lines needed
};

bool operator==(const Reward& a, const Reward& b);

// Errors: kInvalidValue naming the field ("reward.percent: ..."), kValueOutOfRange for bounds.
// Fields that belong to another kind must be zero (or empty).
base::Status validate(const Reward& reward);

// A short text for a receipt or a till screen, e.g. "1.50 off P12", "20% off dairy",
// "buy 2 get 1 free: P7", "50 bonus points". Amounts printed as units.cents.
std::string describe(const Reward& reward);

struct RewardLine {
  int64_t line = 0;
  std::string sku;
  std::string categoryPath;  // may be empty (unknown product: matches only kBasket)
  int64_t quantity = 0;
  Money unitPrice;
  Money discounted;  // taken off this line already by earlier coupons of the basket
};

struct LineDiscount {
  int64_t line = 0;
  Money amount;  // > 0
  bool operator==(const LineDiscount& o) const { return line == o.line && amount == o.amount; }
};

struct RewardOutcome {
  bool applies = false;                // the basket meets the reward's conditions
  std::vector<LineDiscount> discounts;  // in basket order, only lines with amount > 0
  Points bonusPoints;
  Money cost;  // sum of discounts
};

// Applies reward to the basket; lines are not changed (add the discounts to `discounted` before
// applying the next coupon of the same basket).
RewardOutcome applyReward(const Reward& reward, const std::vector<RewardLine>& lines);

// True when pattern equals path or is a whole-segment prefix of it (trailing '/' ignored);
// an empty pattern matches nothing.
bool categoryMatches(std::string_view path, std::string_view pattern);

}  // namespace loyalty::offers

// Coupon rewards: validation, receipt texts and applyReward() (loyalty/offers/reward.h,
// docs/offers.md "Coupon rewards").
//
// Arithmetic: integers only. Inputs that respect validate() and the protocol limits (quantity
// <= 9,999, unit price <= 1e8, 500 lines) keep every value far below 2^63, but applyReward() is
// also total on any other input: products and sums saturate at the int64 maximum instead of
// wrapping, and lines with a quantity below 1 or a negative price or discount are treated as
// holding nothing. Nothing here throws or asserts on input.
#include "loyalty/offers/reward.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace loyalty::offers {

namespace {

using base::ErrorCode;
using base::makeError;
using base::Status;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr size_t kMaxSkuLength = 64;        // as a basket line's SKU (protocol limits)
constexpr size_t kMaxCategoryLength = 128;  // a category path

// a + b for non-negative operands, saturating at the int64 maximum.
int64_t saturatingAdd(int64_t a, int64_t b) {
  return base::checkedAdd(a, b).value_or(kInt64Max);
}

// a x b for non-negative operands, saturating at the int64 maximum.
int64_t saturatingMul(int64_t a, int64_t b) {
  return base::checkedMul(a, b).value_or(kInt64Max);
}

// floor(amount x percent / 100) for 0 <= amount and 0 <= percent <= 100, without overflow:
// amount = 100q + r, so amount x percent / 100 = q x percent + r x percent / 100, where
// q x percent <= amount and r x percent < 10,000.
int64_t percentOf(int64_t amount, int64_t percent) {
  return (amount / 100) * percent + (amount % 100) * percent / 100;
}

// "units.cents" of a non-negative amount of minor units: 150 -> "1.50", 5 -> "0.05".
std::string formatMoney(Money amount) {
  const int64_t v = amount.value();
  const int64_t cents = v % 100;
  std::string out = std::to_string(v / 100);
  out += '.';
  out += static_cast<char>('0' + cents / 10);
  out += static_cast<char>('0' + cents % 10);
  return out;
}

Status invalid(const char* field, const std::string& what) {
  return makeError(ErrorCode::kInvalidValue, std::string("reward.") + field + ": " + what);
}

Status outOfRange(const char* field, int64_t lo, int64_t hi) {
  return makeError(ErrorCode::kValueOutOfRange, std::string("reward.") + field +
                                                    ": must be between " + std::to_string(lo) +
                                                    " and " + std::to_string(hi));
}

// Checks a field that only some kinds use: in range for those kinds, 0 for the others.
Status checkKindField(const char* field, int64_t value, bool used, int64_t lo, int64_t hi,
                      RewardKind kind) {
  if (!used) {
    if (value != 0) {
      return invalid(field, std::string("not allowed for ") + rewardKindName(kind));
    }
    return base::okStatus();
  }
  if (value < lo || value > hi) {
    return outOfRange(field, lo, hi);
  }
  return base::okStatus();
}

bool isPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x21 && c <= 0x7E; });
}

bool hasControlCharacter(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

Status checkTarget(const Reward& reward) {
  switch (reward.target) {
    case TargetKind::kBasket:
      if (!reward.value.empty()) {
        return invalid("value", "must be empty for target basket");
      }
      return base::okStatus();
    case TargetKind::kSku:
      if (reward.value.empty() || reward.value.size() > kMaxSkuLength ||
          !isPrintableAscii(reward.value)) {
        return invalid("value", "a SKU of 1 to 64 printable ASCII characters without spaces");
      }
      return base::okStatus();
    case TargetKind::kCategory: {
      std::string_view trimmed = reward.value;
      while (!trimmed.empty() && trimmed.back() == '/') {
        trimmed.remove_suffix(1);
      }
      if (trimmed.empty() || reward.value.size() > kMaxCategoryLength ||
          hasControlCharacter(reward.value)) {
        return invalid("value",
                       "a category path of 1 to 128 characters without control characters");
      }
      return base::okStatus();
    }
  }
  return invalid("target", "unknown target");
}

bool matches(const Reward& reward, const RewardLine& line) {
  switch (reward.target) {
    case TargetKind::kSku:
      return line.sku == reward.value;
    case TargetKind::kCategory:
      return categoryMatches(line.categoryPath, reward.value);
    case TargetKind::kBasket:
      return true;
  }
  return false;
}

// Units of a line; 0 for a line with no positive quantity.
int64_t unitsOf(const RewardLine& line) { return std::max<int64_t>(line.quantity, 0); }

// quantity x unitPrice - discounted, never below 0 (and 0 for a malformed line).
int64_t openOf(const RewardLine& line) {
  const int64_t units = unitsOf(line);
  const int64_t price = line.unitPrice.value();
  if (units == 0 || price <= 0) {
    return 0;
  }
  const int64_t gross = saturatingMul(units, price);
  const int64_t taken = std::max<int64_t>(line.discounted.value(), 0);
  return gross > taken ? gross - taken : 0;
}

// Free units of a buy-x-get-y reward: ranked cheapest first, ties by basket order.
// amounts[i] receives the discount of lines[i].
void freeUnits(const Reward& reward, const std::vector<RewardLine>& lines,
               const std::vector<size_t>& matching, int64_t matchingUnits,
               std::vector<int64_t>& amounts) {
  const int64_t groupSize = reward.buyQuantity + reward.getQuantity;
  if (groupSize <= 0 || reward.getQuantity <= 0) {
    return;  // not reached for a valid reward
  }
  const int64_t maxGroups = reward.maxGroups == 0 ? 1 : reward.maxGroups;
  const int64_t groups = std::min(matchingUnits / groupSize, maxGroups);
  int64_t remaining = saturatingMul(groups, reward.getQuantity);
  std::vector<size_t> ranked = matching;
  std::stable_sort(ranked.begin(), ranked.end(), [&](size_t a, size_t b) {
    return lines[a].unitPrice < lines[b].unitPrice;
  });
  for (const size_t i : ranked) {
    if (remaining == 0) {
      break;
    }
    const int64_t take = std::min(remaining, unitsOf(lines[i]));
    remaining -= take;
    const int64_t price = std::max<int64_t>(lines[i].unitPrice.value(), 0);
    amounts[i] = std::min(saturatingMul(take, price), openOf(lines[i]));
  }
}

}  // namespace

// ---- Names -------------------------------------------------------------------------------------

const char* rewardKindName(RewardKind kind) {
  switch (kind) {
    case RewardKind::kAmountOff:
      return "amount_off";
    case RewardKind::kPercentOff:
      return "percent_off";
    case RewardKind::kBuyXGetY:
      return "buy_x_get_y";
    case RewardKind::kBonusPoints:
      return "bonus_points";
  }
  return "unknown";
}

std::optional<RewardKind> parseRewardKind(std::string_view name) {
  for (const RewardKind kind : {RewardKind::kAmountOff, RewardKind::kPercentOff,
                                RewardKind::kBuyXGetY, RewardKind::kBonusPoints}) {
    if (name == rewardKindName(kind)) {
      return kind;
    }
  }
  return std::nullopt;
}

const char* targetKindName(TargetKind kind) {
  switch (kind) {
    case TargetKind::kSku:
      return "sku";
    case TargetKind::kCategory:
      return "category";
    case TargetKind::kBasket:
      return "basket";
  }
  return "unknown";
}

std::optional<TargetKind> parseTargetKind(std::string_view name) {
  for (const TargetKind kind : {TargetKind::kSku, TargetKind::kCategory, TargetKind::kBasket}) {
    if (name == targetKindName(kind)) {
      return kind;
    }
  }
  return std::nullopt;
}

bool operator==(const Reward& a, const Reward& b) {
  return a.kind == b.kind && a.target == b.target && a.value == b.value && a.amount == b.amount &&
         a.percent == b.percent && a.points == b.points && a.buyQuantity == b.buyQuantity &&
         a.getQuantity == b.getQuantity && a.maxGroups == b.maxGroups &&
         a.minQuantity == b.minQuantity && a.minSpend == b.minSpend;
}

// ---- Validation --------------------------------------------------------------------------------

Status validate(const Reward& reward) {
  const RewardKind kind = reward.kind;
  if (!parseRewardKind(rewardKindName(kind))) {
    return invalid("kind", "unknown reward kind");
  }
  if (!parseTargetKind(targetKindName(reward.target))) {
    return invalid("target", "unknown target");
  }
  if (Status s = checkTarget(reward); !s.ok()) {
    return s;
  }
  const bool amountOff = kind == RewardKind::kAmountOff;
  const bool percentOff = kind == RewardKind::kPercentOff;
  const bool buyGet = kind == RewardKind::kBuyXGetY;
  const bool bonus = kind == RewardKind::kBonusPoints;
  for (Status s : {checkKindField("amount", reward.amount.value(), amountOff, 1, kMaxRewardAmount,
                                  kind),
                   checkKindField("percent", reward.percent, percentOff, 1, 100, kind),
                   checkKindField("points", reward.points.value(), bonus, 1, kMaxRewardPoints,
                                  kind),
                   checkKindField("buy_quantity", reward.buyQuantity, buyGet, 1,
                                  kMaxGroupQuantity, kind),
                   checkKindField("get_quantity", reward.getQuantity, buyGet, 1,
                                  kMaxGroupQuantity, kind),
                   checkKindField("max_groups", reward.maxGroups, buyGet, 0, kMaxGroupQuantity,
                                  kind)}) {
    if (!s.ok()) {
      return s;
    }
  }
  if (reward.minQuantity < 0 || reward.minQuantity > kMaxGroupQuantity) {
    return outOfRange("min_quantity", 0, kMaxGroupQuantity);
  }
  if (reward.minSpend.value() < 0 || reward.minSpend.value() > kMaxRewardAmount) {
    return outOfRange("min_spend", 0, kMaxRewardAmount);
  }
  return base::okStatus();
}

// ---- Texts -------------------------------------------------------------------------------------

std::string describe(const Reward& reward) {
  const bool basket = reward.target == TargetKind::kBasket;
  std::string text;
  switch (reward.kind) {
    case RewardKind::kAmountOff:
      text = formatMoney(reward.amount) + " off " + (basket ? "the basket" : reward.value);
      break;
    case RewardKind::kPercentOff:
      text = std::to_string(reward.percent) + "% off " + (basket ? "the basket" : reward.value);
      break;
    case RewardKind::kBuyXGetY:
      text = "buy " + std::to_string(reward.buyQuantity) + " get " +
             std::to_string(reward.getQuantity) + " free";
      if (!basket) {
        text += ": " + reward.value;
      }
      if (reward.maxGroups > 1) {
        text += " (up to " + std::to_string(reward.maxGroups) + " times)";
      }
      break;
    case RewardKind::kBonusPoints:
      text = std::to_string(reward.points.value()) +
             (reward.points.value() == 1 ? " bonus point" : " bonus points");
      if (!basket) {
        text += " with " + reward.value;
      }
      break;
  }
  if (reward.minQuantity > 1) {
    text += ", min. " + std::to_string(reward.minQuantity) + " units";
  }
  if (reward.minSpend.value() > 0) {
    text += ", min. spend " + formatMoney(reward.minSpend);
  }
  return text;
}

// ---- Application -------------------------------------------------------------------------------

bool categoryMatches(std::string_view path, std::string_view pattern) {
  while (!pattern.empty() && pattern.back() == '/') {
    pattern.remove_suffix(1);
  }
  if (pattern.empty() || path.size() < pattern.size() ||
      path.compare(0, pattern.size(), pattern) != 0) {
    return false;
  }
  return path.size() == pattern.size() || path[pattern.size()] == '/';
}

RewardOutcome applyReward(const Reward& reward, const std::vector<RewardLine>& lines) {
  RewardOutcome outcome;
  std::vector<size_t> matching;
  int64_t units = 0;
  int64_t open = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (matches(reward, lines[i])) {
      matching.push_back(i);
      units = saturatingAdd(units, unitsOf(lines[i]));
      open = saturatingAdd(open, openOf(lines[i]));
    }
  }
  const int64_t minQuantity = std::max<int64_t>(reward.minQuantity, 1);
  if (units < minQuantity || open < reward.minSpend.value()) {
    return outcome;
  }
  outcome.applies = true;

  std::vector<int64_t> amounts(lines.size(), 0);
  switch (reward.kind) {
    case RewardKind::kAmountOff: {
      int64_t remaining = std::max<int64_t>(reward.amount.value(), 0);
      for (const size_t i : matching) {
        if (remaining == 0) {
          break;
        }
        amounts[i] = std::min(remaining, openOf(lines[i]));
        remaining -= amounts[i];
      }
      break;
    }
    case RewardKind::kPercentOff: {
      const int64_t percent = std::clamp<int64_t>(reward.percent, 0, 100);
      for (const size_t i : matching) {
        amounts[i] = percentOf(openOf(lines[i]), percent);
      }
      break;
    }
    case RewardKind::kBuyXGetY:
      freeUnits(reward, lines, matching, units, amounts);
      break;
    case RewardKind::kBonusPoints:
      outcome.bonusPoints = Points(std::max<int64_t>(reward.points.value(), 0));
      break;
  }

  int64_t cost = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (amounts[i] > 0) {
      outcome.discounts.push_back(LineDiscount{lines[i].line, Money(amounts[i])});
      cost = saturatingAdd(cost, amounts[i]);
    }
  }
  outcome.cost = Money(cost);
  return outcome;
}

}  // namespace loyalty::offers

// EarnRules: what a store manager configures for earning points (design.md section 5), and its
// validation. The engine that applies it is earn_engine.h; docs/offers.md describes the stacking
// order, the rounding and the JSON shape of this configuration, with executed worked examples.
//
//   base              points per unit of eligible spend, and the excluded categories
//   multipliers       percent of the line's base points (200 = double) for lines in a scope
//                     (sku, brand, category, store, tier or all), optionally within a date range
//   productBonuses    whole points per unit bought of one SKU
//   thresholdBonuses  whole points when the basket's eligible spend reaches a minimum
//   tiers             loyalty tiers from rolling 12-month spend, each with a basket percent
//
// Invariants of a value that passed validate(): rule ids and tier names are non-empty and unique
// across all lists; every percent is 0..1000; dates are real YYYY-MM-DD dates with from <= to;
// amounts and points are >= 0 and within the bounds documented on each field. The engine never
// relies on them for memory safety (it accepts any value), only for the overflow bounds.
//
// Thread safety: plain values and pure functions; share freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/money.h"
#include "loyalty/base/result.h"

namespace loyalty::core::domain::rules {

using base::Money;
using base::Points;

// Limits checked by validate(); they bound the engine's arithmetic (see earn_engine.h).
inline constexpr int64_t kMaxPointsPerUnit = 1'000;
inline constexpr int64_t kMaxUnitMinor = 1'000'000;
inline constexpr int64_t kMaxPercent = 1'000;
inline constexpr int64_t kMaxBonusPerUnit = 100'000;
inline constexpr int64_t kMaxThresholdPoints = 10'000'000;
inline constexpr int64_t kMaxSpend = 10'000'000'000'000;  // minor units (thresholds, tiers)
inline constexpr const char* kBaseTier = "base";

struct BaseRate {
  int64_t pointsPerUnit = 1;  // 0..kMaxPointsPerUnit
  int64_t unitMinor = 100;    // 1..kMaxUnitMinor minor units make one unit of spend
  // Whole-segment prefixes of category paths ("alcohol" excludes "alcohol/wine", not
  // "alcoholfree"). A trailing '/' is ignored.
  std::vector<std::string> excludedCategories{"tobacco", "alcohol", "gift-cards", "deposits"};
};

enum class ScopeKind { kSku, kBrand, kCategory, kStore, kTier, kAll };

// "sku", "brand", "category", "store", "tier", "all".
const char* scopeKindName(ScopeKind kind);
std::optional<ScopeKind> parseScopeKind(std::string_view name);

struct Scope {
  ScopeKind kind = ScopeKind::kAll;
  // Exact SKU, brand, store or tier name; a category prefix (whole segments) for kCategory;
  // empty for kAll.
  std::string value;
};

struct Multiplier {
  std::string id;
  Scope scope;
  int64_t percent = 100;            // 0..kMaxPercent of the line's base points; 200 = double
  std::optional<std::string> from;  // YYYY-MM-DD, inclusive; none = no start
  std::optional<std::string> to;    // YYYY-MM-DD, inclusive; none = no end
};

struct ProductBonus {
  std::string id;
  std::string sku;
  int64_t pointsPerUnitBought = 0;  // 0..kMaxBonusPerUnit
  std::optional<std::string> from;
  std::optional<std::string> to;
};

struct ThresholdBonus {
  std::string id;
  Money minEligibleSpend;  // 0..kMaxSpend minor units, after exclusions
  Points points;           // 0..kMaxThresholdPoints
  std::optional<std::string> from;
  std::optional<std::string> to;
};

struct Tier {
  std::string name;       // also the id of its contribution in a breakdown
  Money minRollingSpend;  // 0..kMaxSpend; no two tiers share a minimum
  int64_t percent = 100;  // 0..kMaxPercent, applied to the basket's multiplied points
};

struct EarnRules {
  BaseRate base;
  std::vector<Multiplier> multipliers;
  std::vector<ProductBonus> productBonuses;
  std::vector<ThresholdBonus> thresholdBonuses;
  std::vector<Tier> tiers;
};

// Errors: kInvalidValue, the message naming the offending rule id (or tier name, or "base").
base::Status validate(const EarnRules& rules);

// The tier of a shopper with this rolling 12-month spend: the tier with the highest
// minRollingSpend <= rollingSpend; kBaseTier when none qualifies.
std::string tierFor(Money rollingSpend, const std::vector<Tier>& tiers);

// True for a real calendar date written YYYY-MM-DD (years 0001..9999, leap years honoured).
bool isValidDate(std::string_view date);

// True when a rule dated [from, to] (inclusive, either side optional) is active on date.
// A date that is not valid matches only undated rules.
bool activeOn(const std::optional<std::string>& from, const std::optional<std::string>& to,
              std::string_view date);

// True when pattern (trailing '/' ignored) equals path or is a whole-segment prefix of it.
// An empty pattern matches nothing.
bool categoryMatches(std::string_view path, std::string_view pattern);

}  // namespace loyalty::core::domain::rules

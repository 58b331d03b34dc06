// The earn engine: the points a priced basket earns under an EarnRules configuration, with a
// breakdown by rule. docs/offers.md is the user-facing statement of the same algorithm.
//
// Stacking order and rounding (exact integer arithmetic, no floating point):
//   1. Each line's amount is quantity x unitPrice minus its discount (coupons, points tender).
//      A line whose category is excluded earns nothing at all: no base points, no multiplier, no product bonus (exclusions are often
//      legal obligations, so no offer can override them). The others make the eligible spend.
//   2. Line multiplier: among the multipliers active on the context's date whose scope matches
//      the line (sku, brand, category prefix, store, tier, all), the one with the largest percent
//      applies, alone: multipliers never add or compound (ties: the first listed). 100 when none.
//   3. Exact line points = eligible x pointsPerUnit x percent / (unitMinor x 100), kept as an
//      integer numerator over the basket's common denominator unitMinor x 100.
//   4. The tier of the context (looked up by name in rules.tiers; 100 % when absent) multiplies
//      the exact sum of the lines: sum x tierPercent / 100.
//   5. The result is rounded DOWN ONCE per basket. With only a base rate this is exactly
//      EarnRule::pointsFor: floor(eligible x pointsPerUnit / unitMinor).
//   6. Whole bonus points are added after rounding and are not multiplied: per eligible line the
//      largest active product bonus for its SKU x quantity; per basket the largest active
//      threshold bonus whose minEligibleSpend <= eligible spend (and eligible spend > 0).
//
// Breakdown: `base` is step 5 with every percent at 100. Each multiplier's contribution is the
// growth of the rounded-down running sum when its extra (percent - 100) on the lines it won is
// added, in configuration order; the tier's is the growth from step 4. So
//   total == base + sum(contributions)          (below the saturation bound, see Overflow)
// A rule that applied is listed even when it rounds to 0; a multiplier below 100 % gives a
// negative contribution.
//
// Dates: rules with from/to apply when from <= context.date <= to (both inclusive). When the
// context date is not a valid YYYY-MM-DD date, dated rules do not apply.
//
// Overflow: intermediates are 128-bit. Out-of-range configuration values are clamped into the
// ranges validate() enforces, a line's amount is capped at the protocol's per-line maximum
// (9,999 x 100,000,000 minor units), a line with quantity <= 0 or a negative price counts as 0.
// Then a line numerator is <= 1e12 x 1e3 x 1e3 = 1e18 < 2^63, and the basket sum x tier over 500
// lines is <= 5e23 < 2^127. Any total above INT64_MAX saturates at INT64_MAX (only possible far
// beyond the protocol's basket total of 1e10 minor units, whose maximum is 1e15 points).
//
// Refunds: points are monotone in the basket (removing units never adds points), so reversing
// points(kept before) - points(kept after) for each return, computed with the SALE's context,
// never reverses more in total than the sale earned, threshold bonuses included.
//
// Thread safety: pure functions over values; call concurrently freely.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/rules/earn_rules.h"
#include "loyalty/base/money.h"

namespace loyalty::core::domain::rules {

struct PricedLine {
  int64_t line = 0;
  std::string sku;
  std::string brand;
  std::string categoryPath;  // segments separated by '/'; empty when unknown (never excluded)
  int64_t quantity = 0;
  Money unitPrice;
  Money discount;  // taken off the line by coupons or a points tender; earns nothing
};

struct EarnContext {
  std::string store;
  std::string tier = kBaseTier;
  std::string date;  // YYYY-MM-DD, the business date of the sale
};

struct RuleContribution {
  std::string ruleId;  // a multiplier, product bonus or threshold bonus id, or a tier name
  Points points;
  bool operator==(const RuleContribution& o) const {
    return ruleId == o.ruleId && points == o.points;
  }
};

struct LinePoints {
  int64_t line = 0;
  bool excluded = false;
  Money eligible;  // quantity x unitPrice - discount (capped, >= 0), 0 when excluded
  int64_t percent = 100;                        // the line multiplier applied (step 2)
  std::vector<std::string> appliedMultipliers;  // the winning multiplier's id; empty when none
  // Exact points of the line before the tier and before rounding (step 3):
  // pointsNumerator / EarnBreakdown::pointsDenominator.
  int64_t pointsNumerator = 0;
  std::string productBonusId;  // the winning product bonus; empty when none
  Points productBonus;         // its whole points for this line
};

struct EarnBreakdown {
  Points total;
  Points base;
  std::vector<RuleContribution> contributions;  // multipliers, tier, product, threshold bonuses
  std::vector<LinePoints> lines;                // in input order
  Money eligibleSpend;
  int64_t pointsDenominator = 100;  // unitMinor x 100
  std::string tier;
  int64_t tierPercent = 100;
};

struct ReturnedUnits {
  int64_t line = 0;
  int64_t quantity = 0;
};

// The full computation. rules should have passed validate().
EarnBreakdown explain(const std::vector<PricedLine>& lines, const EarnContext& context,
                      const EarnRules& rules);

// explain(...).total.
Points computePoints(const std::vector<PricedLine>& lines, const EarnContext& context,
                     const EarnRules& rules);

// The points to take back when `returned` units are removed from `kept` (the sale's lines with
// the units not yet returned): points(kept) - points(kept minus returned), never negative.
// context must be the sale's context (its store, tier and date), not the refund's. Returned
// quantities are capped at what is kept; unknown line numbers are ignored.
Points pointsToReverse(const std::vector<PricedLine>& kept,
                       const std::vector<ReturnedUnits>& returned, const EarnContext& context,
                       const EarnRules& rules);

// kept minus returned, as used by pointsToReverse (quantities capped at 0).
std::vector<PricedLine> afterReturn(std::vector<PricedLine> kept,
                                    const std::vector<ReturnedUnits>& returned);

}  // namespace loyalty::core::domain::rules

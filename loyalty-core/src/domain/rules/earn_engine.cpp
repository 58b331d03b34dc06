#include "domain/rules/earn_engine.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>

namespace loyalty::core::domain::rules {
namespace {

__extension__ typedef __int128 Int128;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
// The protocol's per-line maximum (kMaxQuantity x kMaxUnitPrice); the domain cannot include
// protocol/limits.h, so the bound is restated here.
constexpr int64_t kMaxLineAmount = 9'999LL * 100'000'000LL;

int64_t clampTo(int64_t v, int64_t lo, int64_t hi) { return std::min(std::max(v, lo), hi); }

int64_t saturate(Int128 v) {
  if (v > Int128(kInt64Max)) {
    return kInt64Max;
  }
  if (v < -Int128(kInt64Max)) {
    return -kInt64Max;
  }
  return static_cast<int64_t>(v);
}

// Floor division for a positive divisor.
Int128 floorDiv(Int128 n, Int128 d) {
  Int128 q = n / d;
  if ((n % d != 0) && (n < 0)) {
    --q;
  }
  return q;
}

int64_t lineAmount(const PricedLine& l) {
  if (l.quantity <= 0 || l.unitPrice.value() < 0) {
    return 0;
  }
  Int128 amount = Int128(l.quantity) * l.unitPrice.value();
  if (l.discount.value() > 0) {
    amount = amount > l.discount.value() ? amount - l.discount.value() : 0;
  }
  return amount > kMaxLineAmount ? kMaxLineAmount : static_cast<int64_t>(amount);
}

bool excluded(const PricedLine& l, const BaseRate& base) {
  for (const auto& c : base.excludedCategories) {
    if (categoryMatches(l.categoryPath, c)) {
      return true;
    }
  }
  return false;
}

bool inScope(const Scope& s, const PricedLine& l, const EarnContext& ctx) {
  switch (s.kind) {
    case ScopeKind::kSku:
      return !s.value.empty() && l.sku == s.value;
    case ScopeKind::kBrand:
      return !s.value.empty() && l.brand == s.value;
    case ScopeKind::kCategory:
      return categoryMatches(l.categoryPath, s.value);
    case ScopeKind::kStore:
      return !s.value.empty() && ctx.store == s.value;
    case ScopeKind::kTier:
      return !s.value.empty() && ctx.tier == s.value;
    case ScopeKind::kAll:
      return true;
  }
  return false;
}

void addContribution(EarnBreakdown& b, const std::string& id, Int128 points) {
  b.contributions.push_back(RuleContribution{id, Points(saturate(points))});
}

}  // namespace

EarnBreakdown explain(const std::vector<PricedLine>& lines, const EarnContext& context,
                      const EarnRules& rules) {
  const int64_t ppu = clampTo(rules.base.pointsPerUnit, 0, kMaxPointsPerUnit);
  const int64_t unitMinor = clampTo(rules.base.unitMinor, 1, kMaxUnitMinor);
  const Int128 denominator = Int128(unitMinor) * 100;

  EarnBreakdown b;
  b.pointsDenominator = static_cast<int64_t>(denominator);
  b.tier = context.tier;
  b.lines.reserve(lines.size());

  // Active rules, once per basket.
  std::vector<const Multiplier*> multipliers;
  for (const auto& m : rules.multipliers) {
    if (activeOn(m.from, m.to, context.date)) {
      multipliers.push_back(&m);
    }
  }
  std::vector<const ProductBonus*> productBonuses;
  for (const auto& p : rules.productBonuses) {
    if (activeOn(p.from, p.to, context.date)) {
      productBonuses.push_back(&p);
    }
  }

  // Steps 1-3, per line. winner[i] indexes rules.multipliers (npos: none).
  constexpr size_t kNone = static_cast<size_t>(-1);
  std::vector<size_t> winner(lines.size(), kNone);
  std::vector<size_t> bonusWinner(lines.size(), kNone);
  Int128 eligibleSpend = 0;
  Int128 baseNumerator = 0;  // sum of eligible x ppu x 100
  Int128 sumNumerator = 0;   // sum of line numerators
  Int128 productBonusPoints = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const PricedLine& l = lines[i];
    LinePoints lp;
    lp.line = l.line;
    lp.excluded = excluded(l, rules.base);
    if (!lp.excluded) {
      const int64_t amount = lineAmount(l);
      lp.eligible = Money(amount);
      const Multiplier* best = nullptr;
      for (const Multiplier* m : multipliers) {
        if (inScope(m->scope, l, context) &&
            (best == nullptr ||
             clampTo(m->percent, 0, kMaxPercent) > clampTo(best->percent, 0, kMaxPercent))) {
          best = m;
        }
      }
      if (best != nullptr) {
        lp.percent = clampTo(best->percent, 0, kMaxPercent);
        lp.appliedMultipliers.push_back(best->id);
        winner[i] = static_cast<size_t>(best - rules.multipliers.data());
      }
      // amount <= 1e12, ppu <= 1e3, percent <= 1e3: fits in int64.
      const Int128 numerator = Int128(amount) * ppu * lp.percent;
      lp.pointsNumerator = saturate(numerator);
      eligibleSpend += amount;
      baseNumerator += Int128(amount) * ppu * 100;
      sumNumerator += numerator;

      const ProductBonus* bonus = nullptr;
      for (const ProductBonus* p : productBonuses) {
        if (p->sku == l.sku &&
            (bonus == nullptr || clampTo(p->pointsPerUnitBought, 0, kMaxBonusPerUnit) >
                                     clampTo(bonus->pointsPerUnitBought, 0, kMaxBonusPerUnit))) {
          bonus = p;
        }
      }
      if (bonus != nullptr && l.quantity > 0) {
        const Int128 points =
            Int128(clampTo(bonus->pointsPerUnitBought, 0, kMaxBonusPerUnit)) * l.quantity;
        lp.productBonusId = bonus->id;
        lp.productBonus = Points(saturate(points));
        productBonusPoints += points;
        bonusWinner[i] = static_cast<size_t>(bonus - rules.productBonuses.data());
      }
    }
    b.lines.push_back(std::move(lp));
  }
  b.eligibleSpend = Money(saturate(eligibleSpend));

  // Base: every percent at 100.
  const Int128 basePoints = floorDiv(baseNumerator, denominator);
  b.base = Points(saturate(basePoints));

  // Multipliers, in configuration order: growth of the rounded-down running sum.
  Int128 running = baseNumerator;
  Int128 roundedSoFar = basePoints;
  for (size_t m = 0; m < rules.multipliers.size(); ++m) {
    bool applied = false;
    Int128 extra = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (winner[i] == m) {
        applied = true;
        extra += Int128(b.lines[i].eligible.value()) * ppu * (b.lines[i].percent - 100);
      }
    }
    if (!applied) {
      continue;
    }
    running += extra;
    const Int128 rounded = floorDiv(running, denominator);
    addContribution(b, rules.multipliers[m].id, rounded - roundedSoFar);
    roundedSoFar = rounded;
  }

  // Step 4: the tier, on the exact basket sum; step 5: round down once.
  const Tier* tier = nullptr;
  for (const auto& t : rules.tiers) {
    if (t.name == context.tier) {
      tier = &t;
      break;
    }
  }
  b.tierPercent = tier == nullptr ? 100 : clampTo(tier->percent, 0, kMaxPercent);
  const Int128 multiplied = floorDiv(sumNumerator * b.tierPercent, denominator * 100);
  if (tier != nullptr) {
    addContribution(b, tier->name, multiplied - roundedSoFar);
  }

  // Step 6: whole bonus points.
  for (size_t p = 0; p < rules.productBonuses.size(); ++p) {
    bool applied = false;
    Int128 points = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (bonusWinner[i] == p) {
        applied = true;
        points += b.lines[i].productBonus.value();
      }
    }
    if (applied) {
      addContribution(b, rules.productBonuses[p].id, points);
    }
  }
  Int128 thresholdPoints = 0;
  if (eligibleSpend > 0) {
    const ThresholdBonus* best = nullptr;
    for (const auto& t : rules.thresholdBonuses) {
      if (activeOn(t.from, t.to, context.date) && t.minEligibleSpend.value() <= eligibleSpend &&
          (best == nullptr || clampTo(t.points.value(), 0, kMaxThresholdPoints) >
                                  clampTo(best->points.value(), 0, kMaxThresholdPoints))) {
        best = &t;
      }
    }
    if (best != nullptr) {
      thresholdPoints = clampTo(best->points.value(), 0, kMaxThresholdPoints);
      addContribution(b, best->id, thresholdPoints);
    }
  }

  b.total = Points(saturate(multiplied + productBonusPoints + thresholdPoints));
  return b;
}

Points computePoints(const std::vector<PricedLine>& lines, const EarnContext& context,
                     const EarnRules& rules) {
  return explain(lines, context, rules).total;
}

std::vector<PricedLine> afterReturn(std::vector<PricedLine> kept,
                                    const std::vector<ReturnedUnits>& returned) {
  for (const auto& r : returned) {
    if (r.quantity <= 0) {
      continue;
    }
    for (auto& l : kept) {
      if (l.line == r.line) {
        l.quantity = l.quantity <= r.quantity ? 0 : l.quantity - r.quantity;
        break;
      }
    }
  }
  return kept;
}

Points pointsToReverse(const std::vector<PricedLine>& kept,
                       const std::vector<ReturnedUnits>& returned, const EarnContext& context,
                       const EarnRules& rules) {
  const Points before = computePoints(kept, context, rules);
  const Points after = computePoints(afterReturn(kept, returned), context, rules);
  return before > after ? before - after : Points(0);
}

}  // namespace loyalty::core::domain::rules

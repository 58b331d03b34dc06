#include "domain/rules/earn_rules.h"

#include <set>
#include <utility>

namespace loyalty::core::domain::rules {
namespace {

using base::ErrorCode;
using base::makeError;
using base::Status;

base::Error invalid(const std::string& who, const std::string& what) {
  return makeError(ErrorCode::kInvalidValue, "earn rule '" + who + "': " + what);
}

bool inRange(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

std::string_view trimSlashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') {
    s.remove_suffix(1);
  }
  return s;
}

Status checkDates(const std::string& id, const std::optional<std::string>& from,
                  const std::optional<std::string>& to) {
  if (from && !isValidDate(*from)) {
    return invalid(id, "'from' is not a YYYY-MM-DD date: '" + *from + "'");
  }
  if (to && !isValidDate(*to)) {
    return invalid(id, "'to' is not a YYYY-MM-DD date: '" + *to + "'");
  }
  if (from && to && *from > *to) {
    return invalid(id, "'from' " + *from + " is after 'to' " + *to);
  }
  return base::okStatus();
}

// Ids share one namespace: they key the contributions of a breakdown.
Status checkId(const std::string& id, std::set<std::string>& seen) {
  if (id.empty()) {
    return makeError(ErrorCode::kInvalidValue, "earn rule with an empty id");
  }
  if (!seen.insert(id).second) {
    return invalid(id, "id used twice");
  }
  return base::okStatus();
}

Status checkBase(const BaseRate& b) {
  if (!inRange(b.pointsPerUnit, 0, kMaxPointsPerUnit)) {
    return invalid("base", "pointsPerUnit must be 0.." + std::to_string(kMaxPointsPerUnit));
  }
  if (!inRange(b.unitMinor, 1, kMaxUnitMinor)) {
    return invalid("base", "unitMinor must be 1.." + std::to_string(kMaxUnitMinor));
  }
  for (const auto& c : b.excludedCategories) {
    if (trimSlashes(c).empty()) {
      return invalid("base", "empty excluded category");
    }
  }
  return base::okStatus();
}

Status checkMultiplier(const Multiplier& m) {
  if (!inRange(m.percent, 0, kMaxPercent)) {
    return invalid(m.id, "percent must be 0.." + std::to_string(kMaxPercent));
  }
  const bool needsValue = m.scope.kind != ScopeKind::kAll;
  const std::string_view value =
      m.scope.kind == ScopeKind::kCategory ? trimSlashes(m.scope.value) : m.scope.value;
  if (needsValue && value.empty()) {
    return invalid(m.id, std::string("scope '") + scopeKindName(m.scope.kind) + "' needs a value");
  }
  if (!needsValue && !m.scope.value.empty()) {
    return invalid(m.id, "scope 'all' takes no value");
  }
  return checkDates(m.id, m.from, m.to);
}

Status checkProductBonus(const ProductBonus& b) {
  if (b.sku.empty()) {
    return invalid(b.id, "empty sku");
  }
  if (!inRange(b.pointsPerUnitBought, 0, kMaxBonusPerUnit)) {
    return invalid(b.id, "pointsPerUnitBought must be 0.." + std::to_string(kMaxBonusPerUnit));
  }
  return checkDates(b.id, b.from, b.to);
}

Status checkThresholdBonus(const ThresholdBonus& b) {
  if (!inRange(b.minEligibleSpend.value(), 0, kMaxSpend)) {
    return invalid(b.id, "minEligibleSpend must be 0.." + std::to_string(kMaxSpend));
  }
  if (!inRange(b.points.value(), 0, kMaxThresholdPoints)) {
    return invalid(b.id, "points must be 0.." + std::to_string(kMaxThresholdPoints));
  }
  return checkDates(b.id, b.from, b.to);
}

Status checkTier(const Tier& t, std::set<int64_t>& minimums) {
  if (!inRange(t.minRollingSpend.value(), 0, kMaxSpend)) {
    return invalid(t.name, "minRollingSpend must be 0.." + std::to_string(kMaxSpend));
  }
  if (!minimums.insert(t.minRollingSpend.value()).second) {
    return invalid(t.name, "another tier has the same minRollingSpend");
  }
  if (!inRange(t.percent, 0, kMaxPercent)) {
    return invalid(t.name, "percent must be 0.." + std::to_string(kMaxPercent));
  }
  return base::okStatus();
}

}  // namespace

const char* scopeKindName(ScopeKind kind) {
  switch (kind) {
    case ScopeKind::kSku:
      return "sku";
    case ScopeKind::kBrand:
      return "brand";
    case ScopeKind::kCategory:
      return "category";
    case ScopeKind::kStore:
      return "store";
    case ScopeKind::kTier:
      return "tier";
    case ScopeKind::kAll:
      return "all";
  }
  return "all";
}

std::optional<ScopeKind> parseScopeKind(std::string_view name) {
  for (ScopeKind k : {ScopeKind::kSku, ScopeKind::kBrand, ScopeKind::kCategory, ScopeKind::kStore,
                      ScopeKind::kTier, ScopeKind::kAll}) {
    if (name == scopeKindName(k)) {
      return k;
    }
  }
  return std::nullopt;
}

base::Status validate(const EarnRules& rules) {
  if (Status s = checkBase(rules.base); !s.ok()) {
    return s;
  }
  std::set<std::string> ids;
  for (const auto& m : rules.multipliers) {
    if (Status s = checkId(m.id, ids); !s.ok()) {
      return s;
    }
    if (Status s = checkMultiplier(m); !s.ok()) {
      return s;
    }
  }
  for (const auto& b : rules.productBonuses) {
    if (Status s = checkId(b.id, ids); !s.ok()) {
      return s;
    }
    if (Status s = checkProductBonus(b); !s.ok()) {
      return s;
    }
  }
  for (const auto& b : rules.thresholdBonuses) {
    if (Status s = checkId(b.id, ids); !s.ok()) {
      return s;
    }
    if (Status s = checkThresholdBonus(b); !s.ok()) {
      return s;
    }
  }
  std::set<int64_t> minimums;
  for (const auto& t : rules.tiers) {
    if (Status s = checkId(t.name, ids); !s.ok()) {
      return s;
    }
    if (Status s = checkTier(t, minimums); !s.ok()) {
      return s;
    }
  }
  return base::okStatus();
}

std::string tierFor(Money rollingSpend, const std::vector<Tier>& tiers) {
  const Tier* best = nullptr;
  for (const auto& t : tiers) {
    if (t.minRollingSpend <= rollingSpend &&
        (best == nullptr || t.minRollingSpend > best->minRollingSpend)) {
      best = &t;
    }
  }
  return best == nullptr ? std::string(kBaseTier) : best->name;
}

bool isValidDate(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') {
    return false;
  }
  auto number = [&](size_t pos, size_t len, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (d[i] < '0' || d[i] > '9') {
        return false;
      }
      v = v * 10 + (d[i] - '0');
    }
    *out = v;
    return true;
  };
  int year = 0;
  int month = 0;
  int day = 0;
  if (!number(0, 4, &year) || !number(5, 2, &month) || !number(8, 2, &day)) {
    return false;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1) {
    return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int maxDay = kDays[month - 1] + ((month == 2 && leap) ? 1 : 0);
  return day <= maxDay;
}

bool activeOn(const std::optional<std::string>& from, const std::optional<std::string>& to,
              std::string_view date) {
  if (!from && !to) {
    return true;
  }
  if (!isValidDate(date)) {
    return false;
  }
  // Valid YYYY-MM-DD dates compare like the days they name.
  if (from && date < std::string_view(*from)) {
    return false;
  }
  if (to && date > std::string_view(*to)) {
    return false;
  }
  return true;
}

bool categoryMatches(std::string_view path, std::string_view pattern) {
  pattern = trimSlashes(pattern);
  if (pattern.empty()) {
    return false;
  }
  return path.size() >= pattern.size() && path.compare(0, pattern.size(), pattern) == 0 &&
         (path.size() == pattern.size() || path[pattern.size()] == '/');
}

}  // namespace loyalty::core::domain::rules

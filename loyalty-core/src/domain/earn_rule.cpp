#include "domain/earn_rule.h"

#include <cassert>

namespace loyalty::core::domain {

base::Result<EarnRule> EarnRule::create(EarnRuleConfig config) {
  if (config.pointsPerUnit < 0 || config.pointsPerUnit > 1000) {
    return base::makeError(base::ErrorCode::kInvalidValue, "pointsPerUnit must be 0..1000");
  }
  if (config.unitMinor < 1 || config.unitMinor > 1'000'000) {
    return base::makeError(base::ErrorCode::kInvalidValue, "unitMinor must be 1..1000000");
  }
  for (auto& c : config.excludedCategories) {
    while (!c.empty() && c.back() == '/') {
      c.pop_back();
    }
    if (c.empty()) {
      return base::makeError(base::ErrorCode::kInvalidValue, "empty excluded category");
    }
  }
  return EarnRule(std::move(config));
}

bool EarnRule::excludes(std::string_view path) const {
  for (const auto& c : config_.excludedCategories) {
    if (path.size() >= c.size() && path.compare(0, c.size(), c) == 0 &&
        (path.size() == c.size() || path[c.size()] == '/')) {
      return true;
    }
  }
  return false;
}

base::Points EarnRule::pointsFor(base::Money eligible) const {
  assert(eligible.value() >= 0);
  // eligible <= 1e10 and pointsPerUnit <= 1e3: the product stays below 2^63.
  return base::Points(eligible.value() * config_.pointsPerUnit / config_.unitMinor);
}

}  // namespace loyalty::core::domain

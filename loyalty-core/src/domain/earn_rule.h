// EarnRule: the base earn rule — points per currency unit on the eligible part of a basket.
//
//   points = floor(eligible_amount * pointsPerUnit / unitMinor)
//
// where eligible_amount sums the lines whose product category is not excluded. Rounding is done
// once, on the basket, never per line (a 0.99 item still counts). A category is excluded when
// one of excludedCategories equals its path or is a whole-segment prefix of it: "alcohol"
// excludes "alcohol" and "alcohol/wine" but not "alcoholfree". A product missing from the
// catalogue has no category and earns.
//
// Thread safety: immutable after construction; share freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/money.h"
#include "loyalty/base/result.h"

namespace loyalty::core::domain {

struct EarnRuleConfig {
  int64_t pointsPerUnit = 1;  // 0..1000
  int64_t unitMinor = 100;    // 1..1,000,000 minor units make one "unit" of spend
  std::vector<std::string> excludedCategories{"tobacco", "alcohol", "gift-cards", "deposits"};
};

class EarnRule {
 public:
  // Errors: kInvalidValue when a number is out of its documented range or a category is empty.
  static base::Result<EarnRule> create(EarnRuleConfig config);

  bool excludes(std::string_view categoryPath) const;
  // Requires: eligible >= 0 and eligible <= protocol::kMaxBasketTotal.
  base::Points pointsFor(base::Money eligible) const;
  const EarnRuleConfig& config() const { return config_; }

 private:
  explicit EarnRule(EarnRuleConfig config) : config_(std::move(config)) {}
  EarnRuleConfig config_;
};

}  // namespace loyalty::core::domain

#include <catch2/catch.hpp>

#include "domain/earn_rule.h"

using loyalty::base::Money;
using loyalty::base::Points;
using loyalty::core::domain::EarnRule;
using loyalty::core::domain::EarnRuleConfig;

TEST_CASE("EarnRule: one point per currency unit, rounded down once per basket", "[domain]") {
  auto rule = EarnRule::create(EarnRuleConfig{});
  REQUIRE(rule.ok());
  CHECK(rule->pointsFor(Money(0)) == Points(0));
  CHECK(rule->pointsFor(Money(99)) == Points(0));
  CHECK(rule->pointsFor(Money(100)) == Points(1));
  CHECK(rule->pointsFor(Money(1999)) == Points(19));
  // Ten 0.99 items: 9.90 earns 9 points; per-line rounding would have given 0.
  CHECK(rule->pointsFor(Money(990)) == Points(9));
}

TEST_CASE("EarnRule: configurable rate", "[domain]") {
  EarnRuleConfig config;
  config.pointsPerUnit = 5;
  config.unitMinor = 1000;  // 5 points per 10.00
  auto rule = EarnRule::create(config);
  REQUIRE(rule.ok());
  CHECK(rule->pointsFor(Money(999)) == Points(4));
  CHECK(rule->pointsFor(Money(10'000'000'000)) == Points(50'000'000));
}

TEST_CASE("EarnRule: exclusions match whole category path segments", "[domain]") {
  EarnRuleConfig config;
  config.excludedCategories = {"alcohol", "tobacco/", "gift-cards"};
  auto rule = EarnRule::create(config);
  REQUIRE(rule.ok());
  CHECK(rule->excludes("alcohol"));
  CHECK(rule->excludes("alcohol/wine"));
  CHECK(rule->excludes("tobacco"));
  CHECK(rule->excludes("tobacco/cigars"));
  CHECK_FALSE(rule->excludes("alcoholfree/beer"));
  CHECK_FALSE(rule->excludes("produce/alcohol"));
  CHECK_FALSE(rule->excludes(""));
}

TEST_CASE("EarnRule: out-of-range configuration is refused", "[domain]") {
  EarnRuleConfig bad;
  bad.unitMinor = 0;
  CHECK_FALSE(EarnRule::create(bad).ok());
  bad = EarnRuleConfig{};
  bad.pointsPerUnit = -1;
  CHECK_FALSE(EarnRule::create(bad).ok());
  bad = EarnRuleConfig{};
  bad.excludedCategories = {"/"};
  CHECK_FALSE(EarnRule::create(bad).ok());
}

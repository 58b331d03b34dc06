// EarnRules configuration: validation, tier selection, dates and category matching.
#include <catch2/catch.hpp>

#include <string>

#include "domain/rules/earn_rules.h"

using loyalty::base::ErrorCode;
using loyalty::base::Money;
using loyalty::base::Points;
using namespace loyalty::core::domain::rules;  // NOLINT(google-build-using-namespace)

namespace {

EarnRules validRules() {
  EarnRules r;
  r.multipliers.push_back(
      Multiplier{"m-brand", {ScopeKind::kBrand, "Acme"}, 200, "2024-03-01", "2024-03-31"});
  r.multipliers.push_back(
      Multiplier{"m-all", {ScopeKind::kAll, ""}, 150, std::nullopt, std::nullopt});
  r.productBonuses.push_back(ProductBonus{"pb-1", "4000001", 50, std::nullopt, "2024-12-31"});
  r.thresholdBonuses.push_back(
      ThresholdBonus{"th-50", Money(5000), Points(100), std::nullopt, std::nullopt});
  r.tiers.push_back(Tier{"silver", Money(100'000), 125});
  r.tiers.push_back(Tier{"gold", Money(300'000), 150});
  return r;
}

// The rule's validation fails with kInvalidValue and names `id`.
void requireInvalid(const EarnRules& r, const std::string& id) {
  auto s = validate(r);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::kInvalidValue);
  INFO(s.error().message);
  CHECK(s.error().message.find("'" + id + "'") != std::string::npos);
}

}  // namespace

TEST_CASE("EarnRules: a well-formed configuration and the default one validate", "[rules]") {
  CHECK(validate(EarnRules{}).ok());
  CHECK(validate(validRules()).ok());
  EarnRules edges = validRules();
  edges.multipliers[0].percent = 0;
  edges.multipliers[1].percent = kMaxPercent;
  edges.multipliers[0].from = edges.multipliers[0].to = "2024-02-29";  // one-day range, leap day
  edges.thresholdBonuses[0].minEligibleSpend = Money(0);
  edges.base.pointsPerUnit = 0;
  edges.base.unitMinor = kMaxUnitMinor;
  CHECK(validate(edges).ok());
}

TEST_CASE("EarnRules: duplicate ids are refused, across rule kinds and tier names", "[rules]") {
  EarnRules r = validRules();
  r.multipliers[1].id = "m-brand";
  requireInvalid(r, "m-brand");

  r = validRules();
  r.thresholdBonuses[0].id = "pb-1";
  requireInvalid(r, "pb-1");

  r = validRules();
  r.tiers[0].name = "m-all";
  requireInvalid(r, "m-all");

  r = validRules();
  r.multipliers[0].id = "";
  auto s = validate(r);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::kInvalidValue);
}

TEST_CASE("EarnRules: percents outside 0..1000 are refused", "[rules]") {
  EarnRules r = validRules();
  r.multipliers[1].percent = 1001;
  requireInvalid(r, "m-all");
  r.multipliers[1].percent = -1;
  requireInvalid(r, "m-all");

  r = validRules();
  r.tiers[1].percent = 1001;
  requireInvalid(r, "gold");
}

TEST_CASE("EarnRules: dates must be real and ordered", "[rules]") {
  EarnRules r = validRules();
  r.multipliers[0].from = "2024-04-01";  // after its 'to'
  requireInvalid(r, "m-brand");

  r = validRules();
  r.multipliers[0].to = "2023-02-29";  // not a leap year
  requireInvalid(r, "m-brand");

  r = validRules();
  r.productBonuses[0].to = "2024-1-31";
  requireInvalid(r, "pb-1");

  r = validRules();
  r.thresholdBonuses[0].from = "tomorrow";
  requireInvalid(r, "th-50");
}

TEST_CASE("EarnRules: amounts, thresholds and the base rate are bounded", "[rules]") {
  EarnRules r = validRules();
  r.thresholdBonuses[0].minEligibleSpend = Money(-1);
  requireInvalid(r, "th-50");

  r = validRules();
  r.thresholdBonuses[0].points = Points(-5);
  requireInvalid(r, "th-50");

  r = validRules();
  r.productBonuses[0].pointsPerUnitBought = kMaxBonusPerUnit + 1;
  requireInvalid(r, "pb-1");

  r = validRules();
  r.productBonuses[0].sku = "";
  requireInvalid(r, "pb-1");

  r = validRules();
  r.tiers[0].minRollingSpend = Money(-100);
  requireInvalid(r, "silver");

  r = validRules();
  r.tiers[0].minRollingSpend = r.tiers[1].minRollingSpend;
  requireInvalid(r, "gold");  // the second tier with that minimum is the one refused

  r = validRules();
  r.base.unitMinor = 0;
  requireInvalid(r, "base");
  r = validRules();
  r.base.pointsPerUnit = kMaxPointsPerUnit + 1;
  requireInvalid(r, "base");
  r = validRules();
  r.base.excludedCategories = {"alcohol", "/"};
  requireInvalid(r, "base");
}

TEST_CASE("EarnRules: scopes need a value, except 'all' which takes none", "[rules]") {
  EarnRules r = validRules();
  r.multipliers[0].scope.value = "";
  requireInvalid(r, "m-brand");

  r = validRules();
  r.multipliers[0].scope = Scope{ScopeKind::kCategory, "//"};
  requireInvalid(r, "m-brand");

  r = validRules();
  r.multipliers[1].scope.value = "everything";
  requireInvalid(r, "m-all");
}

TEST_CASE("EarnRules: scope kind names round-trip", "[rules]") {
  for (ScopeKind k : {ScopeKind::kSku, ScopeKind::kBrand, ScopeKind::kCategory, ScopeKind::kStore,
                      ScopeKind::kTier, ScopeKind::kAll}) {
    auto parsed = parseScopeKind(scopeKindName(k));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == k);
  }
  CHECK_FALSE(parseScopeKind("segment").has_value());
  CHECK_FALSE(parseScopeKind("SKU").has_value());
}

TEST_CASE("EarnRules: tierFor picks the highest tier reached by rolling spend", "[rules]") {
  // Deliberately listed out of order: selection is by minRollingSpend, not position.
  std::vector<Tier> tiers{{"gold", Money(300'000), 150}, {"silver", Money(100'000), 125}};
  CHECK(tierFor(Money(0), tiers) == kBaseTier);
  CHECK(tierFor(Money(99'999), tiers) == kBaseTier);
  CHECK(tierFor(Money(100'000), tiers) == "silver");  // the minimum itself qualifies
  CHECK(tierFor(Money(299'999), tiers) == "silver");
  CHECK(tierFor(Money(300'000), tiers) == "gold");
  CHECK(tierFor(Money(1'000'000'000), tiers) == "gold");
  CHECK(tierFor(Money(5), {}) == kBaseTier);
  // A tier from zero spend replaces the base tier for everyone.
  tiers.push_back(Tier{"member", Money(0), 100});
  CHECK(tierFor(Money(0), tiers) == "member");
}

TEST_CASE("EarnRules: dates are validated against the calendar", "[rules]") {
  CHECK(isValidDate("2024-02-29"));
  CHECK(isValidDate("2000-02-29"));
  CHECK(isValidDate("2024-12-31"));
  CHECK_FALSE(isValidDate("1900-02-29"));
  CHECK_FALSE(isValidDate("2023-02-29"));
  CHECK_FALSE(isValidDate("2024-04-31"));
  CHECK_FALSE(isValidDate("2024-13-01"));
  CHECK_FALSE(isValidDate("2024-00-10"));
  CHECK_FALSE(isValidDate("0000-01-01"));
  CHECK_FALSE(isValidDate("2024-01-1"));
  CHECK_FALSE(isValidDate("2024/01/01"));
  CHECK_FALSE(isValidDate("2024-01-01 "));
  CHECK_FALSE(isValidDate(""));
}

TEST_CASE("EarnRules: date ranges are inclusive at both ends", "[rules]") {
  const std::optional<std::string> from = "2024-03-01";
  const std::optional<std::string> to = "2024-03-07";
  CHECK_FALSE(activeOn(from, to, "2024-02-29"));
  CHECK(activeOn(from, to, "2024-03-01"));
  CHECK(activeOn(from, to, "2024-03-07"));
  CHECK_FALSE(activeOn(from, to, "2024-03-08"));
  CHECK(activeOn(std::nullopt, to, "1999-01-01"));
  CHECK(activeOn(from, std::nullopt, "2099-01-01"));
  CHECK(activeOn(std::nullopt, std::nullopt, "not a date"));
  CHECK_FALSE(activeOn(from, std::nullopt, "not a date"));
  CHECK_FALSE(activeOn(from, to, ""));
}

TEST_CASE("EarnRules: categories match by whole path segments", "[rules]") {
  CHECK(categoryMatches("alcohol", "alcohol"));
  CHECK(categoryMatches("alcohol/wine", "alcohol"));
  CHECK(categoryMatches("alcohol/wine", "alcohol/"));
  CHECK(categoryMatches("alcohol/wine/red", "alcohol/wine"));
  CHECK_FALSE(categoryMatches("alcoholfree/beer", "alcohol"));
  CHECK_FALSE(categoryMatches("produce/alcohol", "alcohol"));
  CHECK_FALSE(categoryMatches("", "alcohol"));
  CHECK_FALSE(categoryMatches("alcohol", ""));
  CHECK_FALSE(categoryMatches("alcohol", "/"));
}

// The building blocks of the coupon and points-tender steps of price and commit, shared by
// CheckoutService and the preview (so a preview computes exactly what a replay would do).
//
// Thread safety: pure functions, or functions of the StoreWriter they are given.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/model.h"
#include "domain/offers/coupon_keys.h"
#include "domain/offers/programme.h"
#include "domain/rules/earn_engine.h"
#include "domain/store.h"
#include "loyalty/base/result.h"
#include "loyalty/offers/reward.h"

namespace loyalty::core::domain {

// Stable coupon refusal reasons (docs/protocol.md, "Coupon codes"), beyond the code checks.
inline constexpr const char* kReasonUnknown = "coupon_unknown";
inline constexpr const char* kReasonAlreadyRedeemed = "coupon_already_redeemed";
inline constexpr const char* kReasonReserved = "coupon_reserved";
inline constexpr const char* kReasonCampaignInactive = "coupon_campaign_inactive";
inline constexpr const char* kReasonNotApplicable = "coupon_not_applicable";
inline constexpr const char* kReasonCapReached = "coupon_cap_reached";
inline constexpr const char* kReasonBudgetExhausted = "coupon_budget_exhausted";
inline constexpr const char* kReasonNotConfigured = "coupon_unknown_key";
// Conflict recorded on a redemption an offline till granted although the core would not have.
inline constexpr const char* kConflictDoubleUse = "double_use";

// A sentence a cashier can read for a reason code.
std::string reasonMessage(const std::string& reason);

// The YYYY-MM-DD date (UTC) of an instant, and the instant days later.
std::string dateOf(int64_t ms);
int64_t daysToMs(int64_t days);
// date + days (may be negative), YYYY-MM-DD.
std::string addDays(const std::string& date, int64_t days);

// A campaign can issue and redeem on this date, at this store, for this tier.
bool campaignLive(const Campaign& campaign, const std::string& date, const std::string& store,
                  const std::string& tier);
// The basket meets a checkout trigger.
bool triggerMatches(const Trigger& trigger, const std::vector<offers::RewardLine>& lines);

// The basket lines as the reward function sees them, with discounts so far.
std::vector<offers::RewardLine> rewardLinesOf(const std::vector<rules::PricedLine>& lines);

struct CouponAttempt {
  std::string code;
  std::string reason;    // empty when the coupon can be applied
  std::string conflict;  // for an offline commit: why the core would have refused it
  std::optional<Coupon> coupon;
  std::optional<Campaign> campaign;
  offers::RewardOutcome outcome;
};

// Checks one presented code against the store for this customer and transaction, and applies its
// reward to `lines` (their `discounted` fields hold the earlier coupons' discounts).
// acceptedPerCampaign counts the coupons accepted so far in this basket. nowMs decides whether a
// reservation by another transaction still holds.
CouponAttempt evaluateCoupon(StoreWriter& w, const CouponChecker* checker,
                             const std::string& code, const Customer& customer, const TxnKey& key,
                             int64_t nowMs, const std::vector<offers::RewardLine>& lines,
                             const std::map<int64_t, int64_t>& acceptedPerCampaign);

// Stores `coupon` (state issued) and signs its code for `card`; returns it with serial and code.
Result<Coupon> issueCoupon(StoreWriter& w, const CouponIssuer& issuer, Coupon coupon,
                           const std::string& card);

// Adds an accepted attempt's discounts to lines[].discounted and counts its campaign.
void applyAttempt(const CouponAttempt& attempt, std::vector<offers::RewardLine>& lines,
                  std::map<int64_t, int64_t>& acceptedPerCampaign);

// The money value of a points tender, or the reason it is refused:
// kInvalidPointsRedemption (tender disabled, not whole units, below the minimum, worth more than
// `open`), kInsufficientPoints (above the balance).
Result<Money> tenderValue(const PointsTender& tender, Points requested, Points balance,
                          Money open);

// Splits total over weights in proportion (largest remainder, ties to the earlier index);
// all-zero weights give all zeros. Requires total <= sum(weights) or some weight > 0.
std::vector<int64_t> allocate(int64_t total, const std::vector<int64_t>& weights);

// floor(value * numerator / denominator) without overflow for the protocol's ranges.
int64_t mulDiv(int64_t value, int64_t numerator, int64_t denominator);

}  // namespace loyalty::core::domain

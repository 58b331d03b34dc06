// Offline coupons: how the pos-agent decides, without the core, which presented coupon codes a
// basket may use and what they take off (design.md section 3, "Offline"; docs/operations.md,
// "Offline coupons").
//
// Each code is checked in order, and refused with the first reason that applies:
//   1. no coupon keys configured -> coupon_unknown_key; otherwise CouponVerifier::verify(code,
//      card, business date) -> its reason (malformed, unknown key, bad signature, wrong card,
//      expired);
//   2. its serial was presented earlier in this basket, or is in the local redemption log for
//      another transaction -> coupon_already_redeemed;
//   3. its campaign is not in the offers cache -> coupon_offline_unknown_campaign;
//   4. the offer names stores and this store is not one of them -> coupon_campaign_inactive;
//   5. a coupon of the same campaign was already accepted for this basket -> coupon_cap_reached;
//   6. the reward targets a category (the agent does not know product categories) ->
//      coupon_not_applicable;
//   7. offers::applyReward on the basket (lines reduced by the coupons accepted before it) does
//      not apply -> coupon_not_applicable; otherwise the coupon is accepted.
// A redemption log that cannot be read refuses the code with offline_unverified (fail closed).
// Every refusal carries a sentence a cashier can read.
//
// Invariants: the discounts never take a line below zero (applyReward's rule), so the discount
// total never exceeds the subtotal; decisions are one per code, in the order presented.
//
// Thread safety: evaluateOfflineCoupons is re-entrant; OfflineCouponContext's members must be
// safe to call from several threads (the agent's are).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/money.h"
#include "loyalty/base/result.h"
#include "loyalty/protocol/messages.h"
#include "outbox/outbox.h"

namespace loyalty::protocol {
class CouponVerifier;
}  // namespace loyalty::protocol

namespace loyalty::agent {

// Reason codes given by the agent itself (the verifier's are in loyalty/protocol/coupon_code.h).
inline constexpr std::string_view kCouponAlreadyRedeemed = "coupon_already_redeemed";
inline constexpr std::string_view kCouponOfflineUnknownCampaign = "coupon_offline_unknown_campaign";
inline constexpr std::string_view kCouponCampaignInactive = "coupon_campaign_inactive";
inline constexpr std::string_view kCouponCapReached = "coupon_cap_reached";
inline constexpr std::string_view kCouponNotApplicable = "coupon_not_applicable";
// The agent cannot check a code at all (its redemption log is unreadable).
inline constexpr std::string_view kCouponOfflineUnverified = "offline_unverified";

// The offers the agent knows, by campaign id.
using OfferMap = std::map<int64_t, protocol::Offer>;

struct OfflineCouponContext {
  const protocol::CouponVerifier* verifier = nullptr;  // nullptr: no keys configured
  const OfferMap* offers = nullptr;                    // nullptr: none known
  // True when the serial is in the local redemption log, redeemed by another transaction.
  std::function<base::Result<bool>(uint64_t serial)> isRedeemed;
};

struct OfflineCouponResult {
  std::vector<protocol::CouponDecision> decisions;  // one per presented code, same order
  std::vector<protocol::DiscountLine> discounts;    // of the accepted codes, in code order
  base::Money discountTotal;                        // sum of discounts
  // Every code the verifier accepted (authentic, this card, not expired), once per serial:
  // what a commit of these codes records in the redemption log.
  std::vector<CouponRedemption> authentic;
};

OfflineCouponResult evaluateOfflineCoupons(const protocol::TransactionKey& key,
                                           const std::string& card,
                                           const std::vector<protocol::BasketLine>& lines,
                                           const std::vector<std::string>& codes,
                                           const OfflineCouponContext& context);

}  // namespace loyalty::agent

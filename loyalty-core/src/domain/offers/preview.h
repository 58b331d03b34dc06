// Preview: what a draft campaign or a draft programme would have done to the stored sales of the
// last N days, computed by the same code that runs at the till, so that a preview equals what
// happens when the same sales are replayed with the draft in force (a test checks this).
//
//   Checkout-trigger campaign: the sales whose basket (and customer tier, store) matches the
//     trigger and eligibility, in sale order, within the count budget and the per-shopper caps:
//     coupons that would print, shoppers, and their face cost (the reward applied to the basket
//     that triggered it, an upper bound for amount and percent rewards).
//   Personalized campaign: the coupons it would print (personalized_count per sale, within the
//     budget and caps, control group held out); their products, and so their cost, are chosen
//     per shopper at the till and are not counted.
//   Any other campaign: the sales where a presented coupon would apply (one per visit):
//     discount cost and bonus points if every such shopper held one.
//   Programme: points each sale would earn under the draft minus what it earned; sales and
//     shoppers whose points change.
//
// Thread safety: re-entrant; reads committed data only.
#pragma once

#include <cstdint>

#include "domain/catalogue.h"
#include "domain/model.h"
#include "domain/offers/programme.h"
#include "domain/store.h"
#include "loyalty/base/result.h"

namespace loyalty::core::domain {

struct PreviewReport {
  int64_t days = 0;
  int64_t salesScanned = 0;
  int64_t salesTouched = 0;
  int64_t shoppersTouched = 0;
  int64_t couponsIssued = 0;  // checkout-trigger campaigns
  base::Money discountCost;
  base::Points pointsCost;    // bonus points, or the points delta of a programme (may be < 0)
};

inline constexpr int64_t kMaxPreviewDays = 3'660;

// Errors: kValueOutOfRange for days outside 1..kMaxPreviewDays, validation, the store's.
Result<PreviewReport> previewCampaign(LoyaltyStore& store, const Catalogue& catalogue,
                                      const Campaign& draft, int64_t days, int64_t nowMs);
Result<PreviewReport> previewProgramme(LoyaltyStore& store, const Catalogue& catalogue,
                                       const Programme& current, const Programme& draft,
                                       int64_t days, int64_t nowMs);

}  // namespace loyalty::core::domain

// Coupon campaigns: validation, the status life cycle, manual issuance, and CampaignBook, the
// in-memory copy of the campaign definitions that the checkout path reads.
//
// The operations take a StoreWriter so that a caller (the admin layer) can run them in the same
// LoyaltyStore::write() as its audit entry: the change and its audit are stored together or not
// at all. Counters (issuedCount, redeemedCount, redeemedCost) are only moved by the domain.
//
// Status life cycle: draft -> active; active <-> paused; draft, active or paused -> ended.
// Ended is final. Only a draft may change its reward; any campaign but an ended one may change
// its name, dates, eligibility, budget and caps.
//
// Thread safety: free functions are re-entrant; CampaignBook may be read and reloaded from any
// number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "domain/model.h"
#include "domain/offers/coupon_keys.h"
#include "domain/store.h"
#include "loyalty/base/result.h"

namespace loyalty::core::domain {

inline constexpr int64_t kMaxCampaignId = 4'294'967'295;  // coupon codes carry 32 bits
inline constexpr size_t kMaxIssueCards = 10'000;          // cards per manual issue call

// Errors: kInvalidValue / kValueOutOfRange naming the field ("validity_days: ...").
base::Status validateCampaign(const Campaign& campaign);

// Stores a new campaign (status draft or active; counters start at 0). Errors: validation,
// kInvalidState for another status.
Result<Campaign> createCampaign(StoreWriter& writer, Campaign draft, int64_t nowMs);
// Replaces the definition of campaign `changed.id` (counters and status are kept).
// Errors: kUnknownCampaign, validation, kInvalidState (ended, or reward changed after draft).
Result<Campaign> updateCampaign(StoreWriter& writer, const Campaign& changed, int64_t nowMs);
// Errors: kUnknownCampaign, kInvalidState for a transition the life cycle does not allow.
Result<Campaign> setCampaignStatus(StoreWriter& writer, int64_t campaignId,
                                   CampaignStatus status, int64_t nowMs);

// The reward a coupon of this campaign gives: the campaign's, aimed at `sku` when the coupon
// names one (personalized coupons), else unchanged.
offers::Reward rewardFor(const Campaign& campaign, const std::string& sku);

// True when this customer is in the campaign's control group: a deterministic share of
// controlPercent % of customers (FNV-1a of the campaign and customer ids, modulo 100).
bool inControlGroup(const Campaign& campaign, int64_t customerId);

// The last valid day of a coupon issued on `today` (YYYY-MM-DD) by this campaign:
// today + validityDays - 1, but not after the campaign's `to` date.
std::string couponExpiry(const Campaign& campaign, const std::string& today);

struct IssuedCoupon {
  std::string card;
  Coupon coupon;
};

// Issues one coupon of an active campaign to each card (enrolling unknown cards, as identify
// does). All or nothing: kBudgetExhausted when the count budget cannot cover every card,
// kInvalidState when the campaign is not active, kUnknownCampaign, kInvalidValue for more than
// kMaxIssueCards cards.
Result<std::vector<IssuedCoupon>> issueCoupons(StoreWriter& writer, const CouponIssuer& issuer,
                                               int64_t campaignId,
                                               const std::vector<std::string>& cards,
                                               const std::string& today, int64_t nowMs);

// The campaign definitions, as last loaded; the checkout path reads them without a query and
// re-reads one campaign's counters inside its write when it needs them.
class CampaignBook {
 public:
  // Errors: the store's.
  base::Status reload(LoyaltyStore& store);
  std::shared_ptr<const std::vector<Campaign>> all() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const std::vector<Campaign>> campaigns_ =
      std::make_shared<const std::vector<Campaign>>();
};

}  // namespace loyalty::core::domain

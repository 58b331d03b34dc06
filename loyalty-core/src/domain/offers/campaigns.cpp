#include "domain/offers/campaigns.h"

#include <algorithm>
#include <set>

#include "domain/offers/coupon_flow.h"
#include "domain/rules/earn_rules.h"

namespace loyalty::core::domain {
namespace {

using base::ErrorCode;
using base::makeError;

constexpr size_t kMaxNameLength = 128;
constexpr size_t kMaxListEntries = 1'000;
constexpr int64_t kMaxValidityDays = 3'660;
constexpr int64_t kMaxBudgetCount = 1'000'000'000;
constexpr int64_t kMaxBudgetCost = 10'000'000'000'000;
constexpr int64_t kMaxCap = 1'000;

base::Status outOfRange(const std::string& field, int64_t lo, int64_t hi) {
  return makeError(ErrorCode::kValueOutOfRange,
                   field + ": must be " + std::to_string(lo) + ".." + std::to_string(hi));
}

bool isIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 32) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
}

base::Status checkIdentifiers(const std::vector<std::string>& list, const std::string& field) {
  if (list.size() > kMaxListEntries) {
    return makeError(ErrorCode::kValueOutOfRange, field + ": at most 1000 entries");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!isIdentifier(list[i])) {
      return makeError(ErrorCode::kInvalidValue, field + "[" + std::to_string(i) +
                                                      "]: 1..32 of [A-Za-z0-9_-]");
    }
    if (!seen.insert(list[i]).second) {
      return makeError(ErrorCode::kInvalidValue,
                       field + "[" + std::to_string(i) + "]: listed twice");
    }
  }
  return base::Status();
}

bool allowed(CampaignStatus from, CampaignStatus to) {
  switch (from) {
    case CampaignStatus::kDraft:
      return to == CampaignStatus::kActive || to == CampaignStatus::kEnded;
    case CampaignStatus::kActive:
      return to == CampaignStatus::kPaused || to == CampaignStatus::kEnded;
    case CampaignStatus::kPaused:
      return to == CampaignStatus::kActive || to == CampaignStatus::kEnded;
    case CampaignStatus::kEnded:
      return false;
  }
  return false;
}

// Keeps the counters and identity of `stored`, the definition of `changed`.
Campaign merged(const Campaign& stored, const Campaign& changed, int64_t nowMs) {
  Campaign c = changed;
  c.id = stored.id;
  c.status = stored.status;
  c.issuedCount = stored.issuedCount;
  c.redeemedCount = stored.redeemedCount;
  c.redeemedCost = stored.redeemedCost;
  c.updatedAtMs = nowMs;
  return c;
}

Result<Campaign> loadCampaign(StoreWriter& w, int64_t id) {
  auto found = w.findCampaign(id);
  if (!found.ok()) {
    return found.error();
  }
  if (!found->has_value()) {
    return makeError(ErrorCode::kUnknownCampaign, "no campaign " + std::to_string(id));
  }
  return std::move(**found);
}

}  // namespace

base::Status validateCampaign(const Campaign& c) {
  if (c.name.empty() || c.name.size() > kMaxNameLength) {
    return makeError(ErrorCode::kInvalidValue, "name: 1..128 characters");
  }
  if (!c.ownerStore.empty() && !isIdentifier(c.ownerStore)) {
    return makeError(ErrorCode::kInvalidValue, "owner_store: 1..32 of [A-Za-z0-9_-]");
  }
  for (const auto* field : {&c.from, &c.to}) {
    if (*field && !rules::isValidDate(**field)) {
      return makeError(ErrorCode::kInvalidValue,
                       std::string(field == &c.from ? "from" : "to") + ": a YYYY-MM-DD date");
    }
  }
  if (c.from && c.to && *c.from > *c.to) {
    return makeError(ErrorCode::kInvalidValue, "to: before from");
  }
  if (c.issuance == IssuanceKind::kPersonalized) {
    // The product is chosen per shopper: the reward names a category to choose in, or no
    // product at all ("sku" without a value).
    const bool open = c.reward.target == offers::TargetKind::kSku && c.reward.value.empty();
    if (!open && c.reward.target != offers::TargetKind::kCategory) {
      return makeError(ErrorCode::kInvalidValue,
                       "reward.target: a personalized campaign targets \"sku\" without a value "
                       "(the product is chosen per shopper) or a \"category\" to choose in");
    }
    if (c.personalizedCount < 1 || c.personalizedCount > 10) {
      return outOfRange("personalized_count", 1, 10);
    }
    if (c.discoverPercent < 0 || c.discoverPercent > 100) {
      return outOfRange("discover_percent", 0, 100);
    }
    if (base::Status s = offers::validate(rewardFor(c, "SKU")); !s.ok()) {
      return s;
    }
  } else if (base::Status s = offers::validate(c.reward); !s.ok()) {
    return s;
  }
  if (base::Status s = checkIdentifiers(c.tiers, "tiers"); !s.ok()) {
    return s;
  }
  if (base::Status s = checkIdentifiers(c.stores, "stores"); !s.ok()) {
    return s;
  }
  if (c.validityDays < 1 || c.validityDays > kMaxValidityDays) {
    return outOfRange("validity_days", 1, kMaxValidityDays);
  }
  if (c.budgetCount < 0 || c.budgetCount > kMaxBudgetCount) {
    return outOfRange("budget_count", 0, kMaxBudgetCount);
  }
  if (c.budgetCost.value() < 0 || c.budgetCost.value() > kMaxBudgetCost) {
    return outOfRange("budget_cost", 0, kMaxBudgetCost);
  }
  if (c.capPerVisit < 0 || c.capPerVisit > kMaxCap) {
    return outOfRange("cap_per_visit", 0, kMaxCap);
  }
  if (c.capPerPeriod < 0 || c.capPerPeriod > kMaxCap) {
    return outOfRange("cap_per_period", 0, kMaxCap);
  }
  if (c.capPeriodDays < 1 || c.capPeriodDays > kMaxValidityDays) {
    return outOfRange("cap_period_days", 1, kMaxValidityDays);
  }
  if (c.controlPercent < 0 || c.controlPercent > 100) {
    return outOfRange("control_percent", 0, 100);
  }
  if (c.issuance == IssuanceKind::kCheckoutTrigger) {
    const Trigger& t = c.trigger;
    if ((t.target == offers::TargetKind::kBasket) != t.value.empty()) {
      return makeError(ErrorCode::kInvalidValue,
                       "trigger.value: required for sku and category, absent for basket");
    }
    if (t.minQuantity < 0 || t.minQuantity > offers::kMaxGroupQuantity) {
      return outOfRange("trigger.min_quantity", 0, offers::kMaxGroupQuantity);
    }
    if (t.minSpend.value() < 0 || t.minSpend.value() > offers::kMaxRewardAmount) {
      return outOfRange("trigger.min_spend", 0, offers::kMaxRewardAmount);
    }
  }
  return base::Status();
}

Result<Campaign> createCampaign(StoreWriter& writer, Campaign draft, int64_t nowMs) {
  if (base::Status s = validateCampaign(draft); !s.ok()) {
    return s.error();
  }
  if (draft.status != CampaignStatus::kDraft && draft.status != CampaignStatus::kActive) {
    return makeError(ErrorCode::kInvalidState, "status: a new campaign is draft or active");
  }
  draft.issuedCount = 0;
  draft.redeemedCount = 0;
  draft.redeemedCost = Money(0);
  draft.updatedAtMs = nowMs;
  auto id = writer.insertCampaign(draft);
  if (!id.ok()) {
    return id.error();
  }
  if (*id < 1 || *id > kMaxCampaignId) {
    return makeError(ErrorCode::kInternal, "campaign ids are exhausted");
  }
  draft.id = *id;
  return draft;
}

Result<Campaign> updateCampaign(StoreWriter& writer, const Campaign& changed, int64_t nowMs) {
  auto stored = loadCampaign(writer, changed.id);
  if (!stored.ok()) {
    return stored.error();
  }
  if (stored->status == CampaignStatus::kEnded) {
    return makeError(ErrorCode::kInvalidState, "an ended campaign cannot change");
  }
  if (stored->status != CampaignStatus::kDraft &&
      (!(stored->reward == changed.reward) || stored->issuance != changed.issuance)) {
    return makeError(ErrorCode::kInvalidState,
                     "reward and issuance can only change while the campaign is a draft");
  }
  Campaign next = merged(*stored, changed, nowMs);
  if (base::Status s = validateCampaign(next); !s.ok()) {
    return s.error();
  }
  if (base::Status s = writer.updateCampaign(next); !s.ok()) {
    return s.error();
  }
  return next;
}

Result<Campaign> setCampaignStatus(StoreWriter& writer, int64_t campaignId,
                                   CampaignStatus status, int64_t nowMs) {
  auto stored = loadCampaign(writer, campaignId);
  if (!stored.ok()) {
    return stored.error();
  }
  if (stored->status == status) {
    return std::move(stored).value();  // already there: nothing to change
  }
  if (!allowed(stored->status, status)) {
    return makeError(ErrorCode::kInvalidState, std::string("a campaign cannot go from ") +
                                                   campaignStatusName(stored->status) + " to " +
                                                   campaignStatusName(status));
  }
  Campaign next = std::move(stored).value();
  next.status = status;
  next.updatedAtMs = nowMs;
  if (base::Status s = writer.updateCampaign(next); !s.ok()) {
    return s.error();
  }
  return next;
}

offers::Reward rewardFor(const Campaign& campaign, const std::string& sku) {
  offers::Reward reward = campaign.reward;
  if (!sku.empty()) {
    reward.target = offers::TargetKind::kSku;
    reward.value = sku;
  }
  return reward;
}

bool inControlGroup(const Campaign& campaign, int64_t customerId) {
  if (campaign.controlPercent <= 0) {
    return false;
  }
  // FNV-1a 64 over the two ids: stable across runs, machines and versions.
  uint64_t h = 1469598103934665603ULL;
  for (int64_t v : {campaign.id, customerId}) {
    for (int i = 0; i < 8; ++i) {
      h ^= static_cast<uint64_t>(v >> (8 * i)) & 0xff;
      h *= 1099511628211ULL;
    }
  }
  return static_cast<int64_t>(h % 100) < campaign.controlPercent;
}

std::string couponExpiry(const Campaign& campaign, const std::string& today) {
  std::string last = addDays(today, campaign.validityDays - 1);
  if (campaign.to && *campaign.to < last) {
    last = *campaign.to;
  }
  return last;
}

Result<std::vector<IssuedCoupon>> issueCoupons(StoreWriter& writer, const CouponIssuer& issuer,
                                               int64_t campaignId,
                                               const std::vector<std::string>& cards,
                                               const std::string& today, int64_t nowMs) {
  if (cards.size() > kMaxIssueCards) {
    return makeError(ErrorCode::kInvalidValue, "cards: at most 10000 per call");
  }
  auto stored = loadCampaign(writer, campaignId);
  if (!stored.ok()) {
    return stored.error();
  }
  Campaign c = std::move(stored).value();
  if (c.status != CampaignStatus::kActive || !rules::activeOn(c.from, c.to, today)) {
    return makeError(ErrorCode::kInvalidState, "coupons are issued by active campaigns only, "
                                               "within their dates");
  }
  if (c.budgetCount > 0 &&
      c.issuedCount + static_cast<int64_t>(cards.size()) > c.budgetCount) {
    return makeError(ErrorCode::kBudgetExhausted,
                     "the campaign may issue " + std::to_string(c.budgetCount - c.issuedCount) +
                         " more coupons");
  }
  std::vector<IssuedCoupon> issued;
  issued.reserve(cards.size());
  for (const std::string& card : cards) {
    auto found = writer.findCustomer(card);
    if (!found.ok()) {
      return found.error();
    }
    Customer customer;
    if (found->has_value()) {
      customer = **found;
    } else {
      auto enrolled = writer.insertCustomer(card, nowMs);
      if (!enrolled.ok()) {
        return enrolled.error();
      }
      customer = std::move(enrolled).value();
    }
    Coupon coupon;
    coupon.campaignId = c.id;
    coupon.customerId = customer.id;
    coupon.expires = couponExpiry(c, today);
    coupon.issuedAtMs = nowMs;
    auto stored = issueCoupon(writer, issuer, std::move(coupon), card);
    if (!stored.ok()) {
      return stored.error();
    }
    issued.push_back(IssuedCoupon{card, std::move(stored).value()});
  }
  c.issuedCount += static_cast<int64_t>(cards.size());
  c.updatedAtMs = nowMs;
  if (base::Status s = writer.updateCampaign(c); !s.ok()) {
    return s.error();
  }
  return issued;
}

base::Status CampaignBook::reload(LoyaltyStore& store) {
  auto all = store.campaigns();
  if (!all.ok()) {
    return all.error();
  }
  auto next = std::make_shared<const std::vector<Campaign>>(std::move(all).value());
  std::lock_guard<std::mutex> lock(mutex_);
  campaigns_ = std::move(next);
  return base::Status();
}

std::shared_ptr<const std::vector<Campaign>> CampaignBook::all() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return campaigns_;
}

}  // namespace loyalty::core::domain

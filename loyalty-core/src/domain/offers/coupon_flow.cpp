#include "domain/offers/coupon_flow.h"

#include <algorithm>
#include <cstdio>

#include "domain/offers/campaigns.h"
#include "domain/rules/earn_rules.h"

namespace loyalty::core::domain {
namespace {

using base::ErrorCode;
using base::makeError;

__extension__ using Int128 = __int128;

constexpr int64_t kMsPerDay = 86'400'000;

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  return buf;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool lineMatches(offers::TargetKind target, const std::string& value,
                 const offers::RewardLine& line) {
  switch (target) {
    case offers::TargetKind::kSku:
      return line.sku == value;
    case offers::TargetKind::kCategory:
      return offers::categoryMatches(line.categoryPath, value);
    case offers::TargetKind::kBasket:
      return true;
  }
  return false;
}

}  // namespace

std::string reasonMessage(const std::string& reason) {
  if (reason.empty()) {
    return "";
  }
  if (reason == "coupon_malformed") {
    return "This is not a valid coupon code; scan it again or key it in.";
  }
  if (reason == "coupon_unknown_key" || reason == "coupon_bad_signature") {
    return "This coupon was not issued by us.";
  }
  if (reason == "coupon_wrong_card") {
    return "This coupon belongs to another loyalty card.";
  }
  if (reason == "coupon_expired") {
    return "This coupon has expired.";
  }
  if (reason == kReasonUnknown) {
    return "This coupon is not known to the loyalty system.";
  }
  if (reason == kReasonAlreadyRedeemed) {
    return "This coupon has already been used.";
  }
  if (reason == kReasonReserved) {
    return "This coupon is being used at another till right now.";
  }
  if (reason == kReasonCampaignInactive) {
    return "This offer is not running today, at this store or for this card.";
  }
  if (reason == kReasonNotApplicable) {
    return "The basket does not contain what this coupon needs.";
  }
  if (reason == kReasonCapReached) {
    return "The limit of coupons of this offer has been reached.";
  }
  if (reason == kReasonBudgetExhausted) {
    return "This offer has run out.";
  }
  return "This coupon cannot be used.";
}

std::string dateOf(int64_t ms) {
  int64_t days = ms / kMsPerDay;
  if (ms < 0 && ms % kMsPerDay != 0) {
    --days;
  }
  return civilFromDays(days);
}

int64_t daysToMs(int64_t days) { return days * kMsPerDay; }

std::string addDays(const std::string& date, int64_t days) {
  if (!rules::isValidDate(date)) {
    return date;
  }
  const int64_t y = std::stoll(date.substr(0, 4));
  const int64_t m = std::stoll(date.substr(5, 2));
  const int64_t d = std::stoll(date.substr(8, 2));
  return civilFromDays(daysFromCivil(y, m, d) + days);
}

bool campaignLive(const Campaign& campaign, const std::string& date, const std::string& store,
                  const std::string& tier) {
  if (campaign.status != CampaignStatus::kActive) {
    return false;
  }
  if (!rules::activeOn(campaign.from, campaign.to, date)) {
    return false;
  }
  if (!campaign.stores.empty() && !contains(campaign.stores, store)) {
    return false;
  }
  return campaign.tiers.empty() || contains(campaign.tiers, tier);
}

bool triggerMatches(const Trigger& trigger, const std::vector<offers::RewardLine>& lines) {
  int64_t units = 0;
  int64_t spend = 0;
  for (const auto& line : lines) {
    if (line.quantity > 0 && lineMatches(trigger.target, trigger.value, line)) {
      units += line.quantity;
      spend += std::max<int64_t>(0, line.unitPrice.value() * line.quantity -
                                        line.discounted.value());
    }
  }
  return units > 0 && units >= std::max<int64_t>(1, trigger.minQuantity) &&
         spend >= trigger.minSpend.value();
}

std::vector<offers::RewardLine> rewardLinesOf(const std::vector<rules::PricedLine>& lines) {
  std::vector<offers::RewardLine> out;
  out.reserve(lines.size());
  for (const auto& l : lines) {
    offers::RewardLine r;
    r.line = l.line;
    r.sku = l.sku;
    r.categoryPath = l.categoryPath;
    r.quantity = l.quantity;
    r.unitPrice = l.unitPrice;
    r.discounted = l.discount;
    out.push_back(std::move(r));
  }
  return out;
}

CouponAttempt evaluateCoupon(StoreWriter& w, const CouponChecker* checker,
                             const std::string& code, const Customer& customer, const TxnKey& key,
                             int64_t nowMs, const std::vector<offers::RewardLine>& lines,
                             const std::map<int64_t, int64_t>& acceptedPerCampaign) {
  CouponAttempt a;
  a.code = code;
  if (checker == nullptr) {
    a.reason = kReasonNotConfigured;
    return a;
  }
  const CodeCheck check = checker->check(code, customer.card, key.businessDate);
  if (!check.accepted) {
    a.reason = check.reason;
    return a;
  }
  auto coupon = w.findCoupon(check.claims.serial);
  if (!coupon.ok() || !coupon->has_value() || (*coupon)->customerId != customer.id) {
    a.reason = kReasonUnknown;
    return a;
  }
  a.coupon = **coupon;
  auto campaign = w.findCampaign(a.coupon->campaignId);
  if (!campaign.ok() || !campaign->has_value()) {
    a.reason = kReasonUnknown;
    return a;
  }
  a.campaign = **campaign;
  const Campaign& c = *a.campaign;
  // The reward is computed first: an offline till granted it whatever the core's state.
  a.outcome = offers::applyReward(rewardFor(c, a.coupon->sku), lines);

  auto refuse = [&](const char* reason) {
    a.reason = reason;
    a.conflict = reason == std::string(kReasonAlreadyRedeemed) ? kConflictDoubleUse : reason;
  };
  if (a.coupon->state == CouponState::kRedeemed) {
    refuse(kReasonAlreadyRedeemed);
  } else if (a.coupon->state != CouponState::kIssued) {
    refuse(kReasonUnknown);
  } else if (a.coupon->reservedBy && !(*a.coupon->reservedBy == key) &&
             a.coupon->reservedUntilMs > nowMs) {
    refuse(kReasonReserved);
  } else if (!campaignLive(c, key.businessDate, key.store, customer.tier)) {
    refuse(kReasonCampaignInactive);
  } else {
    auto counted = acceptedPerCampaign.find(c.id);
    const int64_t inBasket = counted == acceptedPerCampaign.end() ? 0 : counted->second;
    if (c.capPerVisit > 0 && inBasket >= c.capPerVisit) {
      refuse(kReasonCapReached);
    } else if (c.capPerPeriod > 0) {
      auto used = w.countRedemptions(customer.id, c.id, nowMs - daysToMs(c.capPeriodDays));
      if (!used.ok() || *used + inBasket >= c.capPerPeriod) {
        refuse(kReasonCapReached);
      }
    }
    if (a.reason.empty() && !a.outcome.applies) {
      refuse(kReasonNotApplicable);
    }
    if (a.reason.empty() && c.budgetCost.value() > 0 &&
        c.redeemedCost.value() + a.outcome.cost.value() > c.budgetCost.value()) {
      refuse(kReasonBudgetExhausted);
    }
  }
  return a;
}

Result<Coupon> issueCoupon(StoreWriter& w, const CouponIssuer& issuer, Coupon coupon,
                           const std::string& card) {
  coupon.state = CouponState::kIssued;
  auto serial = w.insertCoupon(coupon);
  if (!serial.ok()) {
    return serial.error();
  }
  coupon.serial = *serial;
  auto code = issuer.sign(CodeClaims{coupon.serial, card, coupon.campaignId, coupon.expires});
  if (!code.ok()) {
    return code.error();
  }
  coupon.code = std::move(code).value();
  if (Status u = w.updateCoupon(coupon); !u.ok()) {
    return u.error();
  }
  return coupon;
}

void applyAttempt(const CouponAttempt& attempt, std::vector<offers::RewardLine>& lines,
                  std::map<int64_t, int64_t>& acceptedPerCampaign) {
  for (const auto& d : attempt.outcome.discounts) {
    for (auto& line : lines) {
      if (line.line == d.line) {
        line.discounted = line.discounted + d.amount;
        break;
      }
    }
  }
  if (attempt.campaign) {
    ++acceptedPerCampaign[attempt.campaign->id];
  }
}

Result<Money> tenderValue(const PointsTender& tender, Points requested, Points balance,
                          Money open) {
  const int64_t p = requested.value();
  if (tender.unitPoints <= 0) {
    return makeError(ErrorCode::kInvalidPointsRedemption, "points cannot be used as a tender");
  }
  if (p <= 0 || p % tender.unitPoints != 0) {
    return makeError(ErrorCode::kInvalidPointsRedemption,
                     "redeem_points must be a multiple of " + std::to_string(tender.unitPoints));
  }
  if (p < tender.minPoints) {
    return makeError(ErrorCode::kInvalidPointsRedemption,
                     "redeem_points must be at least " + std::to_string(tender.minPoints));
  }
  if (p > balance.value()) {
    return makeError(ErrorCode::kInsufficientPoints,
                     "the balance is " + std::to_string(balance.value()) + " points");
  }
  const int64_t value = (p / tender.unitPoints) * tender.unitValue.value();
  if (value > open.value()) {
    return makeError(ErrorCode::kInvalidPointsRedemption,
                     "the points are worth more than the basket still to pay");
  }
  return Money(value);
}

std::vector<int64_t> allocate(int64_t total, const std::vector<int64_t>& weights) {
  std::vector<int64_t> out(weights.size(), 0);
  int64_t sum = 0;
  for (int64_t wgt : weights) {
    sum += std::max<int64_t>(0, wgt);
  }
  if (sum <= 0 || total <= 0) {
    return out;
  }
  std::vector<std::pair<int64_t, size_t>> remainders;  // (remainder, index)
  int64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const int64_t wgt = std::max<int64_t>(0, weights[i]);
    const Int128 exact = static_cast<Int128>(total) * wgt;
    out[i] = static_cast<int64_t>(exact / sum);
    given += out[i];
    remainders.emplace_back(static_cast<int64_t>(exact % sum), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < total && k < remainders.size(); ++k) {
    ++out[remainders[k].second];
    ++given;
  }
  return out;
}

int64_t mulDiv(int64_t value, int64_t numerator, int64_t denominator) {
  if (denominator <= 0) {
    return 0;
  }
  return static_cast<int64_t>(static_cast<Int128>(value) * numerator / denominator);
}

}  // namespace loyalty::core::domain

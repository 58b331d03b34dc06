#include "server/offline_coupons.h"

#include <set>
#include <utility>

#include "loyalty/offers/reward.h"
#include "loyalty/protocol/coupon_code.h"

namespace loyalty::agent {

namespace {

using base::Money;

protocol::CouponDecision refused(const std::string& code, std::string_view reason,
                                 std::string message) {
  protocol::CouponDecision decision;
  decision.code = code;
  decision.accepted = false;
  decision.reason = std::string(reason);
  decision.message = std::move(message);
  return decision;
}

// The cashier's sentence for a refusal by the verifier.
std::string verifierMessage(const std::string& reason, const std::string& code) {
  if (reason == protocol::kCouponMalformed) {
    return "This is not a valid coupon code. Scan it again or type it in.";
  }
  if (reason == protocol::kCouponUnknownKey) {
    return "This till cannot check this coupon while the loyalty server is unreachable.";
  }
  if (reason == protocol::kCouponBadSignature) {
    return "This coupon code is not genuine.";
  }
  if (reason == protocol::kCouponWrongCard) {
    return "This coupon belongs to another loyalty card.";
  }
  if (reason == protocol::kCouponExpired) {
    // The claims of a refused code are only read to tell the cashier the date.
    base::Result<protocol::CouponClaims> claims = protocol::decodeCouponClaims(code);
    if (claims.ok()) {
      return "This coupon expired on " + claims->expires + ".";
    }
    return "This coupon has expired.";
  }
  return "This coupon cannot be accepted.";
}

bool storeAllowed(const protocol::Offer& offer, const std::string& store) {
  if (offer.stores.empty()) {
    return true;
  }
  for (const std::string& allowed : offer.stores) {
    if (allowed == store) {
      return true;
    }
  }
  return false;
}

}  // namespace

OfflineCouponResult evaluateOfflineCoupons(const protocol::TransactionKey& key,
                                           const std::string& card,
                                           const std::vector<protocol::BasketLine>& lines,
                                           const std::vector<std::string>& codes,
                                           const OfflineCouponContext& context) {
  OfflineCouponResult result;

  // The basket as applyReward sees it. Categories are unknown to the agent (left empty), and
  // `discounted` grows with each accepted coupon.
  std::vector<offers::RewardLine> basket;
  basket.reserve(lines.size());
  for (const protocol::BasketLine& line : lines) {
    offers::RewardLine rewardLine;
    rewardLine.line = line.line;
    rewardLine.sku = line.sku;
    rewardLine.quantity = line.quantity;
    rewardLine.unitPrice = line.unitPrice;
    basket.push_back(std::move(rewardLine));
  }

  std::set<uint64_t> authenticSerials;
  std::set<int64_t> campaignsUsed;  // campaigns with an accepted coupon in this basket

  for (const std::string& code : codes) {
    if (context.verifier == nullptr) {
      result.decisions.push_back(refused(
          code, protocol::kCouponUnknownKey,
          "This till has no coupon keys, so it cannot check coupons while the loyalty server "
          "is unreachable."));
      continue;
    }
    protocol::CouponCheck check = context.verifier->verify(code, card, key.businessDate);
    if (!check.accepted || !check.claims.has_value()) {
      std::string reason = check.reason.empty() ? std::string(protocol::kCouponMalformed)
                                                : check.reason;  // fail closed
      result.decisions.push_back(refused(code, reason, verifierMessage(reason, code)));
      continue;
    }
    const protocol::CouponClaims& claims = *check.claims;
    if (!authenticSerials.insert(claims.serial).second) {
      result.decisions.push_back(refused(code, kCouponAlreadyRedeemed,
                                         "This coupon has already been presented for this sale."));
      continue;
    }
    result.authentic.push_back(CouponRedemption{claims.serial, claims.expires});

    base::Result<bool> redeemed =
        context.isRedeemed ? context.isRedeemed(claims.serial) : base::Result<bool>(false);
    if (!redeemed.ok()) {
      result.decisions.push_back(
          refused(code, kCouponOfflineUnverified,
                  "This till cannot check this coupon right now. Try again when the loyalty "
                  "server is back."));
      continue;
    }
    if (*redeemed) {
      result.decisions.push_back(
          refused(code, kCouponAlreadyRedeemed, "This coupon has already been used."));
      continue;
    }

    const int64_t campaign = static_cast<int64_t>(claims.campaign);
    const protocol::Offer* offer = nullptr;
    if (context.offers != nullptr) {
      auto found = context.offers->find(campaign);
      if (found != context.offers->end()) {
        offer = &found->second;
      }
    }
    if (offer == nullptr) {
      result.decisions.push_back(
          refused(code, kCouponOfflineUnknownCampaign,
                  "This till does not know this coupon's offer while the loyalty server is "
                  "unreachable."));
      continue;
    }
    if (!storeAllowed(*offer, key.store)) {
      result.decisions.push_back(
          refused(code, kCouponCampaignInactive, "This offer is not valid in this store."));
      continue;
    }
    if (campaignsUsed.count(campaign) > 0) {
      result.decisions.push_back(refused(
          code, kCouponCapReached, "Only one coupon of this offer can be used per purchase."));
      continue;
    }
    const std::string description = offers::describe(offer->reward);
    if (offer->reward.target == offers::TargetKind::kCategory) {
      result.decisions.push_back(
          refused(code, kCouponNotApplicable,
                  "This category offer (" + description +
                      ") needs the loyalty server; it cannot be applied while it is unreachable."));
      continue;
    }
    offers::RewardOutcome outcome = offers::applyReward(offer->reward, basket);
    if (!outcome.applies) {
      result.decisions.push_back(
          refused(code, kCouponNotApplicable,
                  "The basket does not meet this coupon's conditions (" + description + ")."));
      continue;
    }

    campaignsUsed.insert(campaign);
    for (const offers::LineDiscount& discount : outcome.discounts) {
      protocol::DiscountLine line;
      line.line = discount.line;
      line.amount = discount.amount;
      line.kind = protocol::kDiscountCoupon;
      line.description = description;
      line.coupon = code;
      result.discounts.push_back(std::move(line));
      result.discountTotal += discount.amount;
      for (offers::RewardLine& rewardLine : basket) {
        if (rewardLine.line == discount.line) {
          rewardLine.discounted += discount.amount;
          break;
        }
      }
    }
    protocol::CouponDecision decision;
    decision.code = code;
    decision.accepted = true;
    decision.message = description;
    decision.discount = outcome.cost;
    decision.bonusPoints = outcome.bonusPoints;
    result.decisions.push_back(std::move(decision));
  }
  return result;
}

}  // namespace loyalty::agent

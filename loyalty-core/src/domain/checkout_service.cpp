#include "domain/checkout_service.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "domain/item_id.h"
#include "domain/offers/coupon_flow.h"
#include "loyalty/base/check.h"

namespace loyalty::core::domain {
namespace {

using base::ErrorCode;
using base::makeError;

std::vector<rules::PricedLine> pricedLinesOf(const std::vector<BasketItem>& items,
                                             const Catalogue& catalogue) {
  std::vector<rules::PricedLine> lines;
  lines.reserve(items.size());
  for (const auto& item : items) {
    rules::PricedLine l;
    l.line = item.line;
    l.sku = item.sku;
    l.quantity = item.quantity;
    l.unitPrice = item.unitPrice;
    lines.push_back(std::move(l));
  }
  catalogue.annotate(lines);
  return lines;
}

rules::EarnContext contextOf(const TxnKey& key, const std::string& tier) {
  rules::EarnContext c;
  c.store = key.store;
  c.tier = tier;
  c.date = key.businessDate;
  return c;
}

int64_t subtotalOf(const std::vector<rules::PricedLine>& lines) {
  int64_t sum = 0;
  for (const auto& l : lines) {
    sum += l.unitPrice.value() * l.quantity;
  }
  return sum;
}

// Gets the card's customer inside a write, enrolling it when unknown.
Result<Customer> findOrEnroll(StoreWriter& w, const std::string& card, int64_t nowMs,
                              bool* enrolled) {
  auto found = w.findCustomer(card);
  if (!found.ok()) {
    return found.error();
  }
  if (found->has_value()) {
    return std::move(**found);
  }
  if (enrolled != nullptr) {
    *enrolled = true;
  }
  return w.insertCustomer(card, nowMs);
}

// Sets the customer's tier from their rolling spend before this sale (stored when it changed).
Status refreshTier(StoreWriter& w, Customer& customer, const Programme& programme,
                   int64_t nowMs) {
  if (programme.earn.tiers.empty()) {
    return Status();
  }
  auto spend = w.rollingSpend(customer.id, nowMs - daysToMs(programme.rollingSpendDays));
  if (!spend.ok()) {
    return spend.error();
  }
  std::string tier = rules::tierFor(*spend, programme.earn.tiers);
  if (tier != customer.tier) {
    customer.tier = std::move(tier);
    return w.updateCustomer(customer);
  }
  return Status();
}

Status appendChecked(StoreWriter& w, LedgerEntry entry, Points& balance) {
  if (entry.points.value() == 0) {
    return Status();
  }
  auto stored = w.appendLedger(entry);
  if (!stored.ok()) {
    return stored.error();
  }
  balance = balance + entry.points;
  LOYALTY_CHECK(*stored == balance, "ledger and computed balance disagree");
  return Status();
}

std::string pointsDescription(Points points) {
  return std::to_string(points.value()) + " points";
}

// The cumulative share of `total` carried by the first `units` of `quantity` units.
int64_t shareOf(int64_t total, int64_t units, int64_t quantity) {
  return mulDiv(total, units, quantity);
}

// A sale line as the earn engine sees it with `returned` of its units gone: the kept units and
// the part of its discounts they still carry.
rules::PricedLine keptLine(const SaleLine& l, int64_t returned, const Catalogue& catalogue) {
  rules::PricedLine p;
  p.line = l.line;
  p.sku = l.sku;
  p.quantity = l.quantity - returned;
  p.unitPrice = l.unitPrice;
  const int64_t discount = l.discount.value() - shareOf(l.discount.value(), returned, l.quantity);
  const int64_t tender = l.pointsTenderValue.value() -
                         shareOf(l.pointsTenderValue.value(), returned, l.quantity);
  p.discount = Money(discount + tender);
  std::vector<rules::PricedLine> one{p};
  catalogue.annotate(one);
  return one.front();
}

// The points a sale's lines earn when `returned[i]` units of line i are gone; lines that did not
// earn at sale time (excluded, or imported history) are left out. couponBonus is kept in
// proportion to the net amount kept.
Points keptPoints(const Sale& sale, const std::vector<int64_t>& returned,
                  const Catalogue& catalogue, const rules::EarnRules& rules) {
  std::vector<rules::PricedLine> kept;
  int64_t netKept = 0;
  for (size_t i = 0; i < sale.lines.size(); ++i) {
    const SaleLine& l = sale.lines[i];
    rules::PricedLine p = keptLine(l, returned[i], catalogue);
    netKept += std::max<int64_t>(0, p.unitPrice.value() * p.quantity - p.discount.value());
    if (l.earns) {
      kept.push_back(std::move(p));
    }
  }
  Points points = rules::computePoints(kept, contextOf(sale.key, sale.tier), rules);
  if (sale.couponBonus.value() > 0 && sale.total.value() > 0) {
    points = points + Points(mulDiv(sale.couponBonus.value(), netKept, sale.total.value()));
  }
  return points;
}

Coupon released(Coupon c) {
  c.reservedBy.reset();
  c.reservedUntilMs = 0;
  return c;
}

}  // namespace

Result<personalization::HabitProfile> loadHabitProfile(
    StoreWriter& writer, int64_t customerId, const personalization::ProfileParams& params) {
  auto stored = writer.findHabitProfile(customerId);
  if (!stored.ok()) {
    return stored.error();
  }
  if (stored->has_value()) {
    auto profile = personalization::HabitProfile::deserialize(**stored);
    if (profile.ok()) {
      return std::move(profile).value();
    }
  }
  return personalization::HabitProfile(params);
}

std::vector<int64_t> profileBasketOf(const std::vector<SaleLine>& lines) {
  std::vector<int64_t> basket;
  basket.reserve(lines.size());
  for (const SaleLine& line : lines) {
    basket.push_back(itemIdOf(line.sku));
  }
  return basket;  // HabitProfile::update counts repeated ids once
}

CheckoutService::CheckoutService(CheckoutDeps deps) : deps_(deps) {}

Result<IdentifyResult> CheckoutService::identify(const std::string& card) {
  const int64_t now = deps_.clock.nowMs();
  IdentifyResult result;
  auto found = deps_.store.findCustomer(card);
  if (!found.ok()) {
    return found.error();
  }
  if (found->has_value()) {
    result.customer = std::move(**found);
  } else {
    Status s = deps_.store.write([&](StoreWriter& w) -> Status {
      result.enrolled = false;
      auto c = findOrEnroll(w, card, now, &result.enrolled);  // another till may have enrolled it
      if (!c.ok()) {
        return c.error();
      }
      result.customer = std::move(c).value();
      return Status();
    });
    if (!s.ok()) {
      return s.error();
    }
  }
  if (!result.enrolled) {
    auto wallet = deps_.store.couponsOf(result.customer.id);
    if (!wallet.ok()) {
      return wallet.error();
    }
    const std::string today = dateOf(now);
    for (const Coupon& c : *wallet) {
      if (c.state == CouponState::kIssued && c.expires >= today) {
        ++result.walletCoupons;
      }
    }
  }
  return result;
}

Result<PriceResult> CheckoutService::price(const PriceCommand& cmd) {
  const int64_t now = deps_.clock.nowMs();
  const std::shared_ptr<const Programme> programme = deps_.programme.get();
  std::vector<rules::PricedLine> lines = pricedLinesOf(cmd.lines, deps_.catalogue);
  PriceResult r;
  r.subtotal = Money(subtotalOf(lines));

  auto found = deps_.store.findCustomer(cmd.card);
  if (!found.ok()) {
    return found.error();
  }
  Customer customer;
  customer.card = cmd.card;
  if (found->has_value()) {
    customer = **found;
  }

  std::vector<offers::RewardLine> rl = rewardLinesOf(lines);
  std::vector<CouponAttempt> attempts;
  if (!cmd.coupons.empty()) {
    Status s = deps_.store.write([&](StoreWriter& w) -> Status {
      attempts.clear();
      rl = rewardLinesOf(lines);
      std::map<int64_t, int64_t> perCampaign;
      std::set<uint64_t> accepted;
      for (const std::string& code : cmd.coupons) {
        CouponAttempt a =
            evaluateCoupon(w, deps_.checker, code, customer, cmd.key, now, rl, perCampaign);
        if (a.reason.empty() && a.coupon && accepted.count(a.coupon->serial) != 0) {
          a.reason = kReasonAlreadyRedeemed;  // the same coupon twice in one basket
        }
        if (a.reason.empty()) {
          applyAttempt(a, rl, perCampaign);
          accepted.insert(a.coupon->serial);
          Coupon held = *a.coupon;
          held.reservedBy = cmd.key;
          held.reservedUntilMs = now + programme->reservationSeconds * 1000;
          if (Status u = w.updateCoupon(held); !u.ok()) {
            return u;
          }
        }
        attempts.push_back(std::move(a));
      }
      auto mine = w.couponsReservedBy(cmd.key);
      if (!mine.ok()) {
        return mine.error();
      }
      for (const Coupon& c : *mine) {
        if (accepted.count(c.serial) == 0) {
          if (Status u = w.updateCoupon(released(c)); !u.ok()) {
            return u;
          }
        }
      }
      return Status();
    });
    if (!s.ok()) {
      return s.error();
    }
  }

  Points bonus;
  Money couponDiscount;
  for (const CouponAttempt& a : attempts) {
    CouponVerdict v;
    v.code = a.code;
    v.accepted = a.reason.empty();
    v.reason = a.reason;
    if (v.accepted) {
      v.discount = a.outcome.cost;
      v.bonusPoints = a.outcome.bonusPoints;
      v.message = offers::describe(rewardFor(*a.campaign, a.coupon->sku));
      bonus = bonus + a.outcome.bonusPoints;
      couponDiscount = couponDiscount + a.outcome.cost;
      for (const auto& d : a.outcome.discounts) {
        r.discounts.push_back(Discount{d.line, d.amount, a.code, v.message});
      }
    } else {
      v.message = reasonMessage(a.reason);
    }
    r.coupons.push_back(std::move(v));
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    lines[i].discount = rl[i].discounted;
  }
  Money open = r.subtotal - couponDiscount;
  if (cmd.redeemPoints.value() > 0) {
    auto value = tenderValue(programme->tender, cmd.redeemPoints, customer.balance, open);
    if (!value.ok()) {
      return value.error();
    }
    std::vector<int64_t> weights;
    for (const auto& l : lines) {
      weights.push_back(l.unitPrice.value() * l.quantity - l.discount.value());
    }
    const std::vector<int64_t> shares = allocate(value->value(), weights);
    for (size_t i = 0; i < lines.size(); ++i) {
      lines[i].discount = lines[i].discount + Money(shares[i]);
    }
    r.pointsRedeemed = cmd.redeemPoints;
    r.discounts.push_back(Discount{0, *value, "", pointsDescription(cmd.redeemPoints)});
    open = open - *value;
  }
  r.total = open;
  r.pointsPreview =
      rules::computePoints(lines, contextOf(cmd.key, customer.tier), programme->earn) + bonus;
  return r;
}

Result<CommitResult> CheckoutService::commit(const CommitCommand& cmd) {
  // Everything that does not depend on stored state is computed before entering the writer.
  const int64_t now = deps_.clock.nowMs();
  const std::shared_ptr<const Programme> programme = deps_.programme.get();
  const std::shared_ptr<const std::vector<Campaign>> book = deps_.campaigns.all();
  const std::vector<rules::PricedLine> basket = pricedLinesOf(cmd.lines, deps_.catalogue);
  const int64_t subtotal = subtotalOf(basket);

  CommitResult result;
  Status s = deps_.store.write([&](StoreWriter& w) -> Status {
    auto existing = w.findSale(cmd.key);
    if (!existing.ok()) {
      return existing.error();
    }
    if (existing->has_value()) {
      if ((*existing)->fingerprint != cmd.fingerprint) {
        return makeError(ErrorCode::kIdempotencyConflict,
                         "transaction key already used by a different sale");
      }
      auto described = describeCommit(w, std::move(**existing), true);
      if (!described.ok()) {
        return described.error();
      }
      result = std::move(described).value();
      return Status();
    }
    auto refund = w.findRefund(cmd.key);
    if (!refund.ok()) {
      return refund.error();
    }
    if (refund->has_value()) {
      return makeError(ErrorCode::kIdempotencyConflict, "transaction key already used by a refund");
    }
    auto found = findOrEnroll(w, cmd.card, now, nullptr);
    if (!found.ok()) {
      return found.error();
    }
    Customer customer = std::move(found).value();
    if (Status t = refreshTier(w, customer, *programme, now); !t.ok()) {
      return t;
    }

    // Coupons, in the order presented.
    std::vector<rules::PricedLine> lines = basket;
    std::vector<offers::RewardLine> rl = rewardLinesOf(lines);
    std::map<int64_t, int64_t> perCampaign;
    std::set<uint64_t> used;
    std::vector<CouponAttempt> kept;
    for (const std::string& code : cmd.coupons) {
      CouponAttempt a =
          evaluateCoupon(w, deps_.checker, code, customer, cmd.key, now, rl, perCampaign);
      if (a.coupon && used.count(a.coupon->serial) != 0) {
        a.reason = kReasonAlreadyRedeemed;
        a.conflict = kConflictDoubleUse;
      }
      if (!a.reason.empty() && cmd.offlineCoupons && (!a.coupon || !a.campaign)) {
        // The agent checked this code offline, so this cannot normally happen (a coupon the
        // core no longer knows): the sale is kept, nothing can be recorded against the coupon.
        continue;
      }
      if (!a.reason.empty()) {
        if (!cmd.offlineCoupons) {
          return makeError(ErrorCode::kCouponUnavailable,
                           "coupon " + std::to_string(kept.size() + 1) + " (" + a.reason +
                               "): " + reasonMessage(a.reason) + " Price the basket again.");
        }
        if (!a.outcome.applies) {
          a.outcome = offers::RewardOutcome();  // nothing was granted offline either
        }
      }
      used.insert(a.coupon->serial);
      applyAttempt(a, rl, perCampaign);
      kept.push_back(std::move(a));
    }
    int64_t couponDiscount = 0;
    std::vector<int64_t> open;
    for (size_t i = 0; i < lines.size(); ++i) {
      lines[i].discount = rl[i].discounted;
      couponDiscount += rl[i].discounted.value();
      open.push_back(lines[i].unitPrice.value() * lines[i].quantity - rl[i].discounted.value());
    }

    // The points tender, spread over the lines in proportion to what is left to pay on each.
    Money tender;
    std::vector<int64_t> tenderPoints(lines.size(), 0);
    std::vector<int64_t> tenderValues(lines.size(), 0);
    if (cmd.redeemPoints.value() > 0) {
      auto value = tenderValue(programme->tender, cmd.redeemPoints, customer.balance,
                               Money(subtotal - couponDiscount));
      if (!value.ok()) {
        return value.error();
      }
      tender = *value;
      tenderPoints = allocate(cmd.redeemPoints.value(), open);
      tenderValues = allocate(tender.value(), open);
    }

    Sale sale;
    sale.key = cmd.key;
    sale.fingerprint = cmd.fingerprint;
    sale.customerId = customer.id;
    sale.tenders = cmd.tenders;
    sale.createdAtMs = now;
    sale.tier = customer.tier;
    std::vector<rules::PricedLine> earning = lines;
    for (size_t i = 0; i < lines.size(); ++i) {
      earning[i].discount = earning[i].discount + Money(tenderValues[i]);
    }
    const rules::EarnBreakdown earned =
        rules::explain(earning, contextOf(cmd.key, customer.tier), programme->earn);
    for (size_t i = 0; i < lines.size(); ++i) {
      SaleLine l;
      l.line = lines[i].line;
      l.sku = lines[i].sku;
      l.quantity = lines[i].quantity;
      l.unitPrice = lines[i].unitPrice;
      l.earns = !earned.lines[i].excluded;
      l.discount = rl[i].discounted;
      l.pointsTendered = Points(tenderPoints[i]);
      l.pointsTenderValue = Money(tenderValues[i]);
      sale.lines.push_back(std::move(l));
    }
    Points bonus;
    for (const CouponAttempt& a : kept) {
      bonus = bonus + a.outcome.bonusPoints;
    }
    const Points gross = earned.total + bonus;
    const Points offset = std::min(customer.debt, gross);
    sale.discountTotal = Money(couponDiscount) + tender;
    sale.total = Money(subtotal) - sale.discountTotal;
    sale.pointsEarned = gross;
    sale.pointsRedeemed = cmd.redeemPoints;
    sale.couponBonus = bonus;
    sale.balanceAfter = customer.balance - cmd.redeemPoints + gross - offset;
    auto id = w.insertSale(sale);
    if (!id.ok()) {
      return id.error();
    }
    sale.id = *id;

    Points balance = customer.balance;
    LedgerEntry e;
    e.customerId = customer.id;
    e.saleId = sale.id;
    e.createdAtMs = now;
    e.kind = LedgerKind::kRedeem;
    e.points = -cmd.redeemPoints;
    if (Status st = appendChecked(w, e, balance); !st.ok()) {
      return st;
    }
    e.kind = LedgerKind::kEarn;
    e.points = gross;
    if (Status st = appendChecked(w, e, balance); !st.ok()) {
      return st;
    }
    e.kind = LedgerKind::kOffset;
    e.points = -offset;
    e.note = "paid towards points owed after a refund";
    if (Status st = appendChecked(w, e, balance); !st.ok()) {
      return st;
    }
    LOYALTY_CHECK(balance == sale.balanceAfter, "sale balance and ledger disagree");
    if (offset.value() > 0) {
      customer.debt = customer.debt - offset;
      if (Status st = w.updateCustomer(customer); !st.ok()) {
        return st;
      }
    }

    // Redemptions, and the campaigns' counters.
    for (const CouponAttempt& a : kept) {
      Redemption r;
      r.serial = a.coupon->serial;
      r.campaignId = a.campaign->id;
      r.customerId = customer.id;
      r.saleId = sale.id;
      r.discount = a.outcome.cost;
      r.bonusPoints = a.outcome.bonusPoints;
      r.offline = cmd.offlineCoupons;
      r.conflict = a.conflict;
      r.createdAtMs = now;
      if (auto rid = w.insertRedemption(r); !rid.ok()) {
        return rid.error();
      }
      if (a.coupon->state == CouponState::kIssued) {
        Coupon c = released(*a.coupon);
        c.state = CouponState::kRedeemed;
        c.redeemedBySaleId = sale.id;
        if (Status u = w.updateCoupon(c); !u.ok()) {
          return u;
        }
      }
      auto campaign = w.findCampaign(a.campaign->id);
      if (!campaign.ok()) {
        return campaign.error();
      }
      if (campaign->has_value()) {
        Campaign c = **campaign;
        ++c.redeemedCount;
        c.redeemedCost = c.redeemedCost + a.outcome.cost;
        if (Status u = w.updateCampaign(c); !u.ok()) {
          return u;
        }
      }
    }

    // The habit profile moves with the sale; personalized coupons are chosen from it.
    auto profile = loadHabitProfile(w, customer.id, profileParams_);
    if (!profile.ok()) {
      return profile.error();
    }
    profile->update(profileBasketOf(sale.lines));
    if (Status saved = w.saveHabitProfile(customer.id, profile->serialize(), now); !saved.ok()) {
      return saved;
    }

    // Checkout-trigger coupons printed on this receipt.
    if (deps_.issuer != nullptr) {
      for (const Campaign& listed : *book) {
        if (listed.issuance != IssuanceKind::kCheckoutTrigger ||
            !campaignLive(listed, cmd.key.businessDate, cmd.key.store, customer.tier) ||
            !triggerMatches(listed.trigger, rl)) {
          continue;
        }
        auto fresh = w.findCampaign(listed.id);
        if (!fresh.ok()) {
          return fresh.error();
        }
        if (!fresh->has_value()) {
          continue;
        }
        Campaign c = **fresh;
        if (!campaignLive(c, cmd.key.businessDate, cmd.key.store, customer.tier) ||
            (c.budgetCount > 0 && c.issuedCount >= c.budgetCount)) {
          continue;
        }
        if (c.capPerPeriod > 0) {
          auto issued = w.countIssued(customer.id, c.id, now - daysToMs(c.capPeriodDays));
          if (!issued.ok()) {
            return issued.error();
          }
          if (*issued >= c.capPerPeriod) {
            continue;
          }
        }
        Coupon coupon;
        coupon.campaignId = c.id;
        coupon.customerId = customer.id;
        coupon.expires = couponExpiry(c, cmd.key.businessDate);
        coupon.issuedAtMs = now;
        coupon.issuedBySaleId = sale.id;
        if (auto issued = issueCoupon(w, *deps_.issuer, coupon, customer.card); !issued.ok()) {
          return issued.error();
        }
        ++c.issuedCount;
        if (Status u = w.updateCampaign(c); !u.ok()) {
          return u;
        }
      }
    }

    if (Status p = issuePersonalized(w, *book, customer, sale, *profile, rl, now); !p.ok()) {
      return p;
    }
    auto described = describeCommit(w, std::move(sale), false);
    if (!described.ok()) {
      return described.error();
    }
    result = std::move(described).value();
    result.offset = offset;
    return Status();
  });
  if (!s.ok()) {
    return s.error();
  }
  return result;
}

Status CheckoutService::issuePersonalized(StoreWriter& w, const std::vector<Campaign>& book,
                                          const Customer& customer, const Sale& sale,
                                          const personalization::HabitProfile& profile,
                                          const std::vector<offers::RewardLine>& basket,
                                          int64_t nowMs) {
  const TxnKey& key = sale.key;
  std::shared_ptr<const personalization::NeighbourSnapshot> neighbours;
  for (const Campaign& listed : book) {
    if (listed.issuance != IssuanceKind::kPersonalized ||
        !campaignLive(listed, key.businessDate, key.store, customer.tier)) {
      continue;
    }
    auto fresh = w.findCampaign(listed.id);
    if (!fresh.ok()) {
      return fresh.error();
    }
    if (!fresh->has_value()) {
      continue;
    }
    Campaign c = **fresh;
    if (!campaignLive(c, key.businessDate, key.store, customer.tier)) {
      continue;
    }
    const bool control = inControlGroup(c, customer.id);
    int64_t room = c.personalizedCount;
    if (!control && c.budgetCount > 0) {
      room = std::min(room, c.budgetCount - c.issuedCount);
    }
    if (c.capPerPeriod > 0) {
      auto issued = w.countIssued(customer.id, c.id, nowMs - daysToMs(c.capPeriodDays));
      if (!issued.ok()) {
        return issued.error();
      }
      room = std::min(room, c.capPerPeriod - *issued);
    }
    if (room <= 0 || (!control && deps_.issuer == nullptr)) {
      continue;
    }

    if (!neighbours) {
      neighbours = deps_.neighbours != nullptr ? deps_.neighbours->current()
                                               : std::make_shared<personalization::NeighbourSnapshot>();
    }
    auto own = neighbours->vectors.find(customer.id);
    static const personalization::SparseVector kNone;
    const personalization::SparseVector& neighbourVector =
        own != neighbours->vectors.end() ? own->second : kNone;
    std::vector<int64_t> basketItems;
    for (const auto& line : basket) {
      basketItems.push_back(itemIdOf(line.sku));
    }
    personalization::ChoiceParams params;
    params.count = static_cast<size_t>(room);
    params.discoverPercent = c.discoverPercent;
    params.allowBasketItems = c.allowBasketItems;
    const auto eligible = [&](int64_t itemId) {
      const std::optional<std::string> sku = deps_.catalogue.skuOfItem(itemId);
      if (!sku) {
        return false;
      }
      if (c.reward.target != offers::TargetKind::kCategory) {
        return true;
      }
      const std::optional<std::string> category = deps_.catalogue.categoryOf(*sku);
      return category && offers::categoryMatches(*category, c.reward.value);
    };
    const std::vector<personalization::CouponChoice> chosen = personalization::chooseCoupons(
        profile, neighbourVector, scorer_, params, basketItems, eligible, neighbours->popular);

    for (const auto& choice : chosen) {
      Coupon coupon;
      coupon.campaignId = c.id;
      coupon.customerId = customer.id;
      coupon.sku = deps_.catalogue.skuOfItem(choice.itemId).value_or("");
      coupon.expires = couponExpiry(c, key.businessDate);
      coupon.issuedAtMs = nowMs;
      coupon.issuedBySaleId = sale.id;
      if (control) {
        // Recorded for the uplift measure; nothing is signed or printed.
        coupon.state = CouponState::kControl;
        if (auto serial = w.insertCoupon(coupon); !serial.ok()) {
          return serial.error();
        }
        continue;
      }
      if (auto issued = issueCoupon(w, *deps_.issuer, coupon, customer.card); !issued.ok()) {
        return issued.error();
      }
      ++c.issuedCount;
    }
    if (!control && !chosen.empty()) {
      if (Status u = w.updateCampaign(c); !u.ok()) {
        return u;
      }
    }
  }
  return Status();
}

Result<CommitResult> CheckoutService::describeCommit(StoreWriter& w, Sale sale, bool replayed) {
  CommitResult r;
  r.replayed = replayed;
  auto redemptions = w.redemptionsOfSale(sale.id);
  if (!redemptions.ok()) {
    return redemptions.error();
  }
  for (const Redemption& red : *redemptions) {
    if (red.discount.value() <= 0) {
      continue;
    }
    auto coupon = w.findCoupon(red.serial);
    auto campaign = w.findCampaign(red.campaignId);
    if (!coupon.ok() || !campaign.ok()) {
      return makeError(ErrorCode::kStorageFailure, "redemption without its coupon or campaign");
    }
    Discount d;
    d.amount = red.discount;
    d.coupon = coupon->has_value() ? (*coupon)->code : "";
    d.description = campaign->has_value() && coupon->has_value()
                        ? offers::describe(rewardFor(**campaign, (*coupon)->sku))
                        : "";
    r.discounts.push_back(std::move(d));
  }
  if (sale.pointsRedeemed.value() > 0) {
    int64_t value = 0;
    for (const SaleLine& l : sale.lines) {
      value += l.pointsTenderValue.value();
    }
    r.discounts.push_back(Discount{0, Money(value), "", pointsDescription(sale.pointsRedeemed)});
  }
  auto printed = w.couponsIssuedBySale(sale.id);
  if (!printed.ok()) {
    return printed.error();
  }
  for (const Coupon& c : *printed) {
    if (c.state == CouponState::kControl) {
      continue;  // held out: recorded, never printed
    }
    auto campaign = w.findCampaign(c.campaignId);
    if (!campaign.ok()) {
      return campaign.error();
    }
    PrintCoupon p;
    p.code = c.code;
    p.expires = c.expires;
    p.description = campaign->has_value() ? offers::describe(rewardFor(**campaign, c.sku)) : "";
    r.printed.push_back(std::move(p));
  }
  if (replayed) {
    // The offset is not stored on the sale; its ledger entry is.
    auto ledger = w.ledgerOf(sale.customerId);
    if (!ledger.ok()) {
      return ledger.error();
    }
    for (const LedgerEntry& e : *ledger) {
      if (e.kind == LedgerKind::kOffset && e.saleId && *e.saleId == sale.id) {
        r.offset = -e.points;
      }
    }
  }
  r.sale = std::move(sale);
  return r;
}

Result<RefundResult> CheckoutService::refund(const RefundCommand& cmd) {
  const int64_t now = deps_.clock.nowMs();
  const std::shared_ptr<const Programme> programme = deps_.programme.get();
  RefundResult result;
  result.policy = programme->clawback;
  Status s = deps_.store.write([&](StoreWriter& w) -> Status {
    auto existing = w.findRefund(cmd.key);
    if (!existing.ok()) {
      return existing.error();
    }
    if (existing->has_value()) {
      if ((*existing)->fingerprint != cmd.fingerprint) {
        return makeError(ErrorCode::kIdempotencyConflict,
                         "transaction key already used by a different refund");
      }
      result.refund = std::move(**existing);
      result.replayed = true;
      return Status();
    }
    auto clash = w.findSale(cmd.key);
    if (!clash.ok()) {
      return clash.error();
    }
    if (clash->has_value()) {
      return makeError(ErrorCode::kIdempotencyConflict, "transaction key already used by a sale");
    }
    auto original = w.findSale(cmd.original);
    if (!original.ok()) {
      return original.error();
    }
    if (!original->has_value()) {
      return makeError(ErrorCode::kUnknownSale, "no sale with the original transaction key");
    }
    const Sale& sale = **original;

    std::unordered_map<int64_t, size_t> byLine;
    for (size_t i = 0; i < sale.lines.size(); ++i) {
      byLine.emplace(sale.lines[i].line, i);
    }
    std::vector<int64_t> before(sale.lines.size());
    for (size_t i = 0; i < sale.lines.size(); ++i) {
      before[i] = sale.lines[i].refundedQuantity;
    }
    std::vector<int64_t> after = before;
    std::unordered_set<int64_t> seen;
    for (const auto& r : cmd.lines) {
      if (!seen.insert(r.line).second) {
        return makeError(ErrorCode::kDuplicateLine,
                         "line " + std::to_string(r.line) + " appears twice in the refund");
      }
      auto it = byLine.find(r.line);
      if (it == byLine.end()) {
        return makeError(ErrorCode::kUnknownLine,
                         "the sale has no line " + std::to_string(r.line));
      }
      const SaleLine& l = sale.lines[it->second];
      if (r.quantity <= 0 || r.quantity > l.quantity - l.refundedQuantity) {
        return makeError(ErrorCode::kRefundExceedsSale,
                         "line " + std::to_string(r.line) + ": returning " +
                             std::to_string(r.quantity) + " of " +
                             std::to_string(l.quantity - l.refundedQuantity) + " not yet returned");
      }
      after[it->second] += r.quantity;
    }

    // Money back: the units' price less the share of the coupon discounts and of the points
    // tender they carried; the points tender's share goes back as points.
    int64_t amount = 0;
    int64_t pointsReturned = 0;
    bool wholeSale = true;
    for (size_t i = 0; i < sale.lines.size(); ++i) {
      const SaleLine& l = sale.lines[i];
      const int64_t units = after[i] - before[i];
      const int64_t discountShare = shareOf(l.discount.value(), after[i], l.quantity) -
                                    shareOf(l.discount.value(), before[i], l.quantity);
      const int64_t tenderShare = shareOf(l.pointsTenderValue.value(), after[i], l.quantity) -
                                  shareOf(l.pointsTenderValue.value(), before[i], l.quantity);
      amount += l.unitPrice.value() * units - discountShare - tenderShare;
      pointsReturned += shareOf(l.pointsTendered.value(), after[i], l.quantity) -
                        shareOf(l.pointsTendered.value(), before[i], l.quantity);
      wholeSale = wholeSale && after[i] == l.quantity;
    }
    const Points earnedBefore = keptPoints(sale, before, deps_.catalogue, programme->earn);
    const Points earnedAfter = keptPoints(sale, after, deps_.catalogue, programme->earn);
    Points reversed = earnedBefore > earnedAfter ? earnedBefore - earnedAfter : Points(0);
    reversed = std::min(reversed, sale.pointsEarned);

    auto customer = w.findCustomerById(sale.customerId);
    if (!customer.ok()) {
      return customer.error();
    }
    LOYALTY_CHECK(customer->has_value(), "sale without customer");
    Customer& c = **customer;
    Points balance = c.balance;
    const Points available = balance + Points(pointsReturned);
    Points clawed = reversed;
    Points debt;
    if (reversed > available && programme->clawback == ClawbackPolicy::kOffset) {
      clawed = std::max(available, Points(0));
      debt = reversed - clawed;
    }

    // Coupons of a wholly refunded sale go back to the wallet while still valid.
    std::vector<std::pair<Redemption, Coupon>> returning;
    if (wholeSale) {
      auto redemptions = w.redemptionsOfSale(sale.id);
      if (!redemptions.ok()) {
        return redemptions.error();
      }
      const std::string today = dateOf(now);
      for (const Redemption& red : *redemptions) {
        if (!red.conflict.empty() || red.returnedByRefundId) {
          continue;
        }
        auto coupon = w.findCoupon(red.serial);
        auto campaign = w.findCampaign(red.campaignId);
        if (!coupon.ok() || !campaign.ok()) {
          return makeError(ErrorCode::kStorageFailure, "redemption without coupon or campaign");
        }
        if (coupon->has_value() && campaign->has_value() &&
            (*coupon)->state == CouponState::kRedeemed && (*coupon)->redeemedBySaleId &&
            *(*coupon)->redeemedBySaleId == sale.id && (*coupon)->expires >= today &&
            (*campaign)->status == CampaignStatus::kActive) {
          returning.emplace_back(red, **coupon);
        }
      }
    }

    Refund& refund = result.refund;
    refund.key = cmd.key;
    refund.fingerprint = cmd.fingerprint;
    refund.saleId = sale.id;
    refund.customerId = sale.customerId;
    refund.lines = cmd.lines;
    refund.amount = Money(amount);
    refund.pointsReversed = reversed;
    refund.pointsReturned = Points(pointsReturned);
    refund.debtAdded = debt;
    refund.balanceAfter = available - clawed;
    refund.createdAtMs = now;
    refund.couponsReturned = static_cast<int64_t>(returning.size());
    auto id = w.insertRefund(refund);
    if (!id.ok()) {
      return id.error();
    }
    refund.id = *id;

    LedgerEntry e;
    e.customerId = sale.customerId;
    e.kind = LedgerKind::kRefund;
    e.saleId = sale.id;
    e.refundId = *id;
    e.createdAtMs = now;
    e.points = Points(pointsReturned);
    e.note = "points tender returned";
    if (Status st = appendChecked(w, e, balance); !st.ok()) {
      return st;
    }
    e.points = -clawed;
    e.note = debt.value() > 0 ? "points earned taken back; the rest is owed" : "";
    if (Status st = appendChecked(w, e, balance); !st.ok()) {
      return st;
    }
    LOYALTY_CHECK(balance == refund.balanceAfter, "ledger and refund balance disagree");
    if (debt.value() > 0) {
      c.debt = c.debt + debt;
      if (Status st = w.updateCustomer(c); !st.ok()) {
        return st;
      }
    }
    for (auto& [red, coupon] : returning) {
      coupon.state = CouponState::kIssued;
      coupon.redeemedBySaleId.reset();
      if (Status st = w.updateCoupon(coupon); !st.ok()) {
        return st;
      }
      if (Status st = w.markRedemptionReturned(red.id, refund.id); !st.ok()) {
        return st;
      }
      auto campaign = w.findCampaign(red.campaignId);
      if (!campaign.ok()) {
        return campaign.error();
      }
      if (campaign->has_value()) {
        Campaign cam = **campaign;
        cam.redeemedCount = std::max<int64_t>(0, cam.redeemedCount - 1);
        cam.redeemedCost = cam.redeemedCost - red.discount;
        if (Status st = w.updateCampaign(cam); !st.ok()) {
          return st;
        }
      }
    }
    result.replayed = false;
    return Status();
  });
  if (!s.ok()) {
    return s.error();
  }
  return result;
}

Result<int64_t> CheckoutService::voidTransaction(const TxnKey& key) {
  int64_t count = 0;
  Status s = deps_.store.write([&](StoreWriter& w) -> Status {
    count = 0;
    auto held = w.couponsReservedBy(key);
    if (!held.ok()) {
      return held.error();
    }
    for (const Coupon& c : *held) {
      if (Status u = w.updateCoupon(released(c)); !u.ok()) {
        return u;
      }
      ++count;
    }
    return Status();
  });
  if (!s.ok()) {
    return s.error();
  }
  return count;
}

std::vector<Campaign> CheckoutService::activeCampaigns() const {
  std::vector<Campaign> out;
  for (const Campaign& c : *deps_.campaigns.all()) {
    // Personalized coupons aim at a product chosen per shopper, which their code does not
    // carry: an offline agent cannot apply them, so they are not offered to agents.
    if (c.status == CampaignStatus::kActive && c.issuance != IssuanceKind::kPersonalized) {
      out.push_back(c);
    }
  }
  return out;
}

Result<CustomerRecord> CheckoutService::history(const std::string& card, size_t maxSales) {
  auto found = deps_.store.findCustomer(card);
  if (!found.ok()) {
    return found.error();
  }
  if (!found->has_value()) {
    return makeError(ErrorCode::kUnknownCustomer, "no customer with this card");
  }
  CustomerRecord record;
  record.customer = std::move(**found);
  auto sales = deps_.store.salesOf(record.customer.id, maxSales);
  if (!sales.ok()) {
    return sales.error();
  }
  record.sales = std::move(sales).value();
  auto ledger = deps_.store.ledgerOf(record.customer.id);
  if (!ledger.ok()) {
    return ledger.error();
  }
  record.ledger = std::move(ledger).value();
  return record;
}

Result<size_t> CheckoutService::importCatalogue(std::string_view csv) {
  auto products = parseCatalogueCsv(csv);
  if (!products.ok()) {
    return products.error();
  }
  Status s = deps_.store.write([&](StoreWriter& w) -> Status {
    for (const auto& p : *products) {
      Status u = w.upsertProduct(p);
      if (!u.ok()) {
        return u;
      }
    }
    return Status();
  });
  if (!s.ok()) {
    return s.error();
  }
  deps_.catalogue.upsert(*products);
  return products->size();
}

Result<HistoryImportResult> CheckoutService::importHistory(const HistoryBatch& batch,
                                                           const CardOfCustomerNumber& cardOf) {
  const int64_t now = deps_.clock.nowMs();
  std::vector<std::string> cards;  // per basket; computed outside the write
  cards.reserve(batch.baskets.size());
  for (size_t i = 0; i < batch.baskets.size(); ++i) {
    const int64_t number = batch.baskets[i].customerNumber;
    const bool sameCustomer = i > 0 && batch.baskets[i - 1].customerNumber == number;
    cards.push_back(sameCustomer ? cards.back() : cardOf(number));
  }
  HistoryImportResult result;
  Status s = deps_.store.write([&](StoreWriter& w) -> Status {
    result = HistoryImportResult();
    size_t next = 0;
    while (next < batch.baskets.size()) {
      // One customer's baskets: [next, end).
      size_t end = next + 1;
      while (end < batch.baskets.size() &&
             batch.baskets[end].customerNumber == batch.baskets[next].customerNumber) {
        ++end;
      }
      auto customer = findOrEnroll(w, cards[next], now, nullptr);
      if (!customer.ok()) {
        return customer.error();
      }
      std::optional<personalization::HabitProfile> profile;  // loaded at the first new basket
      for (size_t i = next; i < end; ++i) {
        const HistoryBasket& basket = batch.baskets[i];
        auto existing = w.findSale(basket.key);
        if (!existing.ok()) {
          return existing.error();
        }
        if (existing->has_value()) {
          ++result.skippedExisting;
          continue;
        }
        auto refund = w.findRefund(basket.key);
        if (!refund.ok()) {
          return refund.error();
        }
        if (refund->has_value()) {
          return makeError(ErrorCode::kIdempotencyConflict,
                           "transaction key of an imported basket already used by a refund");
        }
        Sale sale;
        sale.key = basket.key;
        sale.fingerprint = basket.fingerprint;
        sale.customerId = customer->id;
        int64_t total = 0;
        sale.lines.reserve(basket.lines.size());
        for (size_t l = 0; l < basket.lines.size(); ++l) {
          SaleLine line;
          line.line = static_cast<int64_t>(l) + 1;
          line.sku = basket.lines[l].sku;
          line.quantity = basket.lines[l].quantity;
          line.unitPrice = basket.lines[l].unitPrice;
          line.earns = false;  // history predates the programme: it earns nothing
          total += line.amount().value();
          sale.lines.push_back(std::move(line));
        }
        sale.total = Money(total);
        sale.pointsEarned = Points(0);
        sale.balanceAfter = customer->balance;
        sale.createdAtMs = now;
        auto id = w.insertSale(sale);
        if (!id.ok()) {
          return id.error();
        }
        if (!profile) {
          auto loaded = loadHabitProfile(w, customer->id, profileParams_);
          if (!loaded.ok()) {
            return loaded.error();
          }
          profile = std::move(loaded).value();
        }
        profile->update(profileBasketOf(sale.lines));
        ++result.importedBaskets;
      }
      if (profile) {
        if (Status saved = w.saveHabitProfile(customer->id, profile->serialize(), now);
            !saved.ok()) {
          return saved;
        }
      }
      next = end;
    }
    return Status();
  });
  if (!s.ok()) {
    return s.error();
  }
  return result;
}

Result<std::optional<personalization::HabitProfile>> CheckoutService::habitProfile(
    const std::string& card) {
  auto found = deps_.store.findCustomer(card);
  if (!found.ok()) {
    return found.error();
  }
  if (!found->has_value()) {
    return makeError(ErrorCode::kUnknownCustomer, "no customer with this card");
  }
  auto bytes = deps_.store.habitProfile((*found)->id);
  if (!bytes.ok()) {
    return bytes.error();
  }
  if (!bytes->has_value()) {
    return std::optional<personalization::HabitProfile>();
  }
  auto profile = personalization::HabitProfile::deserialize(**bytes);
  if (!profile.ok()) {
    return makeError(ErrorCode::kStorageFailure,
                     "stored habit profile: " + profile.error().message);
  }
  return std::optional<personalization::HabitProfile>(std::move(profile).value());
}

Status CheckoutService::loadCatalogue() {
  auto products = deps_.store.products();
  if (!products.ok()) {
    return products.error();
  }
  deps_.catalogue.upsert(*products);
  return Status();
}

}  // namespace loyalty::core::domain

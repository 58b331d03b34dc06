#include "domain/offers/preview.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "domain/offers/campaigns.h"
#include "domain/offers/coupon_flow.h"
#include "domain/rules/earn_engine.h"

namespace loyalty::core::domain {
namespace {

using base::ErrorCode;
using base::makeError;

constexpr size_t kPage = 500;

// The sale's basket as price and commit see it, with the discounts it was sold with.
std::vector<rules::PricedLine> pricedLinesOf(const Sale& sale, const Catalogue& catalogue) {
  std::vector<rules::PricedLine> lines;
  lines.reserve(sale.lines.size());
  for (const SaleLine& l : sale.lines) {
    rules::PricedLine p;
    p.line = l.line;
    p.sku = l.sku;
    p.quantity = l.quantity;
    p.unitPrice = l.unitPrice;
    p.discount = l.discount;
    lines.push_back(std::move(p));
  }
  catalogue.annotate(lines);
  return lines;
}

// Calls visit(sale) for every sale of the last `days` days, oldest first.
template <typename Visit>
base::Status forEachSale(LoyaltyStore& store, int64_t days, int64_t nowMs, Visit visit) {
  if (days < 1 || days > kMaxPreviewDays) {
    return makeError(ErrorCode::kValueOutOfRange, "days: must be 1..3660");
  }
  const int64_t since = nowMs - daysToMs(days);
  int64_t after = 0;
  for (;;) {
    auto page = store.salesSince(since, after, kPage);
    if (!page.ok()) {
      return page.error();
    }
    for (const Sale& sale : *page) {
      visit(sale);
    }
    if (page->size() < kPage) {
      return base::Status();
    }
    after = page->back().id;
  }
}

rules::EarnContext contextOf(const Sale& sale) {
  rules::EarnContext c;
  c.store = sale.key.store;
  c.tier = sale.tier;
  c.date = sale.key.businessDate;
  return c;
}

}  // namespace

Result<PreviewReport> previewCampaign(LoyaltyStore& store, const Catalogue& catalogue,
                                      const Campaign& draft, int64_t days, int64_t nowMs) {
  if (base::Status s = validateCampaign(draft); !s.ok()) {
    return s.error();
  }
  Campaign c = draft;
  c.status = CampaignStatus::kActive;  // what it would do once switched on
  PreviewReport report;
  report.days = days;
  std::set<int64_t> shoppers;
  std::map<int64_t, std::vector<int64_t>> issuedAt;  // customer -> times a coupon printed
  int64_t issued = 0;
  base::Status s = forEachSale(store, days, nowMs, [&](const Sale& sale) {
    ++report.salesScanned;
    if (!campaignLive(c, sale.key.businessDate, sale.key.store, sale.tier)) {
      return;
    }
    const std::vector<offers::RewardLine> lines = rewardLinesOf(pricedLinesOf(sale, catalogue));
    const offers::RewardOutcome outcome = offers::applyReward(c.reward, lines);
    if (c.issuance != IssuanceKind::kManual) {
      const bool personalized = c.issuance == IssuanceKind::kPersonalized;
      if (!personalized && !triggerMatches(c.trigger, lines)) {
        return;
      }
      if (personalized && inControlGroup(c, sale.customerId)) {
        return;  // held out: nothing printed
      }
      std::vector<int64_t>& times = issuedAt[sale.customerId];
      int64_t room = personalized ? c.personalizedCount : 1;
      if (c.budgetCount > 0) {
        room = std::min(room, c.budgetCount - issued);
      }
      if (c.capPerPeriod > 0) {
        const int64_t since = sale.createdAtMs - daysToMs(c.capPeriodDays);
        int64_t recent = 0;
        for (int64_t t : times) {
          recent += t >= since ? 1 : 0;
        }
        room = std::min(room, c.capPerPeriod - recent);
      }
      if (room <= 0) {
        return;
      }
      for (int64_t i = 0; i < room; ++i) {
        times.push_back(sale.createdAtMs);
      }
      issued += room;
      report.couponsIssued += room;
      if (personalized) {
        // The products are chosen per shopper at the till: no face cost to count here.
        ++report.salesTouched;
        shoppers.insert(sale.customerId);
        return;
      }
    } else if (!outcome.applies) {
      return;
    }
    ++report.salesTouched;
    shoppers.insert(sale.customerId);
    report.discountCost = report.discountCost + outcome.cost;
    report.pointsCost = report.pointsCost + outcome.bonusPoints;
  });
  if (!s.ok()) {
    return s.error();
  }
  report.shoppersTouched = static_cast<int64_t>(shoppers.size());
  return report;
}

Result<PreviewReport> previewProgramme(LoyaltyStore& store, const Catalogue& catalogue,
                                       const Programme& current, const Programme& draft,
                                       int64_t days, int64_t nowMs) {
  if (base::Status s = validate(draft); !s.ok()) {
    return s.error();
  }
  PreviewReport report;
  report.days = days;
  std::set<int64_t> shoppers;
  base::Status s = forEachSale(store, days, nowMs, [&](const Sale& sale) {
    ++report.salesScanned;
    std::vector<rules::PricedLine> lines = pricedLinesOf(sale, catalogue);
    for (size_t i = 0; i < lines.size(); ++i) {
      lines[i].discount = lines[i].discount + sale.lines[i].pointsTenderValue;
    }
    const base::Points now = rules::computePoints(lines, contextOf(sale), current.earn);
    const base::Points then = rules::computePoints(lines, contextOf(sale), draft.earn);
    if (now != then) {
      ++report.salesTouched;
      shoppers.insert(sale.customerId);
      report.pointsCost = report.pointsCost + (then - now);
    }
  });
  if (!s.ok()) {
    return s.error();
  }
  report.shoppersTouched = static_cast<int64_t>(shoppers.size());
  return report;
}

}  // namespace loyalty::core::domain

#include "domain/offers/expiry.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <string>

#include "domain/offers/coupon_flow.h"

namespace loyalty::core::domain {

base::Points expiringPoints(const std::vector<LedgerEntry>& ledger, int64_t cutoffMs) {
  struct Lot {
    int64_t createdAtMs;
    int64_t points;
  };
  std::deque<Lot> lots;  // oldest first
  int64_t owed = 0;      // negatives not yet covered by a lot (negative balance)
  for (const LedgerEntry& e : ledger) {
    int64_t p = e.points.value();
    if (p > 0) {
      const int64_t repay = std::min(owed, p);  // a lot first pays what is owed
      owed -= repay;
      p -= repay;
      if (p > 0) {
        lots.push_back(Lot{e.createdAtMs, p});
      }
      continue;
    }
    int64_t take = -p;
    while (take > 0 && !lots.empty()) {
      const int64_t used = std::min(take, lots.front().points);
      lots.front().points -= used;
      take -= used;
      if (lots.front().points == 0) {
        lots.pop_front();
      }
    }
    owed += take;
  }
  int64_t expiring = 0;
  for (const Lot& lot : lots) {
    if (lot.createdAtMs < cutoffMs) {
      expiring += lot.points;
    }
  }
  return base::Points(expiring);
}

int64_t expiryCutoffMs(int64_t nowMs, int64_t expiryMonths) {
  const std::string today = dateOf(nowMs);
  int64_t y = std::stoll(today.substr(0, 4));
  int64_t m = std::stoll(today.substr(5, 2)) - expiryMonths;
  int64_t d = std::stoll(today.substr(8, 2));
  while (m < 1) {
    m += 12;
    --y;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int64_t monthDays = (m == 2 && leap) ? 29 : kDays[m - 1];
  if (d > monthDays) {
    d = monthDays;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  // The same time of day, the whole number of days back that reaches the target date.
  const std::string target(buf);
  int64_t lo = -3'720;  // 120 months are at most 3,653 days
  int64_t hi = 0;
  while (lo < hi) {  // the smallest offset whose date is >= target
    const int64_t mid = lo + (hi - lo) / 2;
    if (addDays(today, mid) >= target) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return nowMs + daysToMs(lo);
}

Result<ExpiryReport> expirePoints(LoyaltyStore& store, const Programme& programme, int64_t nowMs,
                                  const std::function<void(int64_t)>& progress) {
  ExpiryReport report;
  if (programme.expiryMonths <= 0) {
    return report;
  }
  report.cutoffMs = expiryCutoffMs(nowMs, programme.expiryMonths);
  const std::string note = "expiry of points earned before " + dateOf(report.cutoffMs);
  constexpr size_t kPage = 500;
  int64_t after = 0;
  for (;;) {
    std::vector<int64_t> ids;
    base::Status page = store.write([&](StoreWriter& w) -> base::Status {
      auto found = w.customersWithPositiveBalance(after, kPage);
      if (!found.ok()) {
        return found.error();
      }
      ids = std::move(found).value();
      return base::Status();
    });
    if (!page.ok()) {
      return page.error();
    }
    if (ids.empty()) {
      break;
    }
    for (int64_t id : ids) {
      base::Points expired;
      base::Status s = store.write([&](StoreWriter& w) -> base::Status {
        expired = base::Points(0);
        auto ledger = w.ledgerOf(id);
        if (!ledger.ok()) {
          return ledger.error();
        }
        expired = expiringPoints(*ledger, report.cutoffMs);
        if (expired.value() <= 0) {
          return base::Status();
        }
        LedgerEntry e;
        e.customerId = id;
        e.kind = LedgerKind::kExpiry;
        e.points = -expired;
        e.createdAtMs = nowMs;
        e.note = note;
        auto balance = w.appendLedger(e);
        return balance.ok() ? base::Status() : base::Status(balance.error());
      });
      if (!s.ok()) {
        return s.error();
      }
      ++report.customersScanned;
      if (expired.value() > 0) {
        ++report.customersExpired;
        report.pointsExpired = report.pointsExpired + expired;
      }
      if (progress && report.customersScanned % 1000 == 0) {
        progress(report.customersScanned);
      }
    }
    after = ids.back();
  }
  return report;
}

}  // namespace loyalty::core::domain

// Points expiry: points expire expiryMonths after the earn that gave them (programme.h).
//
// Lots: every positive ledger entry (earn, refund of a points tender) is a lot dated at its
// entry; every negative entry (redeem, refund clawback, offset, expiry) consumes the oldest lots
// first. A run appends, for each customer whose lots from before the cutoff (now minus
// expiryMonths, by calendar month) still hold points, one "expiry" ledger entry taking exactly
// those points, with a note naming the cutoff. Running it twice changes nothing the second time.
//
// Thread safety: re-entrant; each customer is expired in its own store write, so sales keep
// flowing during a run.
#pragma once

#include <cstdint>
#include <functional>

#include "domain/model.h"
#include "domain/offers/programme.h"
#include "domain/store.h"
#include "loyalty/base/result.h"

namespace loyalty::core::domain {

struct ExpiryReport {
  int64_t customersScanned = 0;
  int64_t customersExpired = 0;
  base::Points pointsExpired;
  int64_t cutoffMs = 0;
};

// The points of `ledger` (oldest first) that are still held in lots created before cutoffMs.
base::Points expiringPoints(const std::vector<LedgerEntry>& ledger, int64_t cutoffMs);

// The cutoff of a run at nowMs: the same instant expiryMonths calendar months earlier (UTC).
int64_t expiryCutoffMs(int64_t nowMs, int64_t expiryMonths);

// Runs expiry over every customer with a positive balance; progress(customersScanned) is called
// every 1,000 customers. Does nothing (an empty report) when programme.expiryMonths is 0.
Result<ExpiryReport> expirePoints(LoyaltyStore& store, const Programme& programme, int64_t nowMs,
                                  const std::function<void(int64_t)>& progress = {});

}  // namespace loyalty::core::domain

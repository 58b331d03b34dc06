// OffersCache: the coupon campaigns (GET /v1/offers of the loyalty-core) an offline pos-agent uses
// to compute coupon discounts by itself (docs/operations.md, "Offline coupons").
//
// The last good list is kept in memory and in the agent's database (Outbox::saveOffers), so that
// an agent restarted while the core is unreachable still has it. update() takes the core's answer
// body: only a body that decodes as an OfferList replaces the current list (a bad answer keeps
// the last good one); an unchanged body is not written again.
//
// Invariants: current() is never null; it is the list of the last successful load() or update().
//
// Thread safety: all methods may be called from any number of threads; current() returns an
// immutable snapshot. Lifetime: the Outbox must outlive the cache.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "loyalty/base/result.h"
#include "outbox/outbox.h"
#include "server/offline_coupons.h"

namespace loyalty::agent {

class OffersCache {
 public:
  explicit OffersCache(Outbox& store);
  OffersCache(const OffersCache&) = delete;
  OffersCache& operator=(const OffersCache&) = delete;

  // Loads the list stored by an earlier run (none stored: an empty list).
  // Errors: kStorageFailure; kInternal when the stored body no longer decodes (the list stays
  // empty).
  base::Status load();

  // Replaces the list with the decoded `body` and stores it.
  // Errors: the codec's error when body is not an OfferList (nothing changes); kStorageFailure
  // when it cannot be stored (the new list is used in memory all the same).
  base::Status update(const std::string& body);

  std::shared_ptr<const OfferMap> current() const;
  size_t size() const { return current()->size(); }

 private:
  Outbox& store_;
  mutable std::mutex mutex_;
  std::shared_ptr<const OfferMap> offers_;  // guarded by mutex_
  std::string body_;  // guarded by mutex_: the stored body offers_ came from (empty: none)
};

}  // namespace loyalty::agent

// FaultyStore: a LoyaltyStore decorator that fails on demand (the leveldb ErrorEnv idea).
// failWrites: every write() fails with kStorageFailure before running its fn.
// failAfterFn: write() runs fn against the real store's writer but then reports a failure and
// discards it (as when the COMMIT or its fsync fails).
// failReads: findCustomer fails with kStorageFailure; every other read is forwarded unchanged.
//
// Thread safety: as the wrapped store (the flags are atomics). The wrapped store must outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "domain/store.h"

namespace loyalty::testing {

class FaultyStore final : public core::domain::LoyaltyStore {
 public:
  explicit FaultyStore(core::domain::LoyaltyStore& inner) : inner_(inner) {}

  std::atomic<bool> failWrites{false};
  std::atomic<bool> failAfterFn{false};
  std::atomic<bool> failReads{false};

  base::Status write(const WriteFn& fn) override {
    if (failWrites) {
      return base::makeError(base::ErrorCode::kStorageFailure, "injected write failure");
    }
    if (failAfterFn) {
      base::Status inner = inner_.write([&](core::domain::StoreWriter& w) -> base::Status {
        base::Status s = fn(w);
        if (!s.ok()) {
          return s;
        }
        // Roll the whole fn back by failing it: the store must keep none of its writes.
        return base::makeError(base::ErrorCode::kStorageFailure, "injected commit failure");
      });
      return inner;
    }
    return inner_.write(fn);
  }
  base::Result<std::optional<core::domain::Customer>> findCustomer(
      const std::string& card) override {
    if (failReads) {
      return base::makeError(base::ErrorCode::kStorageFailure, "injected read failure");
    }
    return inner_.findCustomer(card);
  }
  base::Result<std::vector<core::domain::Sale>> salesOf(int64_t id, size_t limit) override {
    return inner_.salesOf(id, limit);
  }
  base::Result<std::vector<core::domain::LedgerEntry>> ledgerOf(int64_t id) override {
    return inner_.ledgerOf(id);
  }
  base::Result<std::vector<core::domain::Product>> products() override { return inner_.products(); }
  base::Result<std::optional<std::string>> habitProfile(int64_t customerId) override {
    return inner_.habitProfile(customerId);
  }

  base::Result<std::optional<core::domain::Customer>> findCustomerById(int64_t id) override {
    return inner_.findCustomerById(id);
  }
  base::Result<std::vector<core::domain::Sale>> salesSince(int64_t sinceMs, int64_t afterSaleId,
                                                           size_t limit) override {
    return inner_.salesSince(sinceMs, afterSaleId, limit);
  }
  base::Result<std::optional<std::string>> setting(const std::string& name) override {
    return inner_.setting(name);
  }
  base::Result<std::vector<core::domain::Campaign>> campaigns() override {
    return inner_.campaigns();
  }
  base::Result<std::optional<core::domain::Campaign>> findCampaign(int64_t id) override {
    return inner_.findCampaign(id);
  }
  base::Result<std::vector<core::domain::Coupon>> couponsOf(int64_t customerId) override {
    return inner_.couponsOf(customerId);
  }
  base::Result<std::optional<core::domain::Coupon>> findCoupon(uint64_t serial) override {
    return inner_.findCoupon(serial);
  }
  base::Result<std::vector<core::domain::Redemption>> conflicts(size_t limit) override {
    return inner_.conflicts(limit);
  }
  base::Result<std::vector<core::domain::User>> users() override { return inner_.users(); }
  base::Result<std::optional<core::domain::User>> findUser(const std::string& name) override {
    return inner_.findUser(name);
  }
  base::Result<std::optional<core::domain::Token>> findToken(const std::string& hash) override {
    return inner_.findToken(hash);
  }
  base::Result<std::vector<core::domain::AuditEntry>> audit(int64_t beforeId,
                                                            size_t limit) override {
    return inner_.audit(beforeId, limit);
  }
  base::Result<std::vector<std::pair<int64_t, std::string>>> habitProfiles(int64_t afterCustomerId,
                                                                           size_t limit) override {
    return inner_.habitProfiles(afterCustomerId, limit);
  }
  base::Result<std::vector<core::domain::Coupon>> couponsOfCampaign(int64_t campaignId,
                                                                    uint64_t afterSerial,
                                                                    size_t limit) override {
    return inner_.couponsOfCampaign(campaignId, afterSerial, limit);
  }

 private:
  core::domain::LoyaltyStore& inner_;
};

}  // namespace loyalty::testing

// InMemoryStore: a LoyaltyStore held in memory, for tests and dev runs. Nothing survives the
// object.
//
// It follows the same contract as SqliteStore (tests/core/storage runs one suite on both):
// ids and coupon serials start at 1 per table and are never reused; a card, a sale key, a refund
// key, a user name and a token hash are unique; lines come back ordered by line number, tenders
// and refund lines in the order given; a refunded quantity stays within [0, quantity] and a debt
// never goes below 0 (a write that would break either fails with kStorageFailure, like SQLite's
// CHECK constraints; a balance may go below 0, the "allow_negative" clawback policy); a record
// naming a record that does not exist (a habit profile, coupon, redemption or token of an unknown
// customer, campaign, coupon, sale, refund or user) fails with kStorageFailure (SQLite: the
// foreign keys); appendLedger of an unknown customer is kUnknownCustomer; a refund of a line the
// sale does not have is kUnknownLine; a list of names (campaign tiers and stores, a user's
// stores) with an empty name or a ',' is kInvalidValue (storage/name_list.h).
//
// write(fn) copies the whole state, runs fn on the copy, and swaps the copy in only when fn
// succeeds, so a failing (or throwing: kInternal) fn leaves no trace. The copy costs O(size of
// the store) per write: fine for tests and dev runs, not for production volumes.
//
// Thread safety: every method may be called from any number of threads. Writes are serialized
// (writeMu_); reads see the last committed state and may run while a fn runs. A fn must not call
// write() on the same store (refused with kInternal).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "domain/store.h"

namespace loyalty::core::storage {

struct MemoryStoreState;  // everything an InMemoryStore holds (memory_store.cpp)

class InMemoryStore final : public domain::LoyaltyStore {
 public:
  InMemoryStore();
  ~InMemoryStore() override;
  InMemoryStore(const InMemoryStore&) = delete;
  InMemoryStore& operator=(const InMemoryStore&) = delete;

  base::Status write(const WriteFn& fn) override;
  base::Result<std::optional<domain::Customer>> findCustomer(const std::string& card) override;
  base::Result<std::vector<domain::Sale>> salesOf(int64_t customerId, size_t limit) override;
  base::Result<std::vector<domain::LedgerEntry>> ledgerOf(int64_t customerId) override;
  base::Result<std::vector<domain::Product>> products() override;
  base::Result<std::optional<std::string>> habitProfile(int64_t customerId) override;
  base::Result<std::optional<domain::Customer>> findCustomerById(int64_t customerId) override;
  base::Result<std::vector<domain::Sale>> salesSince(int64_t sinceMs, int64_t afterSaleId,
                                                     size_t limit) override;
  base::Result<std::optional<std::string>> setting(const std::string& name) override;
  base::Result<std::vector<domain::Campaign>> campaigns() override;
  base::Result<std::optional<domain::Campaign>> findCampaign(int64_t campaignId) override;
  base::Result<std::vector<domain::Coupon>> couponsOf(int64_t customerId) override;
  base::Result<std::optional<domain::Coupon>> findCoupon(uint64_t serial) override;
  base::Result<std::vector<domain::Redemption>> conflicts(size_t limit) override;
  base::Result<std::vector<domain::User>> users() override;
  base::Result<std::optional<domain::User>> findUser(const std::string& name) override;
  base::Result<std::optional<domain::Token>> findToken(const std::string& hash) override;
  base::Result<std::vector<domain::AuditEntry>> audit(int64_t beforeId, size_t limit) override;
  base::Result<std::vector<std::pair<int64_t, std::string>>> habitProfiles(int64_t afterCustomerId,
                                                                           size_t limit) override;
  base::Result<std::vector<domain::Coupon>> couponsOfCampaign(int64_t campaignId,
                                                              uint64_t afterSerial,
                                                              size_t limit) override;

 private:
  std::shared_ptr<const MemoryStoreState> committed();  // the last committed state

  std::mutex writeMu_;                             // held for a whole write(): one fn at a time
  std::mutex mu_;                                  // guards state_
  std::shared_ptr<const MemoryStoreState> state_;  // replaced, never modified, once published
  std::atomic<std::thread::id> writingThread_;     // the thread inside write(), if any
};

}  // namespace loyalty::core::storage

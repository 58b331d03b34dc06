// LoyaltyStore: the storage port of the domain. SQLite implements it today (storage/sqlite),
// an in-memory fake serves tests (storage/memory), PostgreSQL can implement it later.
//
// Writes go through write(fn): fn runs with a StoreWriter and everything it writes is stored
// atomically and durably, or not at all when fn returns an error or the store fails. An
// implementation may run fn on another thread and may batch the fns of several callers into one
// physical transaction (group commit), but each fn sees the writes of the fns before it and none
// of a failed fn's writes survive. write() returns only once the outcome is durable.
//
// Thread safety: every LoyaltyStore method may be called from any number of threads at once.
// A StoreWriter is only valid inside the fn it was given to.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loyalty/base/result.h"
#include "domain/model.h"

namespace loyalty::core::domain {

using base::Result;
using base::Status;

class StoreWriter {
 public:
  virtual ~StoreWriter() = default;

  virtual Result<std::optional<Customer>> findCustomer(const std::string& card) = 0;
  virtual Result<std::optional<Customer>> findCustomerById(int64_t customerId) = 0;
  // Requires: no customer with this card. Returns the new customer (balance 0, tier "base").
  virtual Result<Customer> insertCustomer(const std::string& card, int64_t nowMs) = 0;

  // The sale or refund stored under key, with its lines.
  virtual Result<std::optional<Sale>> findSale(const TxnKey& key) = 0;
  virtual Result<std::optional<Refund>> findRefund(const TxnKey& key) = 0;

  // Stores a sale and its lines and tenders; returns the id assigned (sale.id is ignored).
  // Requires: no sale or refund under sale.key.
  virtual Result<int64_t> insertSale(const Sale& sale) = 0;
  // Stores a refund with its lines and adds each line's quantity to the sale line's
  // refundedQuantity; returns the id assigned (refund.id is ignored).
  virtual Result<int64_t> insertRefund(const Refund& refund) = 0;
  // Appends a ledger entry and adds entry.points to the customer's balance; returns the new
  // balance. Requires: the customer exists.
  virtual Result<Points> appendLedger(const LedgerEntry& entry) = 0;

  virtual Status upsertProduct(const Product& product) = 0;

  // The customer's habit profile (HabitProfile::serialize() bytes), or nullopt when none is
  // stored yet.
  virtual Result<std::optional<std::string>> findHabitProfile(int64_t customerId) = 0;
  // Stores (inserts or replaces) the customer's habit profile. Requires: the customer exists
  // (else kStorageFailure).
  virtual Status saveHabitProfile(int64_t customerId, std::string_view profile,
                                  int64_t updatedAtMs) = 0;

  // ---- Customers, beyond the checkout basics ----
  // Stores customer.tier and customer.debt (by id; balance, card and enrolment are ignored).
  virtual Status updateCustomer(const Customer& customer) = 0;
  // Sum of the totals of the customer's sales created at or after sinceMs, minus the amounts of
  // their refunds created at or after sinceMs (may be negative).
  virtual Result<Money> rollingSpend(int64_t customerId, int64_t sinceMs) = 0;
  virtual Result<std::vector<LedgerEntry>> ledgerOf(int64_t customerId) = 0;  // oldest first
  // Ids of customers with a positive balance and id > afterId, ascending, at most limit.
  virtual Result<std::vector<int64_t>> customersWithPositiveBalance(int64_t afterId,
                                                                    size_t limit) = 0;

  // ---- Settings: named configuration documents (e.g. "earn_rules"), opaque text ----
  virtual Result<std::optional<std::string>> findSetting(const std::string& name) = 0;
  virtual Status saveSetting(const std::string& name, std::string_view value,
                             int64_t updatedAtMs) = 0;

  // ---- Campaigns ----
  // Returns the id assigned (campaign.id is ignored).
  virtual Result<int64_t> insertCampaign(const Campaign& campaign) = 0;
  // Replaces every field of the campaign with this id. kUnknownCampaign when there is none.
  virtual Status updateCampaign(const Campaign& campaign) = 0;
  virtual Result<std::optional<Campaign>> findCampaign(int64_t campaignId) = 0;
  virtual Result<std::vector<Campaign>> campaigns() = 0;  // by id

  // ---- Coupons ----
  // Returns the serial assigned (coupon.serial is ignored). Requires: campaign and customer exist.
  virtual Result<uint64_t> insertCoupon(const Coupon& coupon) = 0;
  // Replaces code, state, reservation and redeemedBySaleId of the coupon with this serial.
  virtual Status updateCoupon(const Coupon& coupon) = 0;
  virtual Result<std::optional<Coupon>> findCoupon(uint64_t serial) = 0;
  virtual Result<std::vector<Coupon>> couponsOf(int64_t customerId) = 0;  // by serial
  virtual Result<std::vector<Coupon>> couponsReservedBy(const TxnKey& key) = 0;
  virtual Result<std::vector<Coupon>> couponsIssuedBySale(int64_t saleId) = 0;
  // Coupons of the campaign issued to the customer at or after sinceMs.
  virtual Result<int64_t> countIssued(int64_t customerId, int64_t campaignId,
                                      int64_t sinceMs) = 0;

  // ---- Redemptions ----
  virtual Result<int64_t> insertRedemption(const Redemption& redemption) = 0;
  // Sets returnedByRefundId of the redemption with this id.
  virtual Status markRedemptionReturned(int64_t redemptionId, int64_t refundId) = 0;
  virtual Result<std::vector<Redemption>> redemptionsOfSale(int64_t saleId) = 0;
  // Redemptions of the campaign by the customer created at or after sinceMs and not returned.
  virtual Result<int64_t> countRedemptions(int64_t customerId, int64_t campaignId,
                                           int64_t sinceMs) = 0;

  // ---- Admin: users, tokens, audit ----
  // kInvalidState when a user of that name exists.
  virtual Status insertUser(const User& user) = 0;
  virtual Status updateUser(const User& user) = 0;  // by name
  virtual Result<std::optional<User>> findUser(const std::string& name) = 0;
  virtual Result<int64_t> countUsers() = 0;
  virtual Status insertToken(const Token& token) = 0;
  virtual Result<int64_t> appendAudit(const AuditEntry& entry) = 0;
};

class LoyaltyStore {
 public:
  using WriteFn = std::function<Status(StoreWriter&)>;

  virtual ~LoyaltyStore() = default;

  // Runs fn atomically and durably (see the file comment). Errors: fn's own error, or
  // kStorageFailure when the database failed (nothing of fn was stored).
  virtual Status write(const WriteFn& fn) = 0;

  // Reads of committed data.
  virtual Result<std::optional<Customer>> findCustomer(const std::string& card) = 0;
  // The customer's sales with their lines, newest first, at most limit of them.
  virtual Result<std::vector<Sale>> salesOf(int64_t customerId, size_t limit) = 0;
  // The customer's ledger, oldest first.
  virtual Result<std::vector<LedgerEntry>> ledgerOf(int64_t customerId) = 0;
  virtual Result<std::vector<Product>> products() = 0;
  // The customer's committed habit profile bytes, or nullopt when none is stored.
  virtual Result<std::optional<std::string>> habitProfile(int64_t customerId) = 0;

  virtual Result<std::optional<Customer>> findCustomerById(int64_t customerId) = 0;
  // Sales (with lines) created at or after sinceMs with id > afterSaleId, by id, at most limit.
  virtual Result<std::vector<Sale>> salesSince(int64_t sinceMs, int64_t afterSaleId,
                                               size_t limit) = 0;
  virtual Result<std::optional<std::string>> setting(const std::string& name) = 0;
  virtual Result<std::vector<Campaign>> campaigns() = 0;  // by id
  virtual Result<std::optional<Campaign>> findCampaign(int64_t campaignId) = 0;
  virtual Result<std::vector<Coupon>> couponsOf(int64_t customerId) = 0;  // by serial
  virtual Result<std::optional<Coupon>> findCoupon(uint64_t serial) = 0;
  // Redemptions with a conflict, newest first, at most limit.
  virtual Result<std::vector<Redemption>> conflicts(size_t limit) = 0;
  virtual Result<std::vector<User>> users() = 0;  // by name
  virtual Result<std::optional<User>> findUser(const std::string& name) = 0;
  virtual Result<std::optional<Token>> findToken(const std::string& hash) = 0;
  // Audit entries with id < beforeId (0 = from the newest), newest first, at most limit.
  virtual Result<std::vector<AuditEntry>> audit(int64_t beforeId, size_t limit) = 0;
  // Stored habit profiles (customer id, HabitProfile::serialize() bytes) of customers with
  // id > afterCustomerId, by customer id, at most limit (the neighbour model's refresh).
  virtual Result<std::vector<std::pair<int64_t, std::string>>> habitProfiles(
      int64_t afterCustomerId, size_t limit) = 0;
  // The coupons of a campaign (all states), by serial, with serial > afterSerial, at most limit.
  virtual Result<std::vector<Coupon>> couponsOfCampaign(int64_t campaignId, uint64_t afterSerial,
                                                        size_t limit) = 0;
};

using LoyaltyStorePtr = std::unique_ptr<LoyaltyStore>;

}  // namespace loyalty::core::domain

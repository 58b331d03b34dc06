// CheckoutService: the checkout flow of design.md section 3 — identify, price, commit, refund —
// plus a customer's history and the catalogue import. Pure domain: it sees storage only through
// LoyaltyStore and time only through Clock.
//
// Where the invariants of model.h are enforced:
//   - Exactly once: commit() and refund() look up their TxnKey inside the same atomic write that
//     stores them; a replay with the same fingerprint returns the stored record unchanged, a
//     different fingerprint is kIdempotencyConflict. The store's unique keys back this up.
//   - Atomic: the sale, its lines, the customer's enrolment and the ledger entry are written in one
//     LoyaltyStore::write().
//   - Balance = sum of ledger: only appendLedger() moves a balance; sale.balanceAfter and
//     refund.balanceAfter are checked against what the store computes (LOYALTY_CHECK).
//   - Never negative, never reversed twice: a refund reverses points(eligible remaining before) -
//     points(eligible remaining after) of its sale, so all refunds of a sale together reverse at
//     most what it earned, and returned quantities never exceed sold quantities.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/catalogue.h"
#include "domain/clock.h"
#include "domain/earn_rule.h"
#include "domain/history_import.h"
#include "domain/model.h"
#include "domain/store.h"
#include "domain/personalization/habit_profile.h"
#include "loyalty/base/result.h"

namespace loyalty::core::domain {

struct BasketItem {
  int64_t line = 0;
  std::string sku;
  int64_t quantity = 0;
  Money unitPrice;
};

struct IdentifyResult {
  Customer customer;
  bool enrolled = false;  // true when this call created the customer
};

struct PriceResult {
  Money subtotal;
  Money total;
  Points pointsPreview;
};

struct CommitCommand {
  TxnKey key;
  uint64_t fingerprint = 0;  // of the request, to tell a replay from a key reused
  std::string card;
  std::vector<BasketItem> lines;
  std::vector<Tender> tenders;
};

struct CommitResult {
  Sale sale;
  bool replayed = false;
};

struct RefundCommand {
  TxnKey key;
  uint64_t fingerprint = 0;
  TxnKey original;
  std::vector<RefundedLine> lines;
};

struct RefundResult {
  Refund refund;
  bool replayed = false;
};

struct CustomerRecord {
  Customer customer;
  std::vector<Sale> sales;  // newest first
  std::vector<LedgerEntry> ledger;
};

struct HistoryImportResult {
  int64_t importedBaskets = 0;
  int64_t skippedExisting = 0;  // baskets whose sale key was stored already
};

// The card of a customer number of an imported file (the core passes
// protocol::cardForCustomerNumber(n + 1); the domain does not depend on the protocol).
using CardOfCustomerNumber = std::function<std::string(int64_t)>;

// The profile stored for the customer, or an empty profile (params) when none is stored or the
// stored bytes are unreadable (a corrupt profile must never block a sale; it starts over).
Result<personalization::HabitProfile> loadHabitProfile(
    StoreWriter& writer, int64_t customerId, const personalization::ProfileParams& params);
// The basket of a sale for its habit profile: itemIdOf(sku) of every line (domain/item_id.h).
std::vector<int64_t> profileBasketOf(const std::vector<SaleLine>& lines);

class CheckoutService {
 public:
  CheckoutService(LoyaltyStore& store, Catalogue& catalogue, const Clock& clock, EarnRule rule);
  CheckoutService(const CheckoutService&) = delete;
  CheckoutService& operator=(const CheckoutService&) = delete;

  // Finds the card's customer, enrolling it anonymously when unknown.
  Result<IdentifyResult> identify(const std::string& card);
  // Read-only preview of a basket: totals and the points it would earn.
  Result<PriceResult> price(const std::vector<BasketItem>& lines) const;
  Result<CommitResult> commit(const CommitCommand& command);
  Result<RefundResult> refund(const RefundCommand& command);
  // Errors: kUnknownCustomer.
  Result<CustomerRecord> history(const std::string& card, size_t maxSales);
  // Parses and stores a catalogue CSV; returns the number of products imported.
  Result<size_t> importCatalogue(std::string_view csv);
  // Stores each basket of batch (parseHistoryCsv) as a sale of the customer cardOf(number) and
  // updates the customer's habit profile with the new ones in order, all in one write.
  Result<HistoryImportResult> importHistory(const HistoryBatch& batch,
                                            const CardOfCustomerNumber& cardOf);
  // The customer's stored habit profile, or nullopt when none. Errors: kUnknownCustomer.
  Result<std::optional<personalization::HabitProfile>> habitProfile(const std::string& card);
  // Loads the stored catalogue into memory (at startup).
  Status loadCatalogue();

  const EarnRule& earnRule() const { return rule_; }

 private:
  std::vector<SaleLine> toSaleLines(const std::vector<BasketItem>& items) const;
  Points earnedOn(const std::vector<SaleLine>& lines) const;

  LoyaltyStore& store_;
  Catalogue& catalogue_;
  const Clock& clock_;
  const EarnRule rule_;
  const personalization::ProfileParams profileParams_ = personalization::ProfileParams();
};

}  // namespace loyalty::core::domain

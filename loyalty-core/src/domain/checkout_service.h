// CheckoutService: the checkout flow of design.md section 3 — identify, price, commit, refund —
// plus a customer's history and the catalogue import. Pure domain: it sees storage only through
// LoyaltyStore and time only through Clock.
//
// Where the invariants of model.h are enforced:
//   - Exactly once: commit() and refund() look up their TxnKey inside the same atomic write that
//     stores them; a replay with the same fingerprint returns the answer built from the stored
//     records, a different fingerprint is kIdempotencyConflict. The store's unique keys back
//     this up.
//   - Atomic: the sale, its lines, the enrolment, the ledger entries (redeem, earn, offset), the
//     coupon redemptions, the coupons it prints and the habit profile are one LoyaltyStore::write.
//   - A coupon is redeemed at most once: price reserves and commit redeems inside the store's
//     serialised writes, checking the coupon's state there; an online commit whose coupon is
//     neither reserved for it nor redeemable fails with kCouponUnavailable and stores nothing.
//     Only a commit the agent marks offlineCoupons keeps a coupon that was not redeemable; the
//     redemption is then stored with a conflict for the reconciliation report.
//   - Balance = sum of ledger: only appendLedger() moves a balance; balanceAfter is checked
//     against what the store computes (LOYALTY_CHECK). The balance goes below zero only under the
//     allow_negative clawback policy.
//   - Never reversed twice: a refund reverses points(kept before) - points(kept after) of its
//     sale (coupon discounts and points tender kept pro rata), capped at what the sale earned.
//
// Coupon flow, discounts, tiers, the points tender, clawback and debt: docs/offers.md.
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
#include "domain/history_import.h"
#include "domain/model.h"
#include "domain/offers/campaigns.h"
#include "domain/offers/coupon_keys.h"
#include "domain/offers/programme.h"
#include "domain/store.h"
#include "domain/personalization/coupon_choice.h"
#include "domain/personalization/habit_profile.h"
#include "domain/personalization/neighbour_book.h"
#include "domain/personalization/scorer.h"
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
  bool enrolled = false;     // true when this call created the customer
  int64_t walletCoupons = 0;  // issued, unexpired coupons the shopper holds
};

// A discount given to a basket: by a coupon on one line, or by the points tender (line 0).
struct Discount {
  int64_t line = 0;
  Money amount;
  std::string coupon;  // the code; empty for the points tender
  std::string description;
};

struct CouponVerdict {
  std::string code;
  bool accepted = false;
  std::string reason;   // a stable reason code when refused (docs/protocol.md)
  std::string message;  // for the cashier
  Money discount;
  Points bonusPoints;
};

struct PriceCommand {
  TxnKey key;
  std::string card;
  std::vector<BasketItem> lines;
  std::vector<std::string> coupons;
  Points redeemPoints;  // 0 = none
};

struct PriceResult {
  Money subtotal;
  Money total;  // subtotal minus discounts
  Points pointsPreview;
  std::vector<Discount> discounts;
  std::vector<CouponVerdict> coupons;
  Points pointsRedeemed;
};

struct CommitCommand {
  TxnKey key;
  uint64_t fingerprint = 0;  // of the request, to tell a replay from a key reused
  std::string card;
  std::vector<BasketItem> lines;
  std::vector<Tender> tenders;
  std::vector<std::string> coupons;
  Points redeemPoints;
  bool offlineCoupons = false;  // the till granted the coupons offline: keep the sale regardless
};

struct PrintCoupon {
  std::string code;
  std::string description;
  std::string expires;
};

// Built from stored records only, so that a replay gives the same answer.
struct CommitResult {
  Sale sale;
  bool replayed = false;
  std::vector<Discount> discounts;       // one per redeemed coupon, then the points tender
  std::vector<PrintCoupon> printed;      // coupons issued by this sale
  Points offset;                         // earned points kept back to pay debt
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
  ClawbackPolicy policy = ClawbackPolicy::kOffset;  // the policy in force for the receipt
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

// What the checkout service works with; everything must outlive it.
struct CheckoutDeps {
  LoyaltyStore& store;
  Catalogue& catalogue;
  const Clock& clock;
  ProgrammeHolder& programme;
  CampaignBook& campaigns;
  const CouponIssuer* issuer = nullptr;    // nullptr: no coupons are printed
  const CouponChecker* checker = nullptr;  // nullptr: every presented coupon is refused
  // Neighbour vectors for personalized coupons; nullptr: own habits and nothing else.
  const personalization::NeighbourBook* neighbours = nullptr;
};

class CheckoutService {
 public:
  explicit CheckoutService(CheckoutDeps deps);
  CheckoutService(const CheckoutService&) = delete;
  CheckoutService& operator=(const CheckoutService&) = delete;

  // Finds the card's customer, enrolling it anonymously when unknown.
  Result<IdentifyResult> identify(const std::string& card);
  // Prices a basket: coupons checked and the accepted ones reserved for command.key (a write
  // when coupons are presented), the points tender checked, the points preview.
  // Errors: kInvalidPointsRedemption, kInsufficientPoints, the store's.
  Result<PriceResult> price(const PriceCommand& command);
  // Errors: kIdempotencyConflict, kCouponUnavailable, kInvalidPointsRedemption,
  // kInsufficientPoints, the store's.
  Result<CommitResult> commit(const CommitCommand& command);
  Result<RefundResult> refund(const RefundCommand& command);
  // Releases the coupons reserved by key; returns how many.
  Result<int64_t> voidTransaction(const TxnKey& key);
  // The active campaigns, for pos-agents (GET /v1/offers).
  std::vector<Campaign> activeCampaigns() const;
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

 private:
  Result<CommitResult> describeCommit(StoreWriter& w, Sale sale, bool replayed);
  // Chooses and stores the coupons of every live personalized campaign for this sale (control
  // group shoppers get theirs recorded as kControl, not printed).
  Status issuePersonalized(StoreWriter& w, const std::vector<Campaign>& book,
                           const Customer& customer, const Sale& sale,
                           const personalization::HabitProfile& profile,
                           const std::vector<offers::RewardLine>& basket, int64_t nowMs);

  CheckoutDeps deps_;
  const personalization::Scorer scorer_ = personalization::Scorer();
  const personalization::ProfileParams profileParams_ = personalization::ProfileParams();
};


}  // namespace loyalty::core::domain

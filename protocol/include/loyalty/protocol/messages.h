// The wire messages of protocol v1: what a till (through the pos-agent) and the loyalty-core say to
// each other. docs/protocol.md is the normative description of their JSON form; codec.h converts.
//
// Amounts: Money in minor currency units, Points in whole points, both int64_t underneath.
// Every message is a plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/base/money.h"
#include "loyalty/offers/reward.h"

namespace loyalty::protocol {

using base::Money;
using base::Points;

// Identifies one till transaction; the idempotency key of price, commit and refund.
// JSON: flattened into the request as "store", "terminal", "business_date", "txn".
struct TransactionKey {
  std::string store;         // 1..32 of [A-Za-z0-9_-]
  std::string terminal;      // 1..32 of [A-Za-z0-9_-]
  std::string businessDate;  // YYYY-MM-DD, a real calendar date
  std::string txn;           // 1..32 of [A-Za-z0-9_-]
  bool operator==(const TransactionKey& o) const {
    return store == o.store && terminal == o.terminal && businessDate == o.businessDate &&
           txn == o.txn;
  }
};

struct BasketLine {
  int64_t line = 0;      // 1..kMaxLineNumber, unique within the basket
  std::string sku;       // 1..64 printable ASCII characters, no spaces
  int64_t quantity = 0;  // 1..kMaxQuantity units (a weighed item is quantity 1 at its price)
  Money unitPrice;       // 0..kMaxUnitPrice
};

struct Tender {
  std::string type;  // free text, 1..128 characters, e.g. "cash", "card"
  Money amount;      // 0..kMaxBasketTotal
};

inline constexpr const char* kDiscountCoupon = "coupon";
inline constexpr const char* kDiscountPoints = "points";

// A discount to apply (price and commit responses).
struct DiscountLine {
  int64_t line = 0;  // basket line it applies to, 0 for the whole basket (points tender)
  Money amount;      // positive: the amount taken off
  std::string kind;  // kDiscountCoupon or kDiscountPoints
  std::string description;
  std::string coupon;  // the coupon code that gave it, or empty
};

// The verdict on one presented coupon code (price response), in the order presented.
struct CouponDecision {
  std::string code;
  bool accepted = false;
  std::string reason;   // stable reason code when refused, e.g. "coupon_already_redeemed"
  std::string message;  // a sentence a cashier can read; for accepted coupons what it gives
  Money discount;       // accepted: the money it takes off this basket
  Points bonusPoints;   // accepted: the bonus points it adds
};

// A coupon to print on the receipt (commit response).
struct PrintedCoupon {
  std::string code;
  std::string description;
  std::string expires;  // YYYY-MM-DD
};

// POST /v1/identify
struct IdentifyRequest {
  std::string card;
  std::string store;
  std::string terminal;
};

struct IdentifyResponse {
  int64_t customerId = 0;        // 0 when offline
  bool newCustomer = false;      // enrolled by this call
  std::string tier;              // "base" today; "unknown" when offline
  std::optional<Points> pointsBalance;  // absent when offline
  int64_t coupons = 0;           // coupons in the wallet
  bool offline = false;          // answered by the agent without the core
};

// POST /v1/price
struct PriceRequest {
  TransactionKey key;
  std::string card;
  std::vector<BasketLine> lines;
  std::vector<std::string> coupons;  // presented coupon codes, optional, at most kMaxCouponCodes
  std::optional<Points> redeemPoints;  // points the shopper spends as a tender, optional
};

struct PriceResponse {
  Money subtotal;
  std::vector<DiscountLine> discounts;
  Money total;                          // subtotal minus discounts
  std::optional<Points> pointsPreview;  // absent when offline
  std::vector<CouponDecision> coupons;
  std::optional<Points> pointsRedeemed;  // the points tender accepted; absent when none
  bool offline = false;
};

// POST /v1/commit
struct CommitRequest {
  TransactionKey key;
  std::string card;
  std::vector<BasketLine> lines;
  std::vector<Tender> tenders;  // optional
  std::vector<std::string> coupons;    // the accepted coupon codes, optional
  std::optional<Points> redeemPoints;  // the points tender, optional
  // Set only by a pos-agent: its price answer for this transaction was given offline, so the
  // till already granted these coupons; the core keeps the sale and reports any double use.
  bool offlineCoupons = false;
};

inline constexpr const char* kStatusCommitted = "committed";
inline constexpr const char* kStatusQueued = "queued";

struct CommitResponse {
  std::string status;                // kStatusCommitted or kStatusQueued (agent, core unreachable)
  std::optional<int64_t> saleId;     // absent when queued
  Money total;
  std::optional<Points> pointsEarned;   // absent when queued
  std::optional<Points> pointsBalance;  // absent when queued
  std::vector<std::string> receipt;  // lines to print, in order
  std::vector<PrintedCoupon> coupons;  // new coupons to print
  std::vector<DiscountLine> discounts;  // the discounts the sale was committed with
  std::optional<Points> pointsRedeemed;  // absent when none or queued
};

// POST /v1/refund
struct RefundLine {
  int64_t line = 0;      // line number in the original sale
  int64_t quantity = 0;  // 1..kMaxQuantity units returned
};

struct RefundRequest {
  TransactionKey key;       // the refund's own till transaction
  TransactionKey original;  // the sale being refunded; JSON: "original": {store, terminal, ...}
  std::vector<RefundLine> lines;
};

struct RefundResponse {
  std::string status;  // kStatusCommitted or kStatusQueued
  std::optional<int64_t> refundId;
  Money amountRefunded;
  std::optional<Points> pointsReversed;  // earned points taken back
  std::optional<Points> pointsReturned;  // points tender given back
  std::optional<Points> pointsBalance;
  int64_t couponsReturned = 0;  // coupons back in the wallet (whole sale refunded)
  std::vector<std::string> receipt;
};

// POST /v1/void: the till abandons a transaction; the coupons its price call reserved are
// released at once (otherwise they are released when the reservation times out).
struct VoidRequest {
  TransactionKey key;
};

struct VoidResponse {
  int64_t released = 0;  // coupons released
};

// GET /v1/offers: the active coupon campaigns, so that an offline pos-agent can compute the same
// discounts as the core.
struct Offer {
  int64_t campaign = 0;  // the campaign id in coupon codes
  std::string name;
  offers::Reward reward;
  std::vector<std::string> stores;  // stores where it may be redeemed; empty = all
};

struct OfferList {
  std::vector<Offer> offers;
};

// GET /v1/customers/{card}/history
struct HistoryLine {
  int64_t line = 0;
  std::string sku;
  int64_t quantity = 0;
  Money unitPrice;
  int64_t refundedQuantity = 0;
};

struct HistorySale {
  int64_t saleId = 0;
  TransactionKey key;
  Money total;
  Points pointsEarned;
  int64_t createdAtMs = 0;  // core clock, milliseconds since the Unix epoch
  std::vector<HistoryLine> lines;
};

struct HistoryLedgerEntry {
  int64_t entryId = 0;
  std::string kind;  // "earn", "refund", "adjustment", "expiry"
  Points points;     // signed
  std::optional<int64_t> saleId;
  std::optional<int64_t> refundId;
  int64_t createdAtMs = 0;
};

struct CustomerHistory {
  int64_t customerId = 0;
  std::string tier;
  Points pointsBalance;
  int64_t enrolledAtMs = 0;
  std::vector<HistorySale> sales;  // newest first
  std::vector<HistoryLedgerEntry> ledger;  // oldest first
};

// PUT /v1/admin/catalogue (body: CSV) answers this.
struct CatalogueImportResponse {
  int64_t imported = 0;
};

// GET /v1/agent/status (pos-agent only)
struct AgentStatus {
  int64_t outboxPending = 0;  // commits and refunds stored, not yet accepted by the core
  int64_t delivered = 0;      // delivered since the agent started
  int64_t deadLetters = 0;    // refused by the core with a 4xx; kept for an operator
  bool coreReachable = false;
};

// Every error response (application/problem+json).
struct ErrorBody {
  std::string type;    // "urn:loyalty:error:<code>"
  std::string title;   // short human summary of the code
  int status = 0;      // HTTP status
  std::string code;    // stable machine-readable code, e.g. "invalid_card"
  std::string detail;  // what exactly was wrong (field path, offset)
  std::string requestId;
};

}  // namespace loyalty::protocol

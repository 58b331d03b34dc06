// The domain's records: customers, products, sales, refunds and the points ledger.
//
// Plain value types, independent of the wire format (protocol/) and of storage. Invariants that
// hold for stored records (enforced by CheckoutService, checked by tests):
//   1. A customer's balance equals the sum of their ledger entries, and is never negative.
//   2. Every ledger entry names the sale or refund that caused it.
//   3. One sale per TxnKey, one refund per TxnKey; a key is never used by both a sale and a refund.
//   4. For each sale line, 0 <= refundedQuantity <= quantity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/base/money.h"

namespace loyalty::core::domain {

using base::Money;
using base::Points;

// Idempotency key of a till transaction (store, terminal, business date, transaction number).
struct TxnKey {
  std::string store;
  std::string terminal;
  std::string businessDate;  // YYYY-MM-DD
  std::string txn;
  bool operator==(const TxnKey& o) const {
    return store == o.store && terminal == o.terminal && businessDate == o.businessDate &&
           txn == o.txn;
  }
};

struct Product {
  std::string sku;
  std::string name;
  std::string categoryPath;  // e.g. "alcohol/wine"; segments separated by '/'
  std::string brand;
};

struct Customer {
  int64_t id = 0;
  std::string card;
  std::string tier = "base";
  Points balance;
  int64_t enrolledAtMs = 0;
};

struct SaleLine {
  int64_t line = 0;
  std::string sku;
  int64_t quantity = 0;
  Money unitPrice;
  bool earns = true;              // false when the product's category is excluded from earning
  int64_t refundedQuantity = 0;   // units returned so far

  Money amount() const { return Money(unitPrice.value() * quantity); }
};

struct Tender {
  std::string type;
  Money amount;
};

struct Sale {
  int64_t id = 0;  // assigned by the store
  TxnKey key;
  uint64_t fingerprint = 0;  // of the request that created it
  int64_t customerId = 0;
  std::vector<SaleLine> lines;
  std::vector<Tender> tenders;
  Money total;
  Points pointsEarned;
  Points balanceAfter;  // the customer's balance right after this sale
  int64_t createdAtMs = 0;
};

struct RefundedLine {
  int64_t line = 0;
  int64_t quantity = 0;
};

struct Refund {
  int64_t id = 0;  // assigned by the store
  TxnKey key;
  uint64_t fingerprint = 0;
  int64_t saleId = 0;
  int64_t customerId = 0;
  std::vector<RefundedLine> lines;
  Money amount;          // money returned to the shopper
  Points pointsReversed;  // positive: points taken back
  Points balanceAfter;
  int64_t createdAtMs = 0;
};

enum class LedgerKind { kEarn, kRefund, kAdjustment, kExpiry };

const char* ledgerKindName(LedgerKind kind);  // "earn", "refund", "adjustment", "expiry"

struct LedgerEntry {
  int64_t id = 0;  // assigned by the store
  int64_t customerId = 0;
  LedgerKind kind = LedgerKind::kEarn;
  Points points;  // signed
  std::optional<int64_t> saleId;
  std::optional<int64_t> refundId;
  int64_t createdAtMs = 0;
};

}  // namespace loyalty::core::domain

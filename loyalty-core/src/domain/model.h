// The domain's records: customers, products, sales, refunds, the points ledger, coupon campaigns,
// coupons and their redemptions, and the admin API's users, tokens and audit log.
//
// Plain value types, independent of the wire format (protocol/) and of storage. Invariants that
// hold for stored records (enforced by CheckoutService, checked by tests):
//   1. A customer's balance equals the sum of their ledger entries. It is negative only under the
//      "allow_negative" clawback policy; under "offset" the shortfall is kept as debt instead.
//   2. Every ledger entry names the sale or refund that caused it, except expiry entries (which
//      name the expiry run in their note).
//   3. One sale per TxnKey, one refund per TxnKey; a key is never used by both a sale and a refund.
//   4. For each sale line, 0 <= refundedQuantity <= quantity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/base/money.h"
#include "loyalty/offers/reward.h"

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
  Points debt;  // points owed after a clawback under the "offset" policy (>= 0)
};

struct SaleLine {
  int64_t line = 0;
  std::string sku;
  int64_t quantity = 0;
  Money unitPrice;
  bool earns = true;              // false when the product's category is excluded from earning
  int64_t refundedQuantity = 0;   // units returned so far
  Money discount;                 // coupon discounts allocated to this line (minor units)
  Points pointsTendered;          // points tender allocated to this line
  Money pointsTenderValue;        // the money value of pointsTendered

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
  Points pointsEarned;  // earn rules plus coupon bonus points, after any debt offset
  Points balanceAfter;  // the customer's balance right after this sale
  int64_t createdAtMs = 0;
  std::string tier = "base";  // the customer's tier when the sale was made (refunds reuse it)
  Money discountTotal;        // coupon discounts plus the points tender's value
  Points pointsRedeemed;      // points spent as a tender
  Points couponBonus;         // bonus points from coupons, included in pointsEarned
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
  Points pointsReversed;  // positive: earned points taken back (ledger + debt)
  Points pointsReturned;  // positive: points tender given back
  Points debtAdded;       // part of pointsReversed kept as debt ("offset" policy)
  Points balanceAfter;
  int64_t createdAtMs = 0;
  int64_t couponsReturned = 0;
};

enum class LedgerKind { kEarn, kRefund, kAdjustment, kExpiry, kRedeem, kOffset };

// "earn", "refund", "adjustment", "expiry", "redeem" (points tender), "offset" (debt paid off).
const char* ledgerKindName(LedgerKind kind);

struct LedgerEntry {
  int64_t id = 0;  // assigned by the store
  int64_t customerId = 0;
  LedgerKind kind = LedgerKind::kEarn;
  Points points;  // signed
  std::optional<int64_t> saleId;
  std::optional<int64_t> refundId;
  int64_t createdAtMs = 0;
  std::string note;  // free text, e.g. the expiry run ("expiry of points earned before ...")
};

// ---- Coupon campaigns (docs/offers.md) ----

enum class CampaignStatus { kDraft, kActive, kPaused, kEnded };
enum class IssuanceKind { kManual, kCheckoutTrigger, kPersonalized };

const char* campaignStatusName(CampaignStatus status);  // "draft", "active", "paused", "ended"
std::optional<CampaignStatus> parseCampaignStatus(const std::string& name);
const char* issuanceKindName(IssuanceKind kind);  // "manual", "checkout_trigger", "personalized"
std::optional<IssuanceKind> parseIssuanceKind(const std::string& name);

// When a checkout-trigger campaign prints a coupon: the basket holds at least minQuantity units
// (0 = 1) of the target with an amount of at least minSpend (same matching as a reward target).
struct Trigger {
  offers::TargetKind target = offers::TargetKind::kBasket;
  std::string value;
  int64_t minQuantity = 0;
  Money minSpend;
};

struct Campaign {
  int64_t id = 0;  // assigned by the store; the campaign number in coupon codes (1..2^32-1)
  std::string name;
  std::string ownerStore;  // the store a store manager created it for; empty = chain-wide (HQ)
  CampaignStatus status = CampaignStatus::kDraft;
  std::optional<std::string> from;  // YYYY-MM-DD inclusive; issuance and redemption window
  std::optional<std::string> to;
  offers::Reward reward;
  std::vector<std::string> tiers;   // eligible tiers; empty = all
  std::vector<std::string> stores;  // stores where it is issued and redeemed; empty = all
  int64_t validityDays = 30;        // a coupon expires validityDays - 1 days after issue day
  int64_t budgetCount = 0;          // coupons that may be issued; 0 = unlimited
  Money budgetCost;                 // discount money that may be redeemed; 0 = unlimited
  int64_t capPerVisit = 1;          // coupons of this campaign redeemable in one sale; 0 = no cap
  int64_t capPerPeriod = 0;         // redemptions per shopper per period; 0 = no cap
  int64_t capPeriodDays = 30;
  IssuanceKind issuance = IssuanceKind::kManual;
  Trigger trigger;                  // kCheckoutTrigger only
  int64_t controlPercent = 0;       // 0..100: share of shoppers held out (kPersonalized)
  // kPersonalized: coupons chosen per sale, the share of "discover" coupons (items the shopper
  // never bought) among them, and whether an item of today's basket may be chosen.
  int64_t personalizedCount = 1;    // 1..10
  int64_t discoverPercent = 20;     // 0..100
  bool allowBasketItems = false;
  // Maintained by the domain, not by the manager:
  int64_t issuedCount = 0;
  Money redeemedCost;
  int64_t redeemedCount = 0;
  int64_t updatedAtMs = 0;
};

// kControl: the coupon a control-group shopper would have got (recorded, never printed, never
// redeemable), so that uplift can be measured against the shoppers who got theirs.
enum class CouponState { kIssued, kRedeemed, kVoid, kControl };
const char* couponStateName(CouponState state);  // "issued", "redeemed", "void", "control"

struct Coupon {
  uint64_t serial = 0;  // assigned by the store (insertCoupon), unique
  int64_t campaignId = 0;
  int64_t customerId = 0;
  std::string code;     // the signed "LC1..." text (empty for kControl)
  std::string sku;      // personalized coupons: the product chosen (the reward's target)
  std::string expires;  // YYYY-MM-DD, last valid day
  CouponState state = CouponState::kIssued;
  int64_t issuedAtMs = 0;
  std::optional<int64_t> issuedBySaleId;  // checkout-trigger coupons
  std::optional<TxnKey> reservedBy;       // the price call that holds it
  int64_t reservedUntilMs = 0;            // the reservation is void after this instant
  std::optional<int64_t> redeemedBySaleId;
};

// One coupon applied to one sale. conflict is set when the coupon had already been redeemed (or
// was not redeemable) and the sale kept it because an offline till had granted it.
struct Redemption {
  int64_t id = 0;  // assigned by the store
  uint64_t serial = 0;
  int64_t campaignId = 0;
  int64_t customerId = 0;
  int64_t saleId = 0;
  Money discount;
  Points bonusPoints;
  bool offline = false;
  std::string conflict;  // empty, or why the redemption broke a rule, e.g. "double_use"
  int64_t createdAtMs = 0;
  std::optional<int64_t> returnedByRefundId;  // the coupon went back to the wallet
};

// ---- Admin API: users, tokens, audit (docs/admin-api.md) ----

enum class Role { kHqAdmin, kStoreManager, kAnalyst };
const char* roleName(Role role);  // "hq_admin", "store_manager", "analyst"
std::optional<Role> parseRole(const std::string& name);

struct User {
  std::string name;
  Role role = Role::kAnalyst;
  std::vector<std::string> stores;  // store managers: their stores
  std::string passwordHash;         // "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>"
  int64_t createdAtMs = 0;
  bool disabled = false;
};

struct Token {
  std::string hash;  // hex SHA-256 of the bearer token; the token itself is never stored
  std::string user;
  int64_t expiresAtMs = 0;
};

struct AuditEntry {
  int64_t id = 0;  // assigned by the store
  int64_t atMs = 0;
  std::string user;
  std::string action;  // e.g. "campaign.create", "campaign.update", "earn_rules.update"
  std::string target;  // e.g. "campaign:12"
  std::string outcome;  // "ok", "denied"
  std::string before;  // JSON of the record before, or empty
  std::string after;   // JSON after, or empty
};

}  // namespace loyalty::core::domain

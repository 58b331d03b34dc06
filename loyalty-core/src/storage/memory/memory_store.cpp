#include "storage/memory/memory_store.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <string_view>
#include <tuple>
#include <utility>

#include "storage/name_list.h"

namespace loyalty::core::storage {

using base::ErrorCode;
using base::Result;
using base::Status;
using domain::AuditEntry;
using domain::Campaign;
using domain::Coupon;
using domain::Customer;
using domain::LedgerEntry;
using domain::LedgerKind;
using domain::Money;
using domain::Points;
using domain::Product;
using domain::Redemption;
using domain::Refund;
using domain::RefundedLine;
using domain::Sale;
using domain::SaleLine;
using domain::Token;
using domain::TxnKey;
using domain::User;

// Records with ids live in vectors indexed by id - 1 (coupons by serial - 1).
struct MemoryStoreState {
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::vector<Customer> customers;
  std::map<std::string, int64_t> customerByCard;
  std::vector<Sale> sales;
  std::map<Key, int64_t> saleByKey;
  std::vector<Refund> refunds;
  std::map<Key, int64_t> refundByKey;
  std::vector<LedgerEntry> ledger;
  std::map<std::string, Product> products;  // by sku
  // Habit profile bytes by customer id. Shared, never modified once stored: copying the state
  // for a write copies pointers, not every profile. Settings likewise.
  std::map<int64_t, std::shared_ptr<const std::string>> habitProfiles;
  std::map<std::string, std::shared_ptr<const std::string>> settings;
  std::vector<Campaign> campaigns;
  std::vector<Coupon> coupons;
  std::vector<Redemption> redemptions;
  std::map<std::string, User> users;    // by name
  std::map<std::string, Token> tokens;  // by hash
  std::vector<AuditEntry> audit;
};

namespace {

using State = MemoryStoreState;

// The largest campaign id (the campaign number of a coupon code is 32 bits; SQLite: a CHECK).
constexpr int64_t kMaxCampaignId = 4'294'967'295;

State::Key keyOf(const TxnKey& key) {
  return State::Key(key.store, key.terminal, key.businessDate, key.txn);
}

base::Error constraint(const std::string& what, const std::string& detail) {
  return base::makeError(ErrorCode::kStorageFailure, what + ": " + detail);
}

bool validKind(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::kEarn:
    case LedgerKind::kRefund:
    case LedgerKind::kAdjustment:
    case LedgerKind::kExpiry:
    case LedgerKind::kRedeem:
    case LedgerKind::kOffset:
      return true;
  }
  return false;
}

// A record id is valid when 1 <= id <= size (records live at index id - 1).
template <typename T>
bool hasId(const std::vector<T>& records, int64_t id) {
  return id >= 1 && static_cast<uint64_t>(id) <= records.size();
}

template <typename T>
bool hasOptionalId(const std::vector<T>& records, const std::optional<int64_t>& id) {
  return !id || hasId(records, *id);
}

bool hasSerial(const std::vector<Coupon>& coupons, uint64_t serial) {
  return serial >= 1 && serial <= coupons.size();
}

template <typename T>
const T& byId(const std::vector<T>& records, int64_t id) {
  return records[static_cast<size_t>(id - 1)];
}

template <typename T>
T& byId(std::vector<T>& records, int64_t id) {
  return records[static_cast<size_t>(id - 1)];
}

// ---- Reads over one state, shared by the writer (its private copy) and the store's reads
// (the committed state) ----

std::optional<Customer> customerByCard(const State& state, const std::string& card) {
  auto it = state.customerByCard.find(card);
  if (it == state.customerByCard.end()) {
    return std::nullopt;
  }
  return byId(state.customers, it->second);
}

std::optional<Customer> customerById(const State& state, int64_t customerId) {
  if (!hasId(state.customers, customerId)) {
    return std::nullopt;
  }
  return byId(state.customers, customerId);
}

std::vector<LedgerEntry> ledgerOf(const State& state, int64_t customerId) {
  std::vector<LedgerEntry> entries;
  for (const LedgerEntry& entry : state.ledger) {
    if (entry.customerId == customerId) {
      entries.push_back(entry);
    }
  }
  return entries;
}

std::optional<std::string> habitProfileOf(const State& state, int64_t customerId) {
  auto it = state.habitProfiles.find(customerId);
  if (it == state.habitProfiles.end()) {
    return std::nullopt;
  }
  return *it->second;
}

std::optional<std::string> settingOf(const State& state, const std::string& name) {
  auto it = state.settings.find(name);
  if (it == state.settings.end()) {
    return std::nullopt;
  }
  return *it->second;
}

std::optional<Campaign> campaignById(const State& state, int64_t campaignId) {
  if (!hasId(state.campaigns, campaignId)) {
    return std::nullopt;
  }
  return byId(state.campaigns, campaignId);
}

std::optional<Coupon> couponBySerial(const State& state, uint64_t serial) {
  if (!hasSerial(state.coupons, serial)) {
    return std::nullopt;
  }
  return state.coupons[serial - 1];
}

template <typename Pred>
std::vector<Coupon> couponsWhere(const State& state, Pred pred) {
  std::vector<Coupon> coupons;
  for (const Coupon& coupon : state.coupons) {
    if (pred(coupon)) {
      coupons.push_back(coupon);
    }
  }
  return coupons;
}

std::vector<Coupon> couponsOf(const State& state, int64_t customerId) {
  return couponsWhere(state, [&](const Coupon& c) { return c.customerId == customerId; });
}

std::optional<User> userByName(const State& state, const std::string& name) {
  auto it = state.users.find(name);
  if (it == state.users.end()) {
    return std::nullopt;
  }
  return it->second;
}

Status checkLists(const std::string& what, const std::vector<std::string>& a,
                  const std::vector<std::string>& b) {
  if (Status s = checkNameList(what, a); !s.ok()) {
    return s;
  }
  return checkNameList(what, b);
}

// The StoreWriter over a private copy of the state. Each method checks everything before it
// changes anything, so a failed call leaves the copy as it was.
class MemoryWriter final : public domain::StoreWriter {
 public:
  explicit MemoryWriter(State& state) : state_(state) {}

  Result<std::optional<Customer>> findCustomer(const std::string& card) override {
    return customerByCard(state_, card);
  }

  Result<std::optional<Customer>> findCustomerById(int64_t customerId) override {
    return customerById(state_, customerId);
  }

  Result<Customer> insertCustomer(const std::string& card, int64_t nowMs) override {
    if (state_.customerByCard.count(card) != 0) {
      return constraint("insert customer", "card already enrolled");
    }
    Customer customer;
    customer.id = static_cast<int64_t>(state_.customers.size()) + 1;
    customer.card = card;
    customer.enrolledAtMs = nowMs;
    state_.customers.push_back(customer);
    state_.customerByCard.emplace(card, customer.id);
    return customer;
  }

  Result<std::optional<Sale>> findSale(const TxnKey& key) override {
    auto it = state_.saleByKey.find(keyOf(key));
    if (it == state_.saleByKey.end()) {
      return std::optional<Sale>();
    }
    return std::optional<Sale>(byId(state_.sales, it->second));
  }

  Result<std::optional<Refund>> findRefund(const TxnKey& key) override {
    auto it = state_.refundByKey.find(keyOf(key));
    if (it == state_.refundByKey.end()) {
      return std::optional<Refund>();
    }
    return std::optional<Refund>(byId(state_.refunds, it->second));
  }

  Result<int64_t> insertSale(const Sale& sale) override {
    const std::string what = "insert sale";
    if (state_.saleByKey.count(keyOf(sale.key)) != 0) {
      return constraint(what, "a sale with this key exists");
    }
    if (sale.customerId != 0 && !hasId(state_.customers, sale.customerId)) {
      return constraint(what, "no customer " + std::to_string(sale.customerId));
    }
    Sale stored = sale;
    std::sort(stored.lines.begin(), stored.lines.end(),
              [](const SaleLine& a, const SaleLine& b) { return a.line < b.line; });
    for (size_t i = 0; i < stored.lines.size(); ++i) {
      const SaleLine& line = stored.lines[i];
      if (i > 0 && stored.lines[i - 1].line == line.line) {
        return constraint("insert sale line", "line " + std::to_string(line.line) + " twice");
      }
      if (line.refundedQuantity < 0 || line.refundedQuantity > line.quantity) {
        return constraint("insert sale line", "refunded quantity out of range");
      }
    }
    stored.id = static_cast<int64_t>(state_.sales.size()) + 1;
    state_.saleByKey.emplace(keyOf(stored.key), stored.id);
    state_.sales.push_back(std::move(stored));
    return state_.sales.back().id;
  }

  Result<int64_t> insertRefund(const Refund& refund) override {
    const std::string what = "insert refund";
    if (state_.refundByKey.count(keyOf(refund.key)) != 0) {
      return constraint(what, "a refund with this key exists");
    }
    if (!hasId(state_.sales, refund.saleId)) {
      return constraint(what, "no sale " + std::to_string(refund.saleId));
    }
    if (refund.customerId != 0 && !hasId(state_.customers, refund.customerId)) {
      return constraint(what, "no customer " + std::to_string(refund.customerId));
    }
    // Check every line against the sale as it would be after the earlier lines of this refund.
    Sale sale = byId(state_.sales, refund.saleId);
    for (const RefundedLine& refunded : refund.lines) {
      auto it = std::find_if(sale.lines.begin(), sale.lines.end(),
                             [&](const SaleLine& line) { return line.line == refunded.line; });
      if (it == sale.lines.end()) {
        return base::makeError(ErrorCode::kUnknownLine,
                               "refund of line " + std::to_string(refunded.line) + ": sale " +
                                   std::to_string(refund.saleId) + " has no such line");
      }
      int64_t after = it->refundedQuantity + refunded.quantity;
      if (after < 0 || after > it->quantity) {
        return constraint("update refunded quantity", "refunded quantity out of range");
      }
      it->refundedQuantity = after;
    }
    byId(state_.sales, refund.saleId) = std::move(sale);
    Refund stored = refund;
    stored.id = static_cast<int64_t>(state_.refunds.size()) + 1;
    state_.refundByKey.emplace(keyOf(stored.key), stored.id);
    state_.refunds.push_back(std::move(stored));
    return state_.refunds.back().id;
  }

  Result<Points> appendLedger(const LedgerEntry& entry) override {
    const std::string what = "append ledger";
    if (!hasId(state_.customers, entry.customerId)) {
      return base::makeError(ErrorCode::kUnknownCustomer,
                             what + ": no customer " + std::to_string(entry.customerId));
    }
    if (!hasOptionalId(state_.sales, entry.saleId)) {
      return constraint(what, "no sale " + std::to_string(*entry.saleId));
    }
    if (!hasOptionalId(state_.refunds, entry.refundId)) {
      return constraint(what, "no refund " + std::to_string(*entry.refundId));
    }
    if (!validKind(entry.kind)) {
      return constraint(what, "unknown ledger kind");
    }
    Customer& customer = byId(state_.customers, entry.customerId);
    // The balance may go below zero (the "allow_negative" clawback policy), not overflow.
    std::optional<int64_t> balance =
        base::checkedAdd(customer.balance.value(), entry.points.value());
    if (!balance) {
      return constraint("update balance", "balance out of range");
    }
    LedgerEntry stored = entry;
    stored.id = static_cast<int64_t>(state_.ledger.size()) + 1;
    state_.ledger.push_back(stored);
    customer.balance = Points(*balance);
    return customer.balance;
  }

  Status upsertProduct(const Product& product) override {
    state_.products[product.sku] = product;
    return base::okStatus();
  }

  Result<std::optional<std::string>> findHabitProfile(int64_t customerId) override {
    return habitProfileOf(state_, customerId);
  }

  Status saveHabitProfile(int64_t customerId, std::string_view profile,
                          int64_t /*updatedAtMs*/) override {
    if (!hasId(state_.customers, customerId)) {
      return constraint("save habit profile", "no customer " + std::to_string(customerId));
    }
    state_.habitProfiles[customerId] = std::make_shared<const std::string>(profile);
    return base::okStatus();
  }

  // ---- Customers ----

  Status updateCustomer(const Customer& customer) override {
    const std::string what = "update customer";
    if (!hasId(state_.customers, customer.id)) {
      return base::makeError(ErrorCode::kUnknownCustomer,
                             what + ": no customer " + std::to_string(customer.id));
    }
    if (customer.debt < Points(0)) {
      return constraint(what, "debt below zero");
    }
    Customer& stored = byId(state_.customers, customer.id);
    stored.tier = customer.tier;
    stored.debt = customer.debt;
    return base::okStatus();
  }

  Result<Money> rollingSpend(int64_t customerId, int64_t sinceMs) override {
    // Overflow fails like SQLite's sum() does.
    int64_t spend = 0;
    for (const Sale& sale : state_.sales) {
      if (sale.customerId == customerId && sale.createdAtMs >= sinceMs &&
          __builtin_add_overflow(spend, sale.total.value(), &spend)) {
        return constraint("rolling spend", "integer overflow");
      }
    }
    for (const Refund& refund : state_.refunds) {
      if (refund.customerId == customerId && refund.createdAtMs >= sinceMs &&
          __builtin_sub_overflow(spend, refund.amount.value(), &spend)) {
        return constraint("rolling spend", "integer overflow");
      }
    }
    return Money(spend);
  }

  Result<std::vector<LedgerEntry>> ledgerOf(int64_t customerId) override {
    return storage::ledgerOf(state_, customerId);
  }

  Result<std::vector<int64_t>> customersWithPositiveBalance(int64_t afterId,
                                                            size_t limit) override {
    std::vector<int64_t> ids;
    const int64_t first = std::max<int64_t>(afterId, 0) + 1;
    for (int64_t id = first; hasId(state_.customers, id) && ids.size() < limit; ++id) {
      if (byId(state_.customers, id).balance > Points(0)) {
        ids.push_back(id);
      }
    }
    return ids;
  }

  // ---- Settings ----

  Result<std::optional<std::string>> findSetting(const std::string& name) override {
    return settingOf(state_, name);
  }

  Status saveSetting(const std::string& name, std::string_view value,
                     int64_t /*updatedAtMs*/) override {
    state_.settings[name] = std::make_shared<const std::string>(value);
    return base::okStatus();
  }

  // ---- Campaigns ----

  Result<int64_t> insertCampaign(const Campaign& campaign) override {
    const std::string what = "insert campaign";
    if (Status s = checkLists(what, campaign.tiers, campaign.stores); !s.ok()) {
      return s.error();
    }
    const auto id = static_cast<int64_t>(state_.campaigns.size()) + 1;
    if (id > kMaxCampaignId) {
      return constraint(what, "no campaign number left");
    }
    state_.campaigns.push_back(campaign);
    state_.campaigns.back().id = id;
    return id;
  }

  Status updateCampaign(const Campaign& campaign) override {
    const std::string what = "update campaign";
    if (Status s = checkLists(what, campaign.tiers, campaign.stores); !s.ok()) {
      return s;
    }
    if (!hasId(state_.campaigns, campaign.id)) {
      return base::makeError(ErrorCode::kUnknownCampaign,
                             what + ": no campaign " + std::to_string(campaign.id));
    }
    byId(state_.campaigns, campaign.id) = campaign;
    return base::okStatus();
  }

  Result<std::optional<Campaign>> findCampaign(int64_t campaignId) override {
    return campaignById(state_, campaignId);
  }

  Result<std::vector<Campaign>> campaigns() override { return state_.campaigns; }

  // ---- Coupons ----

  Result<uint64_t> insertCoupon(const Coupon& coupon) override {
    const std::string what = "insert coupon";
    if (!hasId(state_.campaigns, coupon.campaignId)) {
      return constraint(what, "no campaign " + std::to_string(coupon.campaignId));
    }
    if (!hasId(state_.customers, coupon.customerId)) {
      return constraint(what, "no customer " + std::to_string(coupon.customerId));
    }
    if (!hasOptionalId(state_.sales, coupon.issuedBySaleId) ||
        !hasOptionalId(state_.sales, coupon.redeemedBySaleId)) {
      return constraint(what, "no such sale");
    }
    state_.coupons.push_back(coupon);
    state_.coupons.back().serial = state_.coupons.size();
    return state_.coupons.back().serial;
  }

  Status updateCoupon(const Coupon& coupon) override {
    const std::string what = "update coupon";
    if (!hasSerial(state_.coupons, coupon.serial)) {
      return constraint(what, "no coupon " + std::to_string(coupon.serial));
    }
    if (!hasOptionalId(state_.sales, coupon.redeemedBySaleId)) {
      return constraint(what, "no sale " + std::to_string(*coupon.redeemedBySaleId));
    }
    Coupon& stored = state_.coupons[coupon.serial - 1];
    stored.code = coupon.code;
    stored.state = coupon.state;
    stored.reservedBy = coupon.reservedBy;
    stored.reservedUntilMs = coupon.reservedUntilMs;
    stored.redeemedBySaleId = coupon.redeemedBySaleId;
    return base::okStatus();
  }

  Result<std::optional<Coupon>> findCoupon(uint64_t serial) override {
    return couponBySerial(state_, serial);
  }

  Result<std::vector<Coupon>> couponsOf(int64_t customerId) override {
    return storage::couponsOf(state_, customerId);
  }

  Result<std::vector<Coupon>> couponsReservedBy(const TxnKey& key) override {
    return couponsWhere(state_, [&](const Coupon& c) { return c.reservedBy == key; });
  }

  Result<std::vector<Coupon>> couponsIssuedBySale(int64_t saleId) override {
    return couponsWhere(state_, [&](const Coupon& c) { return c.issuedBySaleId == saleId; });
  }

  Result<int64_t> countIssued(int64_t customerId, int64_t campaignId, int64_t sinceMs) override {
    return static_cast<int64_t>(
        std::count_if(state_.coupons.begin(), state_.coupons.end(), [&](const Coupon& c) {
          return c.customerId == customerId && c.campaignId == campaignId &&
                 c.issuedAtMs >= sinceMs;
        }));
  }

  // ---- Redemptions ----

  Result<int64_t> insertRedemption(const Redemption& redemption) override {
    const std::string what = "insert redemption";
    if (!hasSerial(state_.coupons, redemption.serial)) {
      return constraint(what, "no coupon " + std::to_string(redemption.serial));
    }
    if (!hasId(state_.campaigns, redemption.campaignId)) {
      return constraint(what, "no campaign " + std::to_string(redemption.campaignId));
    }
    if (!hasId(state_.customers, redemption.customerId)) {
      return constraint(what, "no customer " + std::to_string(redemption.customerId));
    }
    if (!hasId(state_.sales, redemption.saleId)) {
      return constraint(what, "no sale " + std::to_string(redemption.saleId));
    }
    if (!hasOptionalId(state_.refunds, redemption.returnedByRefundId)) {
      return constraint(what, "no refund " + std::to_string(*redemption.returnedByRefundId));
    }
    state_.redemptions.push_back(redemption);
    state_.redemptions.back().id = static_cast<int64_t>(state_.redemptions.size());
    return state_.redemptions.back().id;
  }

  Status markRedemptionReturned(int64_t redemptionId, int64_t refundId) override {
    const std::string what = "mark redemption returned";
    if (!hasId(state_.redemptions, redemptionId)) {
      return constraint(what, "no redemption " + std::to_string(redemptionId));
    }
    if (!hasId(state_.refunds, refundId)) {
      return constraint(what, "no refund " + std::to_string(refundId));
    }
    byId(state_.redemptions, redemptionId).returnedByRefundId = refundId;
    return base::okStatus();
  }

  Result<std::vector<Redemption>> redemptionsOfSale(int64_t saleId) override {
    std::vector<Redemption> redemptions;
    for (const Redemption& r : state_.redemptions) {
      if (r.saleId == saleId) {
        redemptions.push_back(r);
      }
    }
    return redemptions;
  }

  Result<int64_t> countRedemptions(int64_t customerId, int64_t campaignId,
                                   int64_t sinceMs) override {
    return static_cast<int64_t>(std::count_if(
        state_.redemptions.begin(), state_.redemptions.end(), [&](const Redemption& r) {
          return r.customerId == customerId && r.campaignId == campaignId &&
                 r.createdAtMs >= sinceMs && !r.returnedByRefundId;
        }));
  }

  // ---- Users, tokens, audit ----

  Status insertUser(const User& user) override {
    const std::string what = "insert user";
    if (Status s = checkNameList(what, user.stores); !s.ok()) {
      return s;
    }
    if (state_.users.count(user.name) != 0) {
      return base::makeError(ErrorCode::kInvalidState,
                             what + ": a user named " + user.name + " exists");
    }
    state_.users.emplace(user.name, user);
    return base::okStatus();
  }

  Status updateUser(const User& user) override {
    const std::string what = "update user";
    if (Status s = checkNameList(what, user.stores); !s.ok()) {
      return s;
    }
    auto it = state_.users.find(user.name);
    if (it == state_.users.end()) {
      return constraint(what, "no user " + user.name);
    }
    it->second = user;
    return base::okStatus();
  }

  Result<std::optional<User>> findUser(const std::string& name) override {
    return userByName(state_, name);
  }

  Result<int64_t> countUsers() override { return static_cast<int64_t>(state_.users.size()); }

  Status insertToken(const Token& token) override {
    const std::string what = "insert token";
    if (state_.users.count(token.user) == 0) {
      return constraint(what, "no user " + token.user);
    }
    if (!state_.tokens.emplace(token.hash, token).second) {
      return constraint(what, "a token with this hash exists");
    }
    return base::okStatus();
  }

  Result<int64_t> appendAudit(const AuditEntry& entry) override {
    state_.audit.push_back(entry);
    state_.audit.back().id = static_cast<int64_t>(state_.audit.size());
    return state_.audit.back().id;
  }

 private:
  State& state_;
};

}  // namespace

InMemoryStore::InMemoryStore() : state_(std::make_shared<const MemoryStoreState>()) {}

InMemoryStore::~InMemoryStore() = default;

std::shared_ptr<const MemoryStoreState> InMemoryStore::committed() {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

Status InMemoryStore::write(const WriteFn& fn) {
  if (writingThread_.load() == std::this_thread::get_id()) {
    return base::makeError(ErrorCode::kInternal, "write() called from inside a write fn");
  }
  std::lock_guard<std::mutex> writeLock(writeMu_);
  writingThread_.store(std::this_thread::get_id());
  auto next = std::make_shared<MemoryStoreState>(*committed());
  MemoryWriter writer(*next);
  Status result;
  try {
    result = fn(writer);
  } catch (const std::exception& e) {
    result = base::makeError(ErrorCode::kInternal, std::string("write fn threw: ") + e.what());
  } catch (...) {
    result = base::makeError(ErrorCode::kInternal, "write fn threw a non-exception");
  }
  if (result.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = std::move(next);
  }
  writingThread_.store(std::thread::id());
  return result;
}

Result<std::optional<Customer>> InMemoryStore::findCustomer(const std::string& card) {
  return customerByCard(*committed(), card);
}

Result<std::optional<Customer>> InMemoryStore::findCustomerById(int64_t customerId) {
  return customerById(*committed(), customerId);
}

Result<std::vector<Sale>> InMemoryStore::salesOf(int64_t customerId, size_t limit) {
  std::shared_ptr<const MemoryStoreState> state = committed();
  std::vector<Sale> sales;
  if (customerId == 0) {
    return sales;  // sales without a customer belong to nobody's history (as in SQLite: NULL)
  }
  for (auto it = state->sales.rbegin(); it != state->sales.rend() && sales.size() < limit; ++it) {
    if (it->customerId == customerId) {
      sales.push_back(*it);
    }
  }
  return sales;
}

Result<std::vector<Sale>> InMemoryStore::salesSince(int64_t sinceMs, int64_t afterSaleId,
                                                    size_t limit) {
  std::shared_ptr<const MemoryStoreState> state = committed();
  std::vector<Sale> sales;
  const int64_t first = std::max<int64_t>(afterSaleId, 0) + 1;
  for (int64_t id = first; hasId(state->sales, id) && sales.size() < limit; ++id) {
    const Sale& sale = byId(state->sales, id);
    if (sale.createdAtMs >= sinceMs) {
      sales.push_back(sale);
    }
  }
  return sales;
}

Result<std::vector<LedgerEntry>> InMemoryStore::ledgerOf(int64_t customerId) {
  return storage::ledgerOf(*committed(), customerId);
}

Result<std::optional<std::string>> InMemoryStore::habitProfile(int64_t customerId) {
  return habitProfileOf(*committed(), customerId);
}

Result<std::vector<Product>> InMemoryStore::products() {
  std::shared_ptr<const MemoryStoreState> state = committed();
  std::vector<Product> products;
  products.reserve(state->products.size());
  for (const auto& [sku, product] : state->products) {
    products.push_back(product);
  }
  return products;
}

Result<std::optional<std::string>> InMemoryStore::setting(const std::string& name) {
  return settingOf(*committed(), name);
}

Result<std::vector<Campaign>> InMemoryStore::campaigns() { return committed()->campaigns; }

Result<std::optional<Campaign>> InMemoryStore::findCampaign(int64_t campaignId) {
  return campaignById(*committed(), campaignId);
}

Result<std::vector<Coupon>> InMemoryStore::couponsOf(int64_t customerId) {
  return storage::couponsOf(*committed(), customerId);
}

Result<std::optional<Coupon>> InMemoryStore::findCoupon(uint64_t serial) {
  return couponBySerial(*committed(), serial);
}

Result<std::vector<std::pair<int64_t, std::string>>> InMemoryStore::habitProfiles(
    int64_t afterCustomerId, size_t limit) {
  std::shared_ptr<const MemoryStoreState> state = committed();
  std::vector<std::pair<int64_t, std::string>> profiles;
  for (auto it = state->habitProfiles.upper_bound(afterCustomerId);
       it != state->habitProfiles.end() && profiles.size() < limit; ++it) {
    profiles.emplace_back(it->first, *it->second);
  }
  return profiles;
}

Result<std::vector<Coupon>> InMemoryStore::couponsOfCampaign(int64_t campaignId,
                                                             uint64_t afterSerial, size_t limit) {
  std::shared_ptr<const MemoryStoreState> state = committed();
  std::vector<Coupon> coupons;
  // Serials are 1..size at index serial - 1: start at the first serial above afterSerial.
  for (uint64_t index = afterSerial; index < state->coupons.size() && coupons.size() < limit;
       ++index) {
    if (state->coupons[index].campaignId == campaignId) {
      coupons.push_back(state->coupons[index]);
    }
  }
  return coupons;
}

Result<std::vector<Redemption>> InMemoryStore::conflicts(size_t limit) {
  std::shared_ptr<const MemoryStoreState> state = committed();
  std::vector<Redemption> conflicts;
  for (auto it = state->redemptions.rbegin();
       it != state->redemptions.rend() && conflicts.size() < limit; ++it) {
    if (!it->conflict.empty()) {
      conflicts.push_back(*it);
    }
  }
  return conflicts;
}

Result<std::vector<User>> InMemoryStore::users() {
  std::shared_ptr<const MemoryStoreState> state = committed();
  std::vector<User> users;
  users.reserve(state->users.size());
  for (const auto& [name, user] : state->users) {
    users.push_back(user);
  }
  return users;
}

Result<std::optional<User>> InMemoryStore::findUser(const std::string& name) {
  return userByName(*committed(), name);
}

Result<std::optional<Token>> InMemoryStore::findToken(const std::string& hash) {
  std::shared_ptr<const MemoryStoreState> state = committed();
  auto it = state->tokens.find(hash);
  if (it == state->tokens.end()) {
    return std::optional<Token>();
  }
  return std::optional<Token>(it->second);
}

Result<std::vector<AuditEntry>> InMemoryStore::audit(int64_t beforeId, size_t limit) {
  std::shared_ptr<const MemoryStoreState> state = committed();
  std::vector<AuditEntry> entries;
  const auto size = static_cast<int64_t>(state->audit.size());
  // Ids are 1..size: start below beforeId (0 = from the newest).
  int64_t id = beforeId <= 0 || beforeId > size ? size : beforeId - 1;
  if (beforeId < 0) {
    id = 0;  // no id is below a negative one
  }
  for (; id >= 1 && entries.size() < limit; --id) {
    entries.push_back(byId(state->audit, id));
  }
  return entries;
}

}  // namespace loyalty::core::storage

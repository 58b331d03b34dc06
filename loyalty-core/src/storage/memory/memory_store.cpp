#include "storage/memory/memory_store.h"

#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <string_view>
#include <tuple>
#include <utility>

namespace loyalty::core::storage {

using base::ErrorCode;
using base::Result;
using base::Status;
using domain::Customer;
using domain::LedgerEntry;
using domain::LedgerKind;
using domain::Points;
using domain::Product;
using domain::Refund;
using domain::RefundedLine;
using domain::Sale;
using domain::SaleLine;
using domain::TxnKey;

// Records live in vectors indexed by id - 1.
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
  // for a write copies pointers, not every profile.
  std::map<int64_t, std::shared_ptr<const std::string>> habitProfiles;
};

namespace {

using State = MemoryStoreState;

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
      return true;
  }
  return false;
}

// A record id is valid when 1 <= id <= size (records live at index id - 1).
template <typename T>
bool hasId(const std::vector<T>& records, int64_t id) {
  return id >= 1 && static_cast<uint64_t>(id) <= records.size();
}

// The StoreWriter over a private copy of the state. Each method checks everything before it
// changes anything, so a failed call leaves the copy as it was.
class MemoryWriter final : public domain::StoreWriter {
 public:
  explicit MemoryWriter(State& state) : state_(state) {}

  Result<std::optional<Customer>> findCustomer(const std::string& card) override {
    auto it = state_.customerByCard.find(card);
    if (it == state_.customerByCard.end()) {
      return std::optional<Customer>();
    }
    return std::optional<Customer>(state_.customers[static_cast<size_t>(it->second - 1)]);
  }

  Result<std::optional<Customer>> findCustomerById(int64_t customerId) override {
    if (!hasId(state_.customers, customerId)) {
      return std::optional<Customer>();
    }
    return std::optional<Customer>(state_.customers[static_cast<size_t>(customerId - 1)]);
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
    return std::optional<Sale>(state_.sales[static_cast<size_t>(it->second - 1)]);
  }

  Result<std::optional<Refund>> findRefund(const TxnKey& key) override {
    auto it = state_.refundByKey.find(keyOf(key));
    if (it == state_.refundByKey.end()) {
      return std::optional<Refund>();
    }
    return std::optional<Refund>(state_.refunds[static_cast<size_t>(it->second - 1)]);
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
    Sale sale = state_.sales[static_cast<size_t>(refund.saleId - 1)];
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
    state_.sales[static_cast<size_t>(refund.saleId - 1)] = std::move(sale);
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
    if (entry.saleId && !hasId(state_.sales, *entry.saleId)) {
      return constraint(what, "no sale " + std::to_string(*entry.saleId));
    }
    if (entry.refundId && !hasId(state_.refunds, *entry.refundId)) {
      return constraint(what, "no refund " + std::to_string(*entry.refundId));
    }
    if (!validKind(entry.kind)) {
      return constraint(what, "unknown ledger kind");
    }
    Customer& customer = state_.customers[static_cast<size_t>(entry.customerId - 1)];
    std::optional<int64_t> balance =
        base::checkedAdd(customer.balance.value(), entry.points.value());
    if (!balance || *balance < 0) {
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
    auto it = state_.habitProfiles.find(customerId);
    if (it == state_.habitProfiles.end()) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(*it->second);
  }

  Status saveHabitProfile(int64_t customerId, std::string_view profile,
                          int64_t /*updatedAtMs*/) override {
    if (!hasId(state_.customers, customerId)) {
      return constraint("save habit profile", "no customer " + std::to_string(customerId));
    }
    state_.habitProfiles[customerId] = std::make_shared<const std::string>(profile);
    return base::okStatus();
  }

 private:
  State& state_;
};

}  // namespace

InMemoryStore::InMemoryStore() : state_(std::make_shared<const MemoryStoreState>()) {}

InMemoryStore::~InMemoryStore() = default;

Status InMemoryStore::write(const WriteFn& fn) {
  if (writingThread_.load() == std::this_thread::get_id()) {
    return base::makeError(ErrorCode::kInternal, "write() called from inside a write fn");
  }
  std::lock_guard<std::mutex> writeLock(writeMu_);
  writingThread_.store(std::this_thread::get_id());
  std::shared_ptr<const MemoryStoreState> current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current = state_;
  }
  auto next = std::make_shared<MemoryStoreState>(*current);
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
  std::shared_ptr<const MemoryStoreState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state = state_;
  }
  auto it = state->customerByCard.find(card);
  if (it == state->customerByCard.end()) {
    return std::optional<Customer>();
  }
  return std::optional<Customer>(state->customers[static_cast<size_t>(it->second - 1)]);
}

Result<std::vector<Sale>> InMemoryStore::salesOf(int64_t customerId, size_t limit) {
  std::shared_ptr<const MemoryStoreState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state = state_;
  }
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

Result<std::vector<LedgerEntry>> InMemoryStore::ledgerOf(int64_t customerId) {
  std::shared_ptr<const MemoryStoreState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state = state_;
  }
  std::vector<LedgerEntry> entries;
  for (const LedgerEntry& entry : state->ledger) {
    if (entry.customerId == customerId) {
      entries.push_back(entry);
    }
  }
  return entries;
}

Result<std::optional<std::string>> InMemoryStore::habitProfile(int64_t customerId) {
  std::shared_ptr<const MemoryStoreState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state = state_;
  }
  auto it = state->habitProfiles.find(customerId);
  if (it == state->habitProfiles.end()) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(*it->second);
}

Result<std::vector<Product>> InMemoryStore::products() {
  std::shared_ptr<const MemoryStoreState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state = state_;
  }
  std::vector<Product> products;
  products.reserve(state->products.size());
  for (const auto& [sku, product] : state->products) {
    products.push_back(product);
  }
  return products;
}

}  // namespace loyalty::core::storage

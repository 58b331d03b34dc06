// The LoyaltyStore contract, run on every backend (InMemoryStore, SqliteStore).
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage_test_util.h"

namespace loyalty::core::storage::testing {
namespace {

using base::ErrorCode;
using base::Money;
using base::Points;
using base::Result;
using base::Status;
using domain::Customer;
using domain::LedgerEntry;
using domain::LedgerKind;
using domain::Product;
using domain::Refund;
using domain::RefundedLine;
using domain::Sale;
using domain::StoreWriter;

LedgerEntry ledgerEntry(int64_t customerId, LedgerKind kind, int64_t points,
                        std::optional<int64_t> saleId = std::nullopt,
                        std::optional<int64_t> refundId = std::nullopt, int64_t atMs = 5'000) {
  LedgerEntry entry;
  entry.customerId = customerId;
  entry.kind = kind;
  entry.points = Points(points);
  entry.saleId = saleId;
  entry.refundId = refundId;
  entry.createdAtMs = atMs;
  return entry;
}

// Appends entry in its own write; returns the write's outcome and the balance reported.
Result<Points> append(domain::LoyaltyStore& store, const LedgerEntry& entry) {
  Points balance;
  Status status = store.write([&](StoreWriter& writer) -> Status {
    Result<Points> appended = writer.appendLedger(entry);
    if (!appended.ok()) {
      return appended.error();
    }
    balance = *appended;
    return base::okStatus();
  });
  if (!status.ok()) {
    return status.error();
  }
  return balance;
}

Refund makeRefund(const std::string& txn, const Sale& sale, int64_t saleId,
                  std::vector<RefundedLine> lines) {
  Refund refund;
  refund.key = txnKey(txn);
  refund.fingerprint = 0xfedc'ba98'7654'3210ULL;
  refund.saleId = saleId;
  refund.customerId = sale.customerId;
  refund.lines = std::move(lines);
  refund.amount = Money(250);
  refund.pointsReversed = Points(2);
  refund.balanceAfter = Points(0);
  refund.createdAtMs = 1'700'000'100'000;
  return refund;
}

Result<int64_t> storeRefund(domain::LoyaltyStore& store, const Refund& refund) {
  int64_t id = 0;
  Status status = store.write([&](StoreWriter& writer) -> Status {
    Result<int64_t> inserted = writer.insertRefund(refund);
    if (!inserted.ok()) {
      return inserted.error();
    }
    id = *inserted;
    return base::okStatus();
  });
  if (!status.ok()) {
    return status.error();
  }
  return id;
}

void checkSameLines(const Sale& actual, const Sale& expected) {
  REQUIRE(actual.lines.size() == expected.lines.size());
  for (size_t i = 0; i < expected.lines.size(); ++i) {
    CHECK(actual.lines[i].line == expected.lines[i].line);
    CHECK(actual.lines[i].sku == expected.lines[i].sku);
    CHECK(actual.lines[i].quantity == expected.lines[i].quantity);
    CHECK(actual.lines[i].unitPrice == expected.lines[i].unitPrice);
    CHECK(actual.lines[i].earns == expected.lines[i].earns);
    CHECK(actual.lines[i].refundedQuantity == expected.lines[i].refundedQuantity);
    CHECK(actual.lines[i].discount == expected.lines[i].discount);
    CHECK(actual.lines[i].pointsTendered == expected.lines[i].pointsTendered);
    CHECK(actual.lines[i].pointsTenderValue == expected.lines[i].pointsTenderValue);
  }
  REQUIRE(actual.tenders.size() == expected.tenders.size());
  for (size_t i = 0; i < expected.tenders.size(); ++i) {
    CHECK(actual.tenders[i].type == expected.tenders[i].type);
    CHECK(actual.tenders[i].amount == expected.tenders[i].amount);
  }
}

void checkSameSale(const Sale& actual, const Sale& expected) {
  CHECK(actual.key == expected.key);
  CHECK(actual.fingerprint == expected.fingerprint);
  CHECK(actual.customerId == expected.customerId);
  CHECK(actual.total == expected.total);
  CHECK(actual.pointsEarned == expected.pointsEarned);
  CHECK(actual.balanceAfter == expected.balanceAfter);
  CHECK(actual.createdAtMs == expected.createdAtMs);
  CHECK(actual.tier == expected.tier);
  CHECK(actual.discountTotal == expected.discountTotal);
  CHECK(actual.pointsRedeemed == expected.pointsRedeemed);
  CHECK(actual.couponBonus == expected.couponBonus);
  checkSameLines(actual, expected);
}

#define LOYALTY_BACKENDS MemoryBackend, SqliteBackend

TEMPLATE_TEST_CASE("LoyaltyStore: inserts and finds customers", "[storage]", LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();

  Customer first = enrol(*store, "6001", 111);
  Customer second = enrol(*store, "6002", 222);
  CHECK(first.id == 1);
  CHECK(second.id == 2);
  CHECK(first.tier == "base");
  CHECK(first.balance == Points(0));

  Result<std::optional<Customer>> found = store->findCustomer("6002");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  const Customer& customer = **found;
  CHECK(customer.id == 2);
  CHECK(customer.card == "6002");
  CHECK(customer.tier == "base");
  CHECK(customer.balance == Points(0));
  CHECK(customer.enrolledAtMs == 222);

  Result<std::optional<Customer>> missing = store->findCustomer("6999");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());

  // Inside a write, the fn sees its own uncommitted insert, by card and by id.
  Status status = store->write([&](StoreWriter& writer) -> Status {
    Result<Customer> third = writer.insertCustomer("6003", 333);
    REQUIRE(third.ok());
    CHECK(third->id == 3);
    Result<std::optional<Customer>> byCard = writer.findCustomer("6003");
    REQUIRE(byCard.ok());
    REQUIRE(byCard->has_value());
    CHECK((*byCard)->id == 3);
    Result<std::optional<Customer>> byId = writer.findCustomerById(3);
    REQUIRE(byId.ok());
    REQUIRE(byId->has_value());
    CHECK((*byId)->card == "6003");
    CHECK((*byId)->enrolledAtMs == 333);
    Result<std::optional<Customer>> unknown = writer.findCustomerById(99);
    REQUIRE(unknown.ok());
    CHECK_FALSE(unknown->has_value());
    return base::okStatus();
  });
  CHECK(status.ok());
}

TEMPLATE_TEST_CASE("LoyaltyStore: a card is enrolled only once", "[storage]", LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer first = enrol(*store, "6001", 111);

  Status again = store->write([](StoreWriter& writer) -> Status {
    Result<Customer> inserted = writer.insertCustomer("6001", 999);
    return inserted.ok() ? base::okStatus() : Status(inserted.error());
  });
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kStorageFailure);

  // The same within one fn: the second insert fails, the fn decides what to do with it.
  Status twice = store->write([](StoreWriter& writer) -> Status {
    REQUIRE(writer.insertCustomer("6002", 1).ok());
    Result<Customer> duplicate = writer.insertCustomer("6002", 2);
    CHECK_FALSE(duplicate.ok());
    return base::okStatus();
  });
  CHECK(twice.ok());

  Result<std::optional<Customer>> found = store->findCustomer("6001");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->id == first.id);
  CHECK((*found)->enrolledAtMs == 111);
  Result<std::optional<Customer>> other = store->findCustomer("6002");
  REQUIRE(other.ok());
  REQUIRE(other->has_value());
  CHECK((*other)->enrolledAtMs == 1);
}

TEMPLATE_TEST_CASE("LoyaltyStore: a sale reads back as it was stored", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");

  Sale sale = makeSale("0001", customer.id,
                       {saleLine(1, "4001", 2, 199), saleLine(2, "4002", 1, 1'250, false),
                        saleLine(7, "4003", 3, 5)});
  sale.fingerprint = 0xf00d'0000'0000'0001ULL;  // high bit set: stored as its bit pattern
  sale.tenders = {domain::Tender{"card", Money(1'000)}, domain::Tender{"cash", Money(663)}};
  const int64_t id = storeSale(*store, sale);
  CHECK(id == 1);

  std::optional<Sale> found = readSale(*store, sale.key);
  REQUIRE(found.has_value());
  CHECK(found->id == id);
  checkSameSale(*found, sale);

  CHECK_FALSE(readSale(*store, txnKey("0002")).has_value());
  domain::TxnKey otherTerminal = sale.key;
  otherTerminal.terminal = "T02";
  CHECK_FALSE(readSale(*store, otherTerminal).has_value());

  Result<std::vector<Sale>> history = store->salesOf(customer.id, 10);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 1);
  CHECK(history->front().id == id);
  checkSameSale(history->front(), sale);
}

TEMPLATE_TEST_CASE("LoyaltyStore: sale lines come back ordered by line number", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Sale sale = makeSale("0001", 0,
                       {saleLine(3, "c", 1, 30), saleLine(1, "a", 1, 10), saleLine(2, "b", 1, 20)});
  storeSale(*store, sale);

  std::optional<Sale> found = readSale(*store, sale.key);
  REQUIRE(found.has_value());
  REQUIRE(found->lines.size() == 3);
  CHECK(found->lines[0].sku == "a");
  CHECK(found->lines[1].sku == "b");
  CHECK(found->lines[2].sku == "c");
  CHECK(found->customerId == 0);  // a sale without a customer
}

TEMPLATE_TEST_CASE("LoyaltyStore: a sale with many lines reads back whole", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  // Sizes around the SQLite store's 8-rows-per-INSERT chunks; line numbers out of order.
  for (int size : {7, 8, 9, 16, 21, 500}) {
    std::vector<domain::SaleLine> lines;
    for (int i = 0; i < size; ++i) {
      // A permutation of 1..size: 11 is coprime to each size.
      const int64_t number = (static_cast<int64_t>(i) * 11) % size + 1;
      lines.push_back(saleLine(number, "sku-" + std::to_string(number), number % 5 + 1,
                               100 * number, number % 3 != 0));
    }
    Sale sale = makeSale("many-" + std::to_string(size), 0, lines);
    storeSale(*store, sale);
    std::optional<Sale> found = readSale(*store, sale.key);
    REQUIRE(found.has_value());
    REQUIRE(found->lines.size() == static_cast<size_t>(size));
    for (int i = 0; i < size; ++i) {
      const domain::SaleLine& line = found->lines[static_cast<size_t>(i)];
      const int64_t number = i + 1;
      CHECK(line.line == number);
      CHECK(line.sku == "sku-" + std::to_string(number));
      CHECK(line.quantity == number % 5 + 1);
      CHECK(line.unitPrice == Money(100 * number));
      CHECK(line.earns == (number % 3 != 0));
    }
  }
}

TEMPLATE_TEST_CASE("LoyaltyStore: a sale key is used only once", "[storage]", LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Sale sale = makeSale("0001", 0, {saleLine(1, "a", 1, 10)});
  storeSale(*store, sale);

  Sale again = makeSale("0001", 0, {saleLine(1, "b", 2, 20)});
  Status status = store->write([&](StoreWriter& writer) -> Status {
    Result<int64_t> inserted = writer.insertSale(again);
    return inserted.ok() ? base::okStatus() : Status(inserted.error());
  });
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == ErrorCode::kStorageFailure);

  std::optional<Sale> found = readSale(*store, sale.key);
  REQUIRE(found.has_value());
  REQUIRE(found->lines.size() == 1);
  CHECK(found->lines[0].sku == "a");
}

TEMPLATE_TEST_CASE("LoyaltyStore: a refund adds to the refunded quantity", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  Sale sale = makeSale("0001", customer.id,
                       {saleLine(1, "a", 2, 100), saleLine(2, "b", 3, 50), saleLine(3, "c", 1, 9)});
  const int64_t saleId = storeSale(*store, sale);

  Refund refund = makeRefund("0002", sale, saleId, {RefundedLine{2, 2}, RefundedLine{1, 1}});
  Result<int64_t> refundId = storeRefund(*store, refund);
  REQUIRE(refundId.ok());
  CHECK(*refundId == 1);

  std::optional<Sale> after = readSale(*store, sale.key);
  REQUIRE(after.has_value());
  REQUIRE(after->lines.size() == 3);
  CHECK(after->lines[0].refundedQuantity == 1);
  CHECK(after->lines[1].refundedQuantity == 2);
  CHECK(after->lines[2].refundedQuantity == 0);

  std::optional<Refund> found;
  Status read = store->write([&](StoreWriter& writer) -> Status {
    Result<std::optional<Refund>> result = writer.findRefund(refund.key);
    REQUIRE(result.ok());
    found = *result;
    Result<std::optional<Refund>> none = writer.findRefund(txnKey("0001"));  // the sale's key
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
    return base::okStatus();
  });
  REQUIRE(read.ok());
  REQUIRE(found.has_value());
  CHECK(found->id == *refundId);
  CHECK(found->key == refund.key);
  CHECK(found->fingerprint == refund.fingerprint);
  CHECK(found->saleId == saleId);
  CHECK(found->customerId == customer.id);
  CHECK(found->amount == refund.amount);
  CHECK(found->pointsReversed == refund.pointsReversed);
  CHECK(found->balanceAfter == refund.balanceAfter);
  CHECK(found->createdAtMs == refund.createdAtMs);
  REQUIRE(found->lines.size() == 2);  // in the order given
  CHECK(found->lines[0].line == 2);
  CHECK(found->lines[0].quantity == 2);
  CHECK(found->lines[1].line == 1);
  CHECK(found->lines[1].quantity == 1);

  // A second refund of the same sale adds up; salesOf shows the refunded quantities too.
  REQUIRE(storeRefund(*store, makeRefund("0003", sale, saleId, {RefundedLine{2, 1}})).ok());
  Result<std::vector<Sale>> history = store->salesOf(customer.id, 1);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 1);
  REQUIRE(history->front().lines.size() == 3);
  CHECK(history->front().lines[1].refundedQuantity == 3);
}

TEMPLATE_TEST_CASE("LoyaltyStore: a refund beyond the sale stores nothing", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Sale sale = makeSale("0001", 0, {saleLine(1, "a", 2, 100), saleLine(2, "b", 1, 50)});
  const int64_t saleId = storeSale(*store, sale);

  SECTION("a line the sale does not have is kUnknownLine") {
    Result<int64_t> refund =
        storeRefund(*store, makeRefund("0002", sale, saleId, {RefundedLine{1, 1}, {9, 1}}));
    REQUIRE_FALSE(refund.ok());
    CHECK(refund.error().code == ErrorCode::kUnknownLine);
  }
  SECTION("more units than were sold is kStorageFailure") {
    Result<int64_t> refund =
        storeRefund(*store, makeRefund("0002", sale, saleId, {RefundedLine{1, 1}, {2, 2}}));
    REQUIRE_FALSE(refund.ok());
    CHECK(refund.error().code == ErrorCode::kStorageFailure);
  }
  SECTION("an unknown sale is kStorageFailure") {
    Result<int64_t> refund =
        storeRefund(*store, makeRefund("0002", sale, saleId + 1, {RefundedLine{1, 1}}));
    REQUIRE_FALSE(refund.ok());
    CHECK(refund.error().code == ErrorCode::kStorageFailure);
  }

  std::optional<Sale> after = readSale(*store, sale.key);
  REQUIRE(after.has_value());
  CHECK(after->lines[0].refundedQuantity == 0);
  CHECK(after->lines[1].refundedQuantity == 0);
  Status read = store->write([](StoreWriter& writer) -> Status {
    Result<std::optional<Refund>> found = writer.findRefund(txnKey("0002"));
    REQUIRE(found.ok());
    CHECK_FALSE(found->has_value());
    return base::okStatus();
  });
  CHECK(read.ok());
}

TEMPLATE_TEST_CASE("LoyaltyStore: appendLedger changes the balance and returns it", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  Sale sale = makeSale("0001", customer.id, {saleLine(1, "a", 1, 10'000)});
  const int64_t saleId = storeSale(*store, sale);

  Result<Points> earned = append(*store, ledgerEntry(customer.id, LedgerKind::kEarn, 100, saleId));
  REQUIRE(earned.ok());
  CHECK(*earned == Points(100));
  Result<Points> adjusted = append(*store, ledgerEntry(customer.id, LedgerKind::kAdjustment, -30));
  REQUIRE(adjusted.ok());
  CHECK(*adjusted == Points(70));

  Result<std::optional<Customer>> found = store->findCustomer("6001");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->balance == Points(70));

  size_t expectedEntries = 2;
  SECTION("an unknown customer is kUnknownCustomer") {
    Result<Points> unknown = append(*store, ledgerEntry(42, LedgerKind::kAdjustment, 5));
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().code == ErrorCode::kUnknownCustomer);
  }
  SECTION("a balance may go below zero (the allow_negative clawback policy)") {
    Result<Points> negative = append(*store, ledgerEntry(customer.id, LedgerKind::kRefund, -71));
    REQUIRE(negative.ok());
    CHECK(*negative == Points(-1));
    Result<Points> back = append(*store, ledgerEntry(customer.id, LedgerKind::kAdjustment, 71));
    REQUIRE(back.ok());
    CHECK(*back == Points(70));
    expectedEntries = 4;
  }
  SECTION("an entry naming an unknown sale is refused") {
    Result<Points> dangling =
        append(*store, ledgerEntry(customer.id, LedgerKind::kEarn, 5, saleId + 1));
    REQUIRE_FALSE(dangling.ok());
    CHECK(dangling.error().code == ErrorCode::kStorageFailure);
  }

  Result<std::optional<Customer>> after = store->findCustomer("6001");
  REQUIRE(after.ok());
  REQUIRE(after->has_value());
  CHECK((*after)->balance == Points(70));
  Result<std::vector<LedgerEntry>> ledger = store->ledgerOf(customer.id);
  REQUIRE(ledger.ok());
  CHECK(ledger->size() == expectedEntries);
}

TEMPLATE_TEST_CASE("LoyaltyStore: ledgerOf lists a customer's entries oldest first", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer alice = enrol(*store, "6001");
  Customer bob = enrol(*store, "6002");
  Sale sale = makeSale("0001", alice.id, {saleLine(1, "a", 2, 100)});
  const int64_t saleId = storeSale(*store, sale);
  Result<int64_t> refundId =
      storeRefund(*store, makeRefund("0002", sale, saleId, {RefundedLine{1, 1}}));
  REQUIRE(refundId.ok());

  REQUIRE(append(*store, ledgerEntry(alice.id, LedgerKind::kEarn, 50, saleId, {}, 10)).ok());
  REQUIRE(append(*store, ledgerEntry(bob.id, LedgerKind::kAdjustment, 7, {}, {}, 11)).ok());
  REQUIRE(append(*store, ledgerEntry(alice.id, LedgerKind::kRefund, -20, {}, *refundId, 12)).ok());
  REQUIRE(append(*store, ledgerEntry(alice.id, LedgerKind::kExpiry, -5, {}, {}, 13)).ok());

  Result<std::vector<LedgerEntry>> ledger = store->ledgerOf(alice.id);
  REQUIRE(ledger.ok());
  REQUIRE(ledger->size() == 3);
  const std::vector<LedgerEntry>& entries = *ledger;
  CHECK(entries[0].id == 1);
  CHECK(entries[1].id == 3);
  CHECK(entries[2].id == 4);
  CHECK(entries[0].kind == LedgerKind::kEarn);
  CHECK(entries[1].kind == LedgerKind::kRefund);
  CHECK(entries[2].kind == LedgerKind::kExpiry);
  CHECK(entries[0].points == Points(50));
  CHECK(entries[1].points == Points(-20));
  CHECK(entries[0].saleId == std::optional<int64_t>(saleId));
  CHECK_FALSE(entries[0].refundId.has_value());
  CHECK_FALSE(entries[1].saleId.has_value());
  CHECK(entries[1].refundId == std::optional<int64_t>(*refundId));
  CHECK(entries[2].createdAtMs == 13);
  for (const LedgerEntry& entry : entries) {
    CHECK(entry.customerId == alice.id);
  }

  Result<std::vector<LedgerEntry>> bobs = store->ledgerOf(bob.id);
  REQUIRE(bobs.ok());
  REQUIRE(bobs->size() == 1);
  CHECK(bobs->front().kind == LedgerKind::kAdjustment);
  Result<std::vector<LedgerEntry>> nobody = store->ledgerOf(99);
  REQUIRE(nobody.ok());
  CHECK(nobody->empty());
}

TEMPLATE_TEST_CASE("LoyaltyStore: salesOf returns newest first, at most limit", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer alice = enrol(*store, "6001");
  Customer bob = enrol(*store, "6002");

  // Sale i of alice has i lines, so that lines attached to the wrong sale would show.
  std::vector<int64_t> aliceSales;
  for (int i = 1; i <= 5; ++i) {
    std::vector<domain::SaleLine> lines;
    for (int line = 1; line <= i; ++line) {
      lines.push_back(saleLine(line, "sku" + std::to_string(i), 1, 10 * i));
    }
    aliceSales.push_back(storeSale(*store, makeSale("a" + std::to_string(i), alice.id, lines)));
    if (i == 2) {
      storeSale(*store, makeSale("b1", bob.id, {saleLine(1, "bob", 4, 1)}));
      storeSale(*store, makeSale("anon", 0, {saleLine(1, "anon", 1, 1)}));
    }
  }

  Result<std::vector<Sale>> latest = store->salesOf(alice.id, 3);
  REQUIRE(latest.ok());
  REQUIRE(latest->size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const Sale& sale = (*latest)[i];
    const int n = 5 - static_cast<int>(i);
    CHECK(sale.id == aliceSales[static_cast<size_t>(n - 1)]);
    CHECK(sale.key.txn == "a" + std::to_string(n));
    REQUIRE(sale.lines.size() == static_cast<size_t>(n));
    for (const domain::SaleLine& line : sale.lines) {
      CHECK(line.sku == "sku" + std::to_string(n));
    }
    REQUIRE(sale.tenders.size() == 1);
    CHECK(sale.tenders[0].amount == sale.total);
  }

  Result<std::vector<Sale>> all = store->salesOf(alice.id, 100);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 5);
  CHECK(all->back().key.txn == "a1");

  Result<std::vector<Sale>> none = store->salesOf(alice.id, 0);
  REQUIRE(none.ok());
  CHECK(none->empty());

  Result<std::vector<Sale>> bobs = store->salesOf(bob.id, 10);
  REQUIRE(bobs.ok());
  REQUIRE(bobs->size() == 1);
  REQUIRE(bobs->front().lines.size() == 1);
  CHECK(bobs->front().lines[0].quantity == 4);

  Result<std::vector<Sale>> nobody = store->salesOf(0, 10);  // sales without a customer
  REQUIRE(nobody.ok());
  CHECK(nobody->empty());
}

TEMPLATE_TEST_CASE("LoyaltyStore: a fn that fails leaves nothing behind", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();

  auto writeEverything = [](StoreWriter& writer) {
    Result<Customer> customer = writer.insertCustomer("6001", 1);
    REQUIRE(customer.ok());
    Result<int64_t> saleId =
        writer.insertSale(makeSale("0001", customer->id, {saleLine(1, "a", 1, 10)}));
    REQUIRE(saleId.ok());
    REQUIRE(writer.appendLedger(ledgerEntry(customer->id, LedgerKind::kEarn, 9, *saleId)).ok());
    REQUIRE(writer.upsertProduct(Product{"a", "Apple", "fruit", "Orchard"}).ok());
  };

  SECTION("by returning an error: write returns that error") {
    Status status = store->write([&](StoreWriter& writer) -> Status {
      writeEverything(writer);
      return base::makeError(ErrorCode::kIdempotencyConflict, "changed my mind");
    });
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kIdempotencyConflict);
    CHECK(status.error().message == "changed my mind");
  }
  SECTION("by throwing: write returns kInternal") {
    Status status = store->write([&](StoreWriter& writer) -> Status {
      writeEverything(writer);
      throw std::runtime_error("boom");
    });
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kInternal);
  }

  Result<std::optional<Customer>> customer = store->findCustomer("6001");
  REQUIRE(customer.ok());
  CHECK_FALSE(customer->has_value());
  CHECK_FALSE(readSale(*store, txnKey("0001")).has_value());
  Result<std::vector<LedgerEntry>> ledger = store->ledgerOf(1);
  REQUIRE(ledger.ok());
  CHECK(ledger->empty());
  Result<std::vector<Product>> products = store->products();
  REQUIRE(products.ok());
  CHECK(products->empty());

  // The store goes on working, and ids still start at 1.
  CHECK(enrol(*store, "6002").id == 1);
}

TEMPLATE_TEST_CASE("LoyaltyStore: a failed writer call leaves no partial rows", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  Sale sale = makeSale("0001", customer.id, {saleLine(1, "a", 2, 100), saleLine(2, "b", 1, 50)});
  const int64_t saleId = storeSale(*store, sale);

  // Each fn ignores its failed call and succeeds: only the failed call's own rows must be gone.
  Status status = store->write([&](StoreWriter& writer) -> Status {
    Sale twice = makeSale("0002", customer.id, {saleLine(1, "x", 1, 1), saleLine(1, "y", 1, 1)});
    CHECK_FALSE(writer.insertSale(twice).ok());
    std::vector<domain::SaleLine> many;  // a full chunk of 8 lines stored before the duplicate
    for (int64_t line = 1; line <= 10; ++line) {
      many.push_back(saleLine(line == 10 ? 1 : line, "m", 1, 1));
    }
    CHECK_FALSE(writer.insertSale(makeSale("0004", customer.id, many)).ok());
    Refund refund = makeRefund("0003", sale, saleId, {RefundedLine{1, 1}, RefundedLine{5, 1}});
    CHECK_FALSE(writer.insertRefund(refund).ok());
    CHECK_FALSE(
        writer.appendLedger(ledgerEntry(customer.id, LedgerKind::kEarn, 5, saleId + 7)).ok());
    REQUIRE(writer.upsertProduct(Product{"kept", "Kept", "misc", "Brand"}).ok());
    return base::okStatus();
  });
  REQUIRE(status.ok());

  CHECK_FALSE(readSale(*store, txnKey("0002")).has_value());
  CHECK_FALSE(readSale(*store, txnKey("0004")).has_value());
  std::optional<Sale> original = readSale(*store, sale.key);
  REQUIRE(original.has_value());
  CHECK(original->lines[0].refundedQuantity == 0);
  Status read = store->write([](StoreWriter& writer) -> Status {
    Result<std::optional<Refund>> refund = writer.findRefund(txnKey("0003"));
    REQUIRE(refund.ok());
    CHECK_FALSE(refund->has_value());
    return base::okStatus();
  });
  CHECK(read.ok());
  Result<std::optional<Customer>> after = store->findCustomer("6001");
  REQUIRE(after.ok());
  REQUIRE(after->has_value());
  CHECK((*after)->balance == Points(0));
  Result<std::vector<Product>> products = store->products();
  REQUIRE(products.ok());
  CHECK(products->size() == 1);
}

TEMPLATE_TEST_CASE("LoyaltyStore: each fn sees the writes of the fns before it", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  REQUIRE(append(*store, ledgerEntry(customer.id, LedgerKind::kAdjustment, 10)).ok());

  Status status = store->write([&](StoreWriter& writer) -> Status {
    Result<std::optional<Customer>> found = writer.findCustomerById(customer.id);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->balance == Points(10));
    Result<Points> balance =
        writer.appendLedger(ledgerEntry(customer.id, LedgerKind::kAdjustment, 5));
    REQUIRE(balance.ok());
    CHECK(*balance == Points(15));
    Result<std::optional<Customer>> again = writer.findCustomer("6001");
    REQUIRE(again.ok());
    CHECK((*again)->balance == Points(15));
    return base::okStatus();
  });
  CHECK(status.ok());
}

TEMPLATE_TEST_CASE("LoyaltyStore: upsertProduct replaces a product", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  auto upsert = [&](const Product& product) {
    Status status =
        store->write([&](StoreWriter& writer) -> Status { return writer.upsertProduct(product); });
    REQUIRE(status.ok());
  };
  upsert(Product{"b", "Bread", "bakery", "Baker"});
  upsert(Product{"a", "Ale", "alcohol/beer", "Brewer"});
  upsert(Product{"b", "Brioche", "bakery/sweet", "Other"});

  Result<std::vector<Product>> products = store->products();
  REQUIRE(products.ok());
  REQUIRE(products->size() == 2);
  CHECK((*products)[0].sku == "a");
  CHECK((*products)[0].categoryPath == "alcohol/beer");
  CHECK((*products)[1].sku == "b");
  CHECK((*products)[1].name == "Brioche");
  CHECK((*products)[1].categoryPath == "bakery/sweet");
  CHECK((*products)[1].brand == "Other");
}

TEMPLATE_TEST_CASE("LoyaltyStore: write refuses to be called from inside a fn", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Status inner = base::okStatus();
  Status outer = store->write([&](StoreWriter& writer) -> Status {
    REQUIRE(writer.insertCustomer("6001", 1).ok());
    inner = store->write([](StoreWriter&) -> Status { return base::okStatus(); });
    return base::okStatus();
  });
  CHECK(outer.ok());
  REQUIRE_FALSE(inner.ok());
  CHECK(inner.error().code == ErrorCode::kInternal);
  Result<std::optional<Customer>> found = store->findCustomer("6001");
  REQUIRE(found.ok());
  CHECK(found->has_value());
}

}  // namespace
}  // namespace loyalty::core::storage::testing

#include "domain/checkout_service.h"

#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "domain/item_id.h"
#include "loyalty/base/check.h"

namespace loyalty::core::domain {
namespace {

using base::ErrorCode;
using base::makeError;

// Eligible (earning) amount of a sale's lines, counting only units not yet returned.
Money remainingEligible(const std::vector<SaleLine>& lines) {
  int64_t sum = 0;
  for (const auto& l : lines) {
    if (l.earns) {
      sum += l.unitPrice.value() * (l.quantity - l.refundedQuantity);
    }
  }
  return Money(sum);
}

// Gets the card's customer inside a write, enrolling it when unknown.
Result<Customer> findOrEnroll(StoreWriter& w, const std::string& card, int64_t nowMs,
                              bool* enrolled) {
  auto found = w.findCustomer(card);
  if (!found.ok()) {
    return found.error();
  }
  if (found->has_value()) {
    return std::move(**found);
  }
  if (enrolled != nullptr) {
    *enrolled = true;
  }
  return w.insertCustomer(card, nowMs);
}

// Adds basket to the customer's stored profile (one load, one update, one save).
Status updateHabitProfile(StoreWriter& w, int64_t customerId, const std::vector<SaleLine>& lines,
                          const personalization::ProfileParams& params, int64_t nowMs) {
  auto profile = loadHabitProfile(w, customerId, params);
  if (!profile.ok()) {
    return profile.error();
  }
  profile->update(profileBasketOf(lines));
  return w.saveHabitProfile(customerId, profile->serialize(), nowMs);
}

}  // namespace

Result<personalization::HabitProfile> loadHabitProfile(
    StoreWriter& writer, int64_t customerId, const personalization::ProfileParams& params) {
  auto stored = writer.findHabitProfile(customerId);
  if (!stored.ok()) {
    return stored.error();
  }
  if (stored->has_value()) {
    auto profile = personalization::HabitProfile::deserialize(**stored);
    if (profile.ok()) {
      return std::move(profile).value();
    }
  }
  return personalization::HabitProfile(params);
}

std::vector<int64_t> profileBasketOf(const std::vector<SaleLine>& lines) {
  std::vector<int64_t> basket;
  basket.reserve(lines.size());
  for (const SaleLine& line : lines) {
    basket.push_back(itemIdOf(line.sku));
  }
  return basket;  // HabitProfile::update counts repeated ids once
}

CheckoutService::CheckoutService(LoyaltyStore& store, Catalogue& catalogue, const Clock& clock,
                                 EarnRule rule)
    : store_(store), catalogue_(catalogue), clock_(clock), rule_(std::move(rule)) {}

std::vector<SaleLine> CheckoutService::toSaleLines(const std::vector<BasketItem>& items) const {
  std::vector<SaleLine> lines;
  lines.reserve(items.size());
  for (const auto& item : items) {
    SaleLine l;
    l.line = item.line;
    l.sku = item.sku;
    l.quantity = item.quantity;
    l.unitPrice = item.unitPrice;
    lines.push_back(std::move(l));
  }
  catalogue_.markEarning(lines, rule_);
  return lines;
}

Points CheckoutService::earnedOn(const std::vector<SaleLine>& lines) const {
  return rule_.pointsFor(remainingEligible(lines));
}

Result<IdentifyResult> CheckoutService::identify(const std::string& card) {
  auto found = store_.findCustomer(card);
  if (!found.ok()) {
    return found.error();
  }
  if (found->has_value()) {
    return IdentifyResult{std::move(**found), false};
  }
  IdentifyResult result;
  const int64_t now = clock_.nowMs();
  Status s = store_.write([&](StoreWriter& w) -> Status {
    result.enrolled = false;
    auto c = findOrEnroll(w, card, now, &result.enrolled);  // another till may have enrolled it
    if (!c.ok()) {
      return c.error();
    }
    result.customer = std::move(c).value();
    return Status();
  });
  if (!s.ok()) {
    return s.error();
  }
  return result;
}

Result<PriceResult> CheckoutService::price(const std::vector<BasketItem>& items) const {
  auto lines = toSaleLines(items);
  int64_t subtotal = 0;
  for (const auto& l : lines) {
    subtotal += l.amount().value();
  }
  PriceResult r;
  r.subtotal = Money(subtotal);
  r.total = r.subtotal;  // offers and coupons will subtract their discounts here
  r.pointsPreview = earnedOn(lines);
  return r;
}

Result<CommitResult> CheckoutService::commit(const CommitCommand& cmd) {
  // Everything that does not depend on stored state is computed before entering the writer.
  Sale sale;
  sale.key = cmd.key;
  sale.fingerprint = cmd.fingerprint;
  sale.lines = toSaleLines(cmd.lines);
  sale.tenders = cmd.tenders;
  int64_t total = 0;
  for (const auto& l : sale.lines) {
    total += l.amount().value();
  }
  sale.total = Money(total);
  sale.pointsEarned = earnedOn(sale.lines);
  sale.createdAtMs = clock_.nowMs();

  CommitResult result;
  Status s = store_.write([&](StoreWriter& w) -> Status {
    auto existing = w.findSale(cmd.key);
    if (!existing.ok()) {
      return existing.error();
    }
    if (existing->has_value()) {
      if ((*existing)->fingerprint != cmd.fingerprint) {
        return makeError(ErrorCode::kIdempotencyConflict,
                         "transaction key already used by a different sale");
      }
      result.sale = std::move(**existing);
      result.replayed = true;
      return Status();
    }
    auto refund = w.findRefund(cmd.key);
    if (!refund.ok()) {
      return refund.error();
    }
    if (refund->has_value()) {
      return makeError(ErrorCode::kIdempotencyConflict, "transaction key already used by a refund");
    }
    auto customer = findOrEnroll(w, cmd.card, sale.createdAtMs, nullptr);
    if (!customer.ok()) {
      return customer.error();
    }
    result.sale = sale;
    result.sale.customerId = customer->id;
    result.sale.balanceAfter = customer->balance + sale.pointsEarned;
    auto id = w.insertSale(result.sale);
    if (!id.ok()) {
      return id.error();
    }
    result.sale.id = *id;
    if (sale.pointsEarned.value() > 0) {
      LedgerEntry e;
      e.customerId = customer->id;
      e.kind = LedgerKind::kEarn;
      e.points = sale.pointsEarned;
      e.saleId = *id;
      e.createdAtMs = sale.createdAtMs;
      auto balance = w.appendLedger(e);
      if (!balance.ok()) {
        return balance.error();
      }
      LOYALTY_CHECK(*balance == result.sale.balanceAfter, "ledger and sale balance disagree");
    }
    if (Status p = updateHabitProfile(w, customer->id, result.sale.lines, profileParams_,
                                      sale.createdAtMs);
        !p.ok()) {
      return p;
    }
    result.replayed = false;
    return Status();
  });
  if (!s.ok()) {
    return s.error();
  }
  return result;
}

Result<RefundResult> CheckoutService::refund(const RefundCommand& cmd) {
  const int64_t now = clock_.nowMs();
  RefundResult result;
  Status s = store_.write([&](StoreWriter& w) -> Status {
    auto existing = w.findRefund(cmd.key);
    if (!existing.ok()) {
      return existing.error();
    }
    if (existing->has_value()) {
      if ((*existing)->fingerprint != cmd.fingerprint) {
        return makeError(ErrorCode::kIdempotencyConflict,
                         "transaction key already used by a different refund");
      }
      result.refund = std::move(**existing);
      result.replayed = true;
      return Status();
    }
    auto clash = w.findSale(cmd.key);
    if (!clash.ok()) {
      return clash.error();
    }
    if (clash->has_value()) {
      return makeError(ErrorCode::kIdempotencyConflict, "transaction key already used by a sale");
    }
    auto original = w.findSale(cmd.original);
    if (!original.ok()) {
      return original.error();
    }
    if (!original->has_value()) {
      return makeError(ErrorCode::kUnknownSale, "no sale with the original transaction key");
    }
    Sale& sale = **original;

    std::unordered_map<int64_t, size_t> byLine;
    for (size_t i = 0; i < sale.lines.size(); ++i) {
      byLine.emplace(sale.lines[i].line, i);
    }
    const Money eligibleBefore = remainingEligible(sale.lines);
    int64_t amount = 0;
    std::unordered_set<int64_t> seen;
    for (const auto& r : cmd.lines) {
      if (!seen.insert(r.line).second) {
        return makeError(ErrorCode::kDuplicateLine,
                         "line " + std::to_string(r.line) + " appears twice in the refund");
      }
      auto it = byLine.find(r.line);
      if (it == byLine.end()) {
        return makeError(ErrorCode::kUnknownLine,
                         "the sale has no line " + std::to_string(r.line));
      }
      SaleLine& l = sale.lines[it->second];
      if (r.quantity <= 0 || r.quantity > l.quantity - l.refundedQuantity) {
        return makeError(ErrorCode::kRefundExceedsSale,
                         "line " + std::to_string(r.line) + ": returning " +
                             std::to_string(r.quantity) + " of " +
                             std::to_string(l.quantity - l.refundedQuantity) + " not yet returned");
      }
      l.refundedQuantity += r.quantity;
      amount += l.unitPrice.value() * r.quantity;
    }
    const Points reversed =
        rule_.pointsFor(eligibleBefore) - rule_.pointsFor(remainingEligible(sale.lines));

    auto customer = w.findCustomerById(sale.customerId);
    if (!customer.ok()) {
      return customer.error();
    }
    LOYALTY_CHECK(customer->has_value(), "sale without customer");
    const Points balanceBefore = (*customer)->balance;
    // Reversals of one sale never exceed what it earned, and every point it earned is still in
    // the balance unless spent; with no spending yet, the balance cannot go negative.
    LOYALTY_CHECK(balanceBefore >= reversed, "refund would make the balance negative");

    Refund& refund = result.refund;
    refund.key = cmd.key;
    refund.fingerprint = cmd.fingerprint;
    refund.saleId = sale.id;
    refund.customerId = sale.customerId;
    refund.lines = cmd.lines;
    refund.amount = Money(amount);
    refund.pointsReversed = reversed;
    refund.balanceAfter = balanceBefore - reversed;
    refund.createdAtMs = now;
    auto id = w.insertRefund(refund);
    if (!id.ok()) {
      return id.error();
    }
    refund.id = *id;
    if (reversed.value() > 0) {
      LedgerEntry e;
      e.customerId = sale.customerId;
      e.kind = LedgerKind::kRefund;
      e.points = -reversed;
      e.saleId = sale.id;
      e.refundId = *id;
      e.createdAtMs = now;
      auto balance = w.appendLedger(e);
      if (!balance.ok()) {
        return balance.error();
      }
      LOYALTY_CHECK(*balance == refund.balanceAfter, "ledger and refund balance disagree");
    }
    result.replayed = false;
    return Status();
  });
  if (!s.ok()) {
    return s.error();
  }
  return result;
}

Result<CustomerRecord> CheckoutService::history(const std::string& card, size_t maxSales) {
  auto found = store_.findCustomer(card);
  if (!found.ok()) {
    return found.error();
  }
  if (!found->has_value()) {
    return makeError(ErrorCode::kUnknownCustomer, "no customer with this card");
  }
  CustomerRecord record;
  record.customer = std::move(**found);
  auto sales = store_.salesOf(record.customer.id, maxSales);
  if (!sales.ok()) {
    return sales.error();
  }
  record.sales = std::move(sales).value();
  auto ledger = store_.ledgerOf(record.customer.id);
  if (!ledger.ok()) {
    return ledger.error();
  }
  record.ledger = std::move(ledger).value();
  return record;
}

Result<size_t> CheckoutService::importCatalogue(std::string_view csv) {
  auto products = parseCatalogueCsv(csv);
  if (!products.ok()) {
    return products.error();
  }
  Status s = store_.write([&](StoreWriter& w) -> Status {
    for (const auto& p : *products) {
      Status u = w.upsertProduct(p);
      if (!u.ok()) {
        return u;
      }
    }
    return Status();
  });
  if (!s.ok()) {
    return s.error();
  }
  catalogue_.upsert(*products);
  return products->size();
}

Result<HistoryImportResult> CheckoutService::importHistory(const HistoryBatch& batch,
                                                           const CardOfCustomerNumber& cardOf) {
  const int64_t now = clock_.nowMs();
  std::vector<std::string> cards;  // per basket; computed outside the write
  cards.reserve(batch.baskets.size());
  for (size_t i = 0; i < batch.baskets.size(); ++i) {
    const int64_t number = batch.baskets[i].customerNumber;
    const bool sameCustomer = i > 0 && batch.baskets[i - 1].customerNumber == number;
    cards.push_back(sameCustomer ? cards.back() : cardOf(number));
  }
  HistoryImportResult result;
  Status s = store_.write([&](StoreWriter& w) -> Status {
    result = HistoryImportResult();
    size_t next = 0;
    while (next < batch.baskets.size()) {
      // One customer's baskets: [next, end).
      size_t end = next + 1;
      while (end < batch.baskets.size() &&
             batch.baskets[end].customerNumber == batch.baskets[next].customerNumber) {
        ++end;
      }
      auto customer = findOrEnroll(w, cards[next], now, nullptr);
      if (!customer.ok()) {
        return customer.error();
      }
      std::optional<personalization::HabitProfile> profile;  // loaded at the first new basket
      for (size_t i = next; i < end; ++i) {
        const HistoryBasket& basket = batch.baskets[i];
        auto existing = w.findSale(basket.key);
        if (!existing.ok()) {
          return existing.error();
        }
        if (existing->has_value()) {
          ++result.skippedExisting;
          continue;
        }
        auto refund = w.findRefund(basket.key);
        if (!refund.ok()) {
          return refund.error();
        }
        if (refund->has_value()) {
          return makeError(ErrorCode::kIdempotencyConflict,
                           "transaction key of an imported basket already used by a refund");
        }
        Sale sale;
        sale.key = basket.key;
        sale.fingerprint = basket.fingerprint;
        sale.customerId = customer->id;
        int64_t total = 0;
        sale.lines.reserve(basket.lines.size());
        for (size_t l = 0; l < basket.lines.size(); ++l) {
          SaleLine line;
          line.line = static_cast<int64_t>(l) + 1;
          line.sku = basket.lines[l].sku;
          line.quantity = basket.lines[l].quantity;
          line.unitPrice = basket.lines[l].unitPrice;
          line.earns = false;  // history predates the programme: it earns nothing
          total += line.amount().value();
          sale.lines.push_back(std::move(line));
        }
        sale.total = Money(total);
        sale.pointsEarned = Points(0);
        sale.balanceAfter = customer->balance;
        sale.createdAtMs = now;
        auto id = w.insertSale(sale);
        if (!id.ok()) {
          return id.error();
        }
        if (!profile) {
          auto loaded = loadHabitProfile(w, customer->id, profileParams_);
          if (!loaded.ok()) {
            return loaded.error();
          }
          profile = std::move(loaded).value();
        }
        profile->update(profileBasketOf(sale.lines));
        ++result.importedBaskets;
      }
      if (profile) {
        if (Status saved = w.saveHabitProfile(customer->id, profile->serialize(), now);
            !saved.ok()) {
          return saved;
        }
      }
      next = end;
    }
    return Status();
  });
  if (!s.ok()) {
    return s.error();
  }
  return result;
}

Result<std::optional<personalization::HabitProfile>> CheckoutService::habitProfile(
    const std::string& card) {
  auto found = store_.findCustomer(card);
  if (!found.ok()) {
    return found.error();
  }
  if (!found->has_value()) {
    return makeError(ErrorCode::kUnknownCustomer, "no customer with this card");
  }
  auto bytes = store_.habitProfile((*found)->id);
  if (!bytes.ok()) {
    return bytes.error();
  }
  if (!bytes->has_value()) {
    return std::optional<personalization::HabitProfile>();
  }
  auto profile = personalization::HabitProfile::deserialize(**bytes);
  if (!profile.ok()) {
    return makeError(ErrorCode::kStorageFailure,
                     "stored habit profile: " + profile.error().message);
  }
  return std::optional<personalization::HabitProfile>(std::move(profile).value());
}

Status CheckoutService::loadCatalogue() {
  auto products = store_.products();
  if (!products.ok()) {
    return products.error();
  }
  catalogue_.upsert(*products);
  return Status();
}

}  // namespace loyalty::core::domain

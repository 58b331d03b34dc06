#include "http/mapping.h"

#include "loyalty/protocol/codec.h"

namespace loyalty::core::http {

domain::TxnKey toDomain(const protocol::TransactionKey& k) {
  return domain::TxnKey{k.store, k.terminal, k.businessDate, k.txn};
}

protocol::TransactionKey toWire(const domain::TxnKey& k) {
  return protocol::TransactionKey{k.store, k.terminal, k.businessDate, k.txn};
}

std::vector<domain::BasketItem> toDomain(const std::vector<protocol::BasketLine>& lines) {
  std::vector<domain::BasketItem> items;
  items.reserve(lines.size());
  for (const auto& l : lines) {
    items.push_back(domain::BasketItem{l.line, l.sku, l.quantity, l.unitPrice});
  }
  return items;
}

domain::CommitCommand toDomain(const protocol::CommitRequest& r) {
  domain::CommitCommand c;
  c.key = toDomain(r.key);
  c.fingerprint = protocol::fingerprint(r);
  c.card = r.card;
  c.lines = toDomain(r.lines);
  c.tenders.reserve(r.tenders.size());
  for (const auto& t : r.tenders) {
    c.tenders.push_back(domain::Tender{t.type, t.amount});
  }
  return c;
}

domain::RefundCommand toDomain(const protocol::RefundRequest& r) {
  domain::RefundCommand c;
  c.key = toDomain(r.key);
  c.fingerprint = protocol::fingerprint(r);
  c.original = toDomain(r.original);
  c.lines.reserve(r.lines.size());
  for (const auto& l : r.lines) {
    c.lines.push_back(domain::RefundedLine{l.line, l.quantity});
  }
  return c;
}

protocol::IdentifyResponse toWire(const domain::IdentifyResult& r) {
  protocol::IdentifyResponse w;
  w.customerId = r.customer.id;
  w.newCustomer = r.enrolled;
  w.tier = r.customer.tier;
  w.pointsBalance = r.customer.balance;
  w.coupons = 0;  // coupon wallets arrive with coupon campaigns
  w.offline = false;
  return w;
}

protocol::PriceResponse toWire(const domain::PriceResult& r,
                               const std::vector<std::string>& presentedCoupons) {
  protocol::PriceResponse w;
  w.subtotal = r.subtotal;
  w.total = r.total;
  w.pointsPreview = r.pointsPreview;
  for (const auto& code : presentedCoupons) {
    w.coupons.push_back(protocol::CouponDecision{code, false, "coupon_unknown"});
  }
  return w;
}

protocol::CommitResponse toWire(const domain::Sale& sale) {
  protocol::CommitResponse w;
  w.status = protocol::kStatusCommitted;
  w.saleId = sale.id;
  w.total = sale.total;
  w.pointsEarned = sale.pointsEarned;
  w.pointsBalance = sale.balanceAfter;
  w.receipt.push_back("Points earned: " + std::to_string(sale.pointsEarned.value()));
  w.receipt.push_back("Points balance: " + std::to_string(sale.balanceAfter.value()));
  return w;
}

protocol::RefundResponse toWire(const domain::Refund& refund) {
  protocol::RefundResponse w;
  w.status = protocol::kStatusCommitted;
  w.refundId = refund.id;
  w.amountRefunded = refund.amount;
  w.pointsReversed = refund.pointsReversed;
  w.pointsBalance = refund.balanceAfter;
  w.receipt.push_back("Points reversed: " + std::to_string(refund.pointsReversed.value()));
  w.receipt.push_back("Points balance: " + std::to_string(refund.balanceAfter.value()));
  return w;
}

protocol::CustomerHistory toWire(const domain::CustomerRecord& r) {
  protocol::CustomerHistory w;
  w.customerId = r.customer.id;
  w.tier = r.customer.tier;
  w.pointsBalance = r.customer.balance;
  w.enrolledAtMs = r.customer.enrolledAtMs;
  for (const auto& s : r.sales) {
    protocol::HistorySale hs;
    hs.saleId = s.id;
    hs.key = toWire(s.key);
    hs.total = s.total;
    hs.pointsEarned = s.pointsEarned;
    hs.createdAtMs = s.createdAtMs;
    for (const auto& l : s.lines) {
      hs.lines.push_back(
          protocol::HistoryLine{l.line, l.sku, l.quantity, l.unitPrice, l.refundedQuantity});
    }
    w.sales.push_back(std::move(hs));
  }
  for (const auto& e : r.ledger) {
    protocol::HistoryLedgerEntry he;
    he.entryId = e.id;
    he.kind = domain::ledgerKindName(e.kind);
    he.points = e.points;
    he.saleId = e.saleId;
    he.refundId = e.refundId;
    he.createdAtMs = e.createdAtMs;
    w.ledger.push_back(he);
  }
  return w;
}

std::string toWire(const domain::HistoryImportResult& result) {
  return "{\"imported_baskets\":" + std::to_string(result.importedBaskets) +
         ",\"skipped_existing\":" + std::to_string(result.skippedExisting) + "}";
}

}  // namespace loyalty::core::http

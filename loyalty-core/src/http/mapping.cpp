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
  c.coupons = r.coupons;
  c.redeemPoints = r.redeemPoints.value_or(base::Points(0));
  c.offlineCoupons = r.offlineCoupons;
  return c;
}

domain::PriceCommand toDomain(const protocol::PriceRequest& r) {
  domain::PriceCommand c;
  c.key = toDomain(r.key);
  c.card = r.card;
  c.lines = toDomain(r.lines);
  c.coupons = r.coupons;
  c.redeemPoints = r.redeemPoints.value_or(base::Points(0));
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
  w.coupons = r.walletCoupons;
  w.offline = false;
  return w;
}

namespace {

protocol::DiscountLine discountToWire(const domain::Discount& d) {
  protocol::DiscountLine w;
  w.line = d.line;
  w.amount = d.amount;
  w.kind = d.coupon.empty() ? protocol::kDiscountPoints : protocol::kDiscountCoupon;
  w.description = d.description;
  w.coupon = d.coupon;
  return w;
}

std::string money(base::Money m) {
  const int64_t v = m.value();
  const int64_t a = v < 0 ? -v : v;
  std::string cents = std::to_string(a % 100);
  return (v < 0 ? "-" : "") + std::to_string(a / 100) + "." + (cents.size() < 2 ? "0" : "") +
         cents;
}

}  // namespace

protocol::PriceResponse toWire(const domain::PriceResult& r) {
  protocol::PriceResponse w;
  w.subtotal = r.subtotal;
  w.total = r.total;
  w.pointsPreview = r.pointsPreview;
  for (const auto& d : r.discounts) {
    w.discounts.push_back(discountToWire(d));
  }
  for (const auto& v : r.coupons) {
    protocol::CouponDecision d;
    d.code = v.code;
    d.accepted = v.accepted;
    d.reason = v.reason;
    d.message = v.message;
    d.discount = v.discount;
    d.bonusPoints = v.bonusPoints;
    w.coupons.push_back(std::move(d));
  }
  if (r.pointsRedeemed.value() > 0) {
    w.pointsRedeemed = r.pointsRedeemed;
  }
  return w;
}

protocol::CommitResponse toWire(const domain::CommitResult& r) {
  const domain::Sale& sale = r.sale;
  protocol::CommitResponse w;
  w.status = protocol::kStatusCommitted;
  w.saleId = sale.id;
  w.total = sale.total;
  w.pointsEarned = sale.pointsEarned;
  w.pointsBalance = sale.balanceAfter;
  for (const auto& d : r.discounts) {
    w.discounts.push_back(discountToWire(d));
    w.receipt.push_back((d.coupon.empty() ? "Paid with " : "Coupon: ") + d.description + " -" +
                        money(d.amount));
  }
  if (sale.pointsRedeemed.value() > 0) {
    w.pointsRedeemed = sale.pointsRedeemed;
  }
  w.receipt.push_back("Points earned: " + std::to_string(sale.pointsEarned.value()));
  if (r.offset.value() > 0) {
    w.receipt.push_back("Points kept back for an earlier refund: " +
                        std::to_string(r.offset.value()));
  }
  w.receipt.push_back("Points balance: " + std::to_string(sale.balanceAfter.value()));
  for (const auto& c : r.printed) {
    w.coupons.push_back(protocol::PrintedCoupon{c.code, c.description, c.expires});
    w.receipt.push_back("Your coupon: " + c.description + " (valid until " + c.expires + ")");
  }
  return w;
}

protocol::RefundResponse toWire(const domain::Refund& refund) {
  protocol::RefundResponse w;
  w.status = protocol::kStatusCommitted;
  w.refundId = refund.id;
  w.amountRefunded = refund.amount;
  w.pointsReversed = refund.pointsReversed;
  if (refund.pointsReturned.value() > 0) {
    w.pointsReturned = refund.pointsReturned;
  }
  w.pointsBalance = refund.balanceAfter;
  w.couponsReturned = refund.couponsReturned;
  w.receipt.push_back("Points reversed: " + std::to_string(refund.pointsReversed.value()));
  if (refund.pointsReturned.value() > 0) {
    w.receipt.push_back("Points returned: " + std::to_string(refund.pointsReturned.value()));
  }
  if (refund.debtAdded.value() > 0) {
    w.receipt.push_back("Points owed, taken from future earnings: " +
                        std::to_string(refund.debtAdded.value()));
  }
  if (refund.balanceAfter.value() < 0) {
    w.receipt.push_back("Your points balance is negative");
  }
  if (refund.couponsReturned > 0) {
    w.receipt.push_back("Coupons returned to your card: " +
                        std::to_string(refund.couponsReturned));
  }
  w.receipt.push_back("Points balance: " + std::to_string(refund.balanceAfter.value()));
  return w;
}

protocol::OfferList toWire(const std::vector<domain::Campaign>& campaigns) {
  protocol::OfferList w;
  for (const auto& c : campaigns) {
    w.offers.push_back(protocol::Offer{c.id, c.name, c.reward, c.stores});
  }
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

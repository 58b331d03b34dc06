// Conversions between the wire messages (loyalty::protocol) and the domain's types, and the
// receipt text. The only place that knows both sides.
#pragma once

#include <string>
#include <vector>

#include "domain/checkout_service.h"
#include "loyalty/protocol/messages.h"

namespace loyalty::core::http {

domain::TxnKey toDomain(const protocol::TransactionKey& key);
protocol::TransactionKey toWire(const domain::TxnKey& key);
std::vector<domain::BasketItem> toDomain(const std::vector<protocol::BasketLine>& lines);
domain::CommitCommand toDomain(const protocol::CommitRequest& request);
domain::RefundCommand toDomain(const protocol::RefundRequest& request);
domain::PriceCommand toDomain(const protocol::PriceRequest& request);

protocol::IdentifyResponse toWire(const domain::IdentifyResult& result);
protocol::PriceResponse toWire(const domain::PriceResult& result);
// A response built only from stored records, so that a replay gives the same bytes.
protocol::CommitResponse toWire(const domain::CommitResult& result);
protocol::RefundResponse toWire(const domain::Refund& refund);
protocol::CustomerHistory toWire(const domain::CustomerRecord& record);
protocol::OfferList toWire(const std::vector<domain::Campaign>& campaigns);
// {"imported_baskets": n, "skipped_existing": m} (docs/protocol.md, "History import").
std::string toWire(const domain::HistoryImportResult& result);

}  // namespace loyalty::core::http

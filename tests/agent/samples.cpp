#include "samples.h"

#include <utility>

#include "loyalty/protocol/card.h"

namespace loyalty::agent::test {

std::string sampleCard() { return protocol::cardForCustomerNumber(42); }

ClientOptions localClient(uint16_t port, int timeoutMs) {
  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.timeoutMs = timeoutMs;
  return options;
}

protocol::TransactionKey sampleKey(const std::string& txn) {
  return protocol::TransactionKey{"S001", "T01", "2024-03-15", txn};
}

protocol::IdentifyRequest sampleIdentify() {
  return protocol::IdentifyRequest{sampleCard(), "S001", "T01"};
}

protocol::PriceRequest samplePrice(std::vector<std::string> coupons) {
  protocol::PriceRequest request;
  request.key = sampleKey("P1");
  request.card = sampleCard();
  request.lines = {{1, "SKU-1", 2, base::Money(250)}, {2, "SKU-2", 1, base::Money(500)}};
  request.coupons = std::move(coupons);
  return request;
}

protocol::CommitRequest sampleCommit(const std::string& txn) {
  protocol::CommitRequest request;
  request.key = sampleKey(txn);
  request.card = sampleCard();
  request.lines = {{1, "SKU-1", 2, base::Money(250)}, {2, "SKU-2", 1, base::Money(500)}};
  request.tenders = {{"cash", base::Money(kSampleBasketTotal)}};
  return request;
}

protocol::RefundRequest sampleRefund(const std::string& txn, const std::string& originalTxn) {
  protocol::RefundRequest request;
  request.key = sampleKey(txn);
  request.original = sampleKey(originalTxn);
  request.lines = {{1, 1}};
  return request;
}

}  // namespace loyalty::agent::test

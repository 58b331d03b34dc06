// Valid sample protocol messages for the pos-agent tests, and client options.
//
// Thread safety: the functions are re-entrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loyalty/agent/client.h"
#include "loyalty/protocol/messages.h"

namespace loyalty::agent::test {

// A valid card number (13 digits, correct check digit).
std::string sampleCard();

// The sample basket: 2 x 250 + 1 x 500 = 1000 minor units.
inline constexpr int64_t kSampleBasketTotal = 1000;

// Options of a Client of 127.0.0.1:port.
ClientOptions localClient(uint16_t port, int timeoutMs);

protocol::TransactionKey sampleKey(const std::string& txn);
protocol::IdentifyRequest sampleIdentify();
protocol::PriceRequest samplePrice(std::vector<std::string> coupons);
protocol::CommitRequest sampleCommit(const std::string& txn);
protocol::RefundRequest sampleRefund(const std::string& txn, const std::string& originalTxn);

}  // namespace loyalty::agent::test

// JSON encoding and strict decoding of every protocol v1 message (docs/protocol.md).
//
// decode*() accept exactly the documented form: required fields present, no unknown fields,
// right types, values in range (loyalty/protocol/limits.h), card check digit, unique line numbers.
// The first problem found is returned; its message names the field path (e.g. "lines[3].quantity").
// encode*() produce compact, deterministic JSON: the same message always gives the same bytes.
//
// Thread safety: all functions are re-entrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loyalty/base/result.h"
#include "loyalty/protocol/json.h"
#include "loyalty/protocol/messages.h"

namespace loyalty::protocol {

base::Result<IdentifyRequest> decodeIdentifyRequest(std::string_view body);
base::Result<IdentifyResponse> decodeIdentifyResponse(std::string_view body);
base::Result<PriceRequest> decodePriceRequest(std::string_view body);
base::Result<PriceResponse> decodePriceResponse(std::string_view body);
base::Result<CommitRequest> decodeCommitRequest(std::string_view body);
base::Result<CommitResponse> decodeCommitResponse(std::string_view body);
base::Result<RefundRequest> decodeRefundRequest(std::string_view body);
base::Result<RefundResponse> decodeRefundResponse(std::string_view body);
base::Result<CustomerHistory> decodeCustomerHistory(std::string_view body);
base::Result<CatalogueImportResponse> decodeCatalogueImportResponse(std::string_view body);
base::Result<AgentStatus> decodeAgentStatus(std::string_view body);
base::Result<ErrorBody> decodeErrorBody(std::string_view body);
base::Result<VoidRequest> decodeVoidRequest(std::string_view body);
base::Result<VoidResponse> decodeVoidResponse(std::string_view body);
base::Result<OfferList> decodeOfferList(std::string_view body);

std::string encode(const IdentifyRequest& m);
std::string encode(const IdentifyResponse& m);
std::string encode(const PriceRequest& m);
std::string encode(const PriceResponse& m);
std::string encode(const CommitRequest& m);
std::string encode(const CommitResponse& m);
std::string encode(const RefundRequest& m);
std::string encode(const RefundResponse& m);
std::string encode(const CustomerHistory& m);
std::string encode(const CatalogueImportResponse& m);
std::string encode(const AgentStatus& m);
std::string encode(const ErrorBody& m);
std::string encode(const VoidRequest& m);
std::string encode(const VoidResponse& m);
std::string encode(const OfferList& m);

// A coupon reward as the JSON object documented in docs/protocol.md ("Reward"), shared by
// GET /v1/offers and the admin API's campaigns. decodeReward checks the shape and
// offers::validate(); `path` prefixes field names in error messages (e.g. "reward").
void encodeReward(json::Writer& writer, const offers::Reward& reward);
base::Result<offers::Reward> decodeReward(const json::Value& value, const std::string& path);
// The same, for the reward of a personalized campaign, whose product is chosen per shopper:
// target "sku" may come without a value (then reward.value is empty). encodeReward omits an
// empty value.
base::Result<offers::Reward> decodeRewardTemplate(const json::Value& value,
                                                  const std::string& path);

// A 64-bit fingerprint (FNV-1a) of a request's canonical encoding: equal requests, however they
// were formatted on the wire, have equal fingerprints. Used to refuse a replayed idempotency key
// that carries a different body.
uint64_t fingerprint(const CommitRequest& m);
uint64_t fingerprint(const RefundRequest& m);

// Business date check used by the codec: "YYYY-MM-DD" naming a real calendar date.
bool isValidBusinessDate(std::string_view s);

}  // namespace loyalty::protocol

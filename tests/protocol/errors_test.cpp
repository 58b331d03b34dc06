// Tests of the wire error model (loyalty/protocol/errors.h).
#include "loyalty/protocol/errors.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "loyalty/protocol/codec.h"

using loyalty::base::ErrorCode;
using loyalty::protocol::allErrorCodes;
using loyalty::protocol::codeFromName;
using loyalty::protocol::codeName;
using loyalty::protocol::codeTitle;
using loyalty::protocol::httpStatus;

TEST_CASE("Errors: every code has a unique name, a title and a status 400-599", "[protocol]") {
  const auto& all = allErrorCodes();
  REQUIRE(all.size() == static_cast<size_t>(ErrorCode::kInternal) + 1);
  std::set<std::string> names;
  std::set<std::string> titles;
  for (const ErrorCode code : all) {
    const std::string name(codeName(code));
    INFO(name);
    CHECK(names.insert(name).second);
    CHECK(titles.insert(std::string(codeTitle(code))).second);
    CHECK(httpStatus(code) >= 400);
    CHECK(httpStatus(code) <= 599);
    CHECK_FALSE(name.empty());
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos);
    CHECK(codeTitle(code).find('|') == std::string_view::npos);  // fits the docs table
    const auto back = codeFromName(name);
    REQUIRE(back.has_value());
    CHECK(*back == code);
  }
  CHECK_FALSE(codeFromName("no_such_code").has_value());
  CHECK_FALSE(codeFromName("").has_value());
  CHECK_FALSE(codeFromName("MALFORMED_JSON").has_value());
}

TEST_CASE("Errors: names and statuses of the contract", "[protocol]") {
  struct Row {
    ErrorCode code;
    const char* name;
    int status;
  };
  const Row rows[] = {
      {ErrorCode::kMalformedJson, "malformed_json", 400},
      {ErrorCode::kInvalidEncoding, "invalid_encoding", 400},
      {ErrorCode::kNestingTooDeep, "nesting_too_deep", 400},
      {ErrorCode::kDuplicateKey, "duplicate_key", 400},
      {ErrorCode::kBodyTooLarge, "body_too_large", 413},
      {ErrorCode::kUnsupportedMediaType, "unsupported_media_type", 415},
      {ErrorCode::kMissingField, "missing_field", 400},
      {ErrorCode::kUnknownField, "unknown_field", 400},
      {ErrorCode::kWrongType, "wrong_type", 400},
      {ErrorCode::kInvalidValue, "invalid_value", 400},
      {ErrorCode::kValueOutOfRange, "value_out_of_range", 400},
      {ErrorCode::kInvalidCard, "invalid_card", 400},
      {ErrorCode::kTooManyLines, "too_many_lines", 400},
      {ErrorCode::kDuplicateLine, "duplicate_line", 400},
      {ErrorCode::kTotalOutOfRange, "total_out_of_range", 400},
      {ErrorCode::kInvalidCsv, "invalid_csv", 400},
      {ErrorCode::kIdempotencyConflict, "idempotency_conflict", 409},
      {ErrorCode::kUnknownSale, "unknown_sale", 404},
      {ErrorCode::kUnknownLine, "unknown_line", 422},
      {ErrorCode::kRefundExceedsSale, "refund_exceeds_sale", 422},
      {ErrorCode::kUnknownCustomer, "unknown_customer", 404},
      {ErrorCode::kCouponUnavailable, "coupon_unavailable", 409},
      {ErrorCode::kInsufficientPoints, "insufficient_points", 409},
      {ErrorCode::kInvalidPointsRedemption, "invalid_points_redemption", 422},
      {ErrorCode::kUnknownCampaign, "unknown_campaign", 404},
      {ErrorCode::kBudgetExhausted, "budget_exhausted", 409},
      {ErrorCode::kInvalidState, "invalid_state", 409},
      {ErrorCode::kCouponsNotConfigured, "coupons_not_configured", 503},
      {ErrorCode::kUnauthorized, "unauthorized", 401},
      {ErrorCode::kForbidden, "forbidden", 403},
      {ErrorCode::kNotFound, "not_found", 404},
      {ErrorCode::kMethodNotAllowed, "method_not_allowed", 405},
      {ErrorCode::kUnavailable, "unavailable", 503},
      {ErrorCode::kStorageFailure, "storage_failure", 503},
      {ErrorCode::kTimeout, "timeout", 504},
      {ErrorCode::kInternal, "internal", 500},
  };
  REQUIRE(std::size(rows) == allErrorCodes().size());
  for (const Row& row : rows) {
    INFO(row.name);
    CHECK(codeName(row.code) == row.name);
    CHECK(httpStatus(row.code) == row.status);
  }
}

TEST_CASE("Errors: errorBody builds the problem+json body", "[protocol]") {
  const auto body = loyalty::protocol::errorBody(
      loyalty::base::makeError(ErrorCode::kInvalidCard, "card: bad check digit"), "req-42");
  CHECK(body.type == "urn:loyalty:error:invalid_card");
  CHECK(body.title == "Invalid card number");
  CHECK(body.status == 400);
  CHECK(body.code == "invalid_card");
  CHECK(body.detail == "card: bad check digit");
  CHECK(body.requestId == "req-42");

  const std::string json = loyalty::protocol::encode(body);
  CHECK(json ==
        "{\"type\":\"urn:loyalty:error:invalid_card\",\"title\":\"Invalid card number\","
        "\"status\":400,\"code\":\"invalid_card\",\"detail\":\"card: bad check digit\","
        "\"request_id\":\"req-42\"}");
  auto back = loyalty::protocol::decodeErrorBody(json);
  REQUIRE(back.ok());
  CHECK(back->status == 400);
  CHECK(back->code == "invalid_card");
  CHECK(back->requestId == "req-42");

  const auto conflict = loyalty::protocol::errorBody(
      loyalty::base::makeError(ErrorCode::kIdempotencyConflict, "key reused"), "r1");
  CHECK(conflict.status == 409);
  CHECK(conflict.type == "urn:loyalty:error:idempotency_conflict");
}

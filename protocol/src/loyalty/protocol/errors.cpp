// The wire error model: name, HTTP status and title of every base::ErrorCode
// (loyalty/protocol/errors.h). docs/protocol.md, "Errors", lists the same table; a test checks it.
#include "loyalty/protocol/errors.h"

namespace loyalty::protocol {

namespace {

using base::ErrorCode;

struct CodeInfo {
  std::string_view name;
  int status;
  std::string_view title;
};

// A switch without a default: -Wswitch (in -Wall) flags any code added to ErrorCode but not here.
CodeInfo info(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformedJson:
      return {"malformed_json", 400, "Malformed JSON"};
    case ErrorCode::kInvalidEncoding:
      return {"invalid_encoding", 400, "Invalid text encoding"};
    case ErrorCode::kNestingTooDeep:
      return {"nesting_too_deep", 400, "JSON nested too deeply"};
    case ErrorCode::kDuplicateKey:
      return {"duplicate_key", 400, "Duplicate JSON key"};
    case ErrorCode::kBodyTooLarge:
      return {"body_too_large", 413, "Request body too large"};
    case ErrorCode::kUnsupportedMediaType:
      return {"unsupported_media_type", 415, "Unsupported media type"};
    case ErrorCode::kMissingField:
      return {"missing_field", 400, "Missing field"};
    case ErrorCode::kUnknownField:
      return {"unknown_field", 400, "Unknown field"};
    case ErrorCode::kWrongType:
      return {"wrong_type", 400, "Wrong field type"};
    case ErrorCode::kInvalidValue:
      return {"invalid_value", 400, "Invalid value"};
    case ErrorCode::kValueOutOfRange:
      return {"value_out_of_range", 400, "Value out of range"};
    case ErrorCode::kInvalidCard:
      return {"invalid_card", 400, "Invalid card number"};
    case ErrorCode::kTooManyLines:
      return {"too_many_lines", 400, "Too many lines"};
    case ErrorCode::kDuplicateLine:
      return {"duplicate_line", 400, "Duplicate line number"};
    case ErrorCode::kTotalOutOfRange:
      return {"total_out_of_range", 400, "Total out of range"};
    case ErrorCode::kInvalidCsv:
      return {"invalid_csv", 400, "Invalid CSV"};
    case ErrorCode::kIdempotencyConflict:
      return {"idempotency_conflict", 409, "Idempotency conflict"};
    case ErrorCode::kUnknownSale:
      return {"unknown_sale", 404, "Unknown sale"};
    case ErrorCode::kUnknownLine:
      return {"unknown_line", 422, "Unknown sale line"};
    case ErrorCode::kRefundExceedsSale:
      return {"refund_exceeds_sale", 422, "Refund exceeds sale"};
    case ErrorCode::kUnknownCustomer:
      return {"unknown_customer", 404, "Unknown customer"};
    case ErrorCode::kCouponUnavailable:
      return {"coupon_unavailable", 409, "Coupon unavailable"};
    case ErrorCode::kInsufficientPoints:
      return {"insufficient_points", 409, "Insufficient points"};
    case ErrorCode::kInvalidPointsRedemption:
      return {"invalid_points_redemption", 422, "Invalid points redemption"};
    case ErrorCode::kUnknownCampaign:
      return {"unknown_campaign", 404, "Unknown campaign"};
    case ErrorCode::kBudgetExhausted:
      return {"budget_exhausted", 409, "Budget exhausted"};
    case ErrorCode::kInvalidState:
      return {"invalid_state", 409, "Invalid state"};
    case ErrorCode::kCouponsNotConfigured:
      return {"coupons_not_configured", 503, "Coupons not configured"};
    case ErrorCode::kUnauthorized:
      return {"unauthorized", 401, "Unauthorized"};
    case ErrorCode::kForbidden:
      return {"forbidden", 403, "Forbidden"};
    case ErrorCode::kNotFound:
      return {"not_found", 404, "Not found"};
    case ErrorCode::kMethodNotAllowed:
      return {"method_not_allowed", 405, "Method not allowed"};
    case ErrorCode::kUnavailable:
      return {"unavailable", 503, "Service unavailable"};
    case ErrorCode::kStorageFailure:
      return {"storage_failure", 503, "Storage failure"};
    case ErrorCode::kTimeout:
      return {"timeout", 504, "Timed out"};
    case ErrorCode::kInternal:
      return {"internal", 500, "Internal error"};
  }
  return {"internal", 500, "Internal error"};  // not reached for a valid enumerator
}

}  // namespace

std::string_view codeName(ErrorCode code) { return info(code).name; }

int httpStatus(ErrorCode code) { return info(code).status; }

std::string_view codeTitle(ErrorCode code) { return info(code).title; }

const std::vector<ErrorCode>& allErrorCodes() {
  // The enumerators have no explicit values and kInternal is the last one (error_code.h).
  static const std::vector<ErrorCode> kAll = [] {
    std::vector<ErrorCode> all;
    for (int i = 0; i <= static_cast<int>(ErrorCode::kInternal); ++i) {
      all.push_back(static_cast<ErrorCode>(i));
    }
    return all;
  }();
  return kAll;
}

std::optional<ErrorCode> codeFromName(std::string_view name) {
  for (const ErrorCode code : allErrorCodes()) {
    if (info(code).name == name) {
      return code;
    }
  }
  return std::nullopt;
}

ErrorBody errorBody(const base::Error& error, std::string requestId) {
  const CodeInfo i = info(error.code);
  ErrorBody body;
  body.type = "urn:loyalty:error:";
  body.type += i.name;
  body.title = std::string(i.title);
  body.status = i.status;
  body.code = std::string(i.name);
  body.detail = error.message;
  body.requestId = std::move(requestId);
  return body;
}

}  // namespace loyalty::protocol

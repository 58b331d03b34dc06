// ErrorCode: the closed set of failures the system reports.
//
// Each code has a stable wire name and an HTTP status (see loyalty/protocol/errors.h and
// docs/protocol.md, "Errors"). Never renumber or rename a code: clients match on the name.
#pragma once

namespace loyalty::base {

enum class ErrorCode {
  // Request body and JSON syntax.
  kMalformedJson,      // not JSON, truncated, trailing garbage
  kInvalidEncoding,    // not valid UTF-8
  kNestingTooDeep,     // arrays/objects nested deeper than the limit
  kDuplicateKey,       // the same key twice in one JSON object
  kBodyTooLarge,       // body over the size limit
  kUnsupportedMediaType,
  // Message shape.
  kMissingField,
  kUnknownField,
  kWrongType,
  kInvalidValue,       // a string of the wrong format (date, identifier, ...)
  kValueOutOfRange,    // a number outside its documented range
  kInvalidCard,        // card number with a bad format or check digit
  kTooManyLines,
  kDuplicateLine,      // two basket lines with the same line number
  kTotalOutOfRange,    // basket or tender total above the limit
  kInvalidCsv,         // a catalogue file that cannot be imported
  // Business outcomes.
  kIdempotencyConflict,  // key already used by a different request
  kUnknownSale,          // refund of a sale the core does not know
  kUnknownLine,          // refund of a line the sale does not have
  kRefundExceedsSale,    // more returned than was sold (or already returned)
  kUnknownCustomer,
  kCouponUnavailable,    // a coupon in a commit is neither reserved for it nor redeemable now
  kInsufficientPoints,   // points tendered exceed the shopper's balance
  kInvalidPointsRedemption,  // points tendered below the minimum or not in whole units
  kUnknownCampaign,
  kBudgetExhausted,      // a campaign's count or cost budget does not allow this
  kInvalidState,         // the change is not allowed in the record's current state
  kCouponsNotConfigured, // no signing key: the core cannot issue coupons
  // Access (admin API).
  kUnauthorized,         // no valid token, or wrong user name or password
  kForbidden,            // authenticated, but the role or store scope does not allow it
  // Routing.
  kNotFound,
  kMethodNotAllowed,
  // Environment.
  kUnavailable,        // the service (or its upstream) cannot answer now; retry later
  kStorageFailure,     // the database failed; nothing was stored
  kTimeout,
  kInternal,
};

}  // namespace loyalty::base

// The error model of the wire: each base::ErrorCode has a stable name and an HTTP status.
// docs/protocol.md, "Errors", lists them; a test checks that the table there matches this one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/result.h"
#include "loyalty/protocol/messages.h"

namespace loyalty::protocol {

std::string_view codeName(base::ErrorCode code);  // e.g. "invalid_card"
std::optional<base::ErrorCode> codeFromName(std::string_view name);
int httpStatus(base::ErrorCode code);             // e.g. 400
std::string_view codeTitle(base::ErrorCode code);  // e.g. "Invalid card number"
const std::vector<base::ErrorCode>& allErrorCodes();

// Builds the problem+json body for an error.
ErrorBody errorBody(const base::Error& error, std::string requestId);

}  // namespace loyalty::protocol

// HTTP/1.x request-head parser for the event-driven server (http/event_server.h).
//
// parseRequestHead reads the request line and the header fields at the start of a buffer, up to
// and including the blank line that ends them. It accepts CRLF and bare LF line ends, HTTP/1.0
// and HTTP/1.1, and bodies framed by Content-Length only: a Transfer-Encoding (chunked request
// bodies) is refused, as are conflicting Content-Length values, header folding and a head over
// the size limit. It never allocates more than the head it parses.
//
// Thread safety: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loyalty/base/result.h"

namespace loyalty::core::http {

inline constexpr size_t kMaxHeadBytes = 16 * 1024;
inline constexpr size_t kMaxHeaderFields = 100;

struct RequestHead {
  std::string method;
  std::string target;    // as sent: path plus "?query"
  int minorVersion = 1;  // HTTP/1.<minorVersion>
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent, values trimmed
  uint64_t contentLength = 0;  // 0 when the request has no Content-Length
  bool keepAlive = true;       // HTTP/1.1 unless "Connection: close"; HTTP/1.0 with keep-alive
  bool expectContinue = false; // "Expect: 100-continue"
  size_t size = 0;             // bytes of the head, blank line included

  // The value of the first header called name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

// The head at the start of data: nullopt while it is incomplete (and within maxHeadBytes);
// kInvalidValue with a detail for a request that cannot be framed or is over the limit.
base::Result<std::optional<RequestHead>> parseRequestHead(std::string_view data,
                                                          size_t maxHeadBytes = kMaxHeadBytes);

// ASCII case-insensitive comparison, for header names and tokens.
bool equalsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace loyalty::core::http

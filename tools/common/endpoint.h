// Endpoint: a "host:port" address given on a tool's command line (--agents, --core,
// LOYALTY_CORE). An IPv6 literal is written in brackets: "[::1]:8440".
//
// Invariants of a parsed Endpoint: host is non-empty and holds no whitespace; 1 <= port <= 65535.
// Errors: kInvalidValue with a message naming the offending text.
//
// Thread safety: the functions are re-entrant; Endpoint is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/result.h"

namespace loyalty::tools {

struct Endpoint {
  std::string host;  // without brackets
  uint16_t port = 0;

  // "host:port", with brackets around a host that contains ':'.
  std::string str() const;
  bool operator==(const Endpoint& o) const { return host == o.host && port == o.port; }
};

base::Result<Endpoint> parseEndpoint(std::string_view text);

// "h1:p1,h2:p2,...": at least one endpoint; empty items are refused.
base::Result<std::vector<Endpoint>> parseEndpointList(std::string_view text);

}  // namespace loyalty::tools

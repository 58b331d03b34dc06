#include "common/endpoint.h"

namespace loyalty::tools {
namespace {

base::Error badEndpoint(std::string_view text, const char* why) {
  return base::makeError(base::ErrorCode::kInvalidValue,
                         "bad address \"" + std::string(text) + "\": " + why + " (want HOST:PORT)");
}

}  // namespace

std::string Endpoint::str() const {
  if (host.find(':') != std::string::npos) {
    return "[" + host + "]:" + std::to_string(port);
  }
  return host + ":" + std::to_string(port);
}

base::Result<Endpoint> parseEndpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return badEndpoint(text, "unbalanced brackets");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return badEndpoint(text, "no port");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return badEndpoint(text, "an IPv6 host needs brackets");
    }
  }
  if (host.empty()) {
    return badEndpoint(text, "empty host");
  }
  for (char c : host) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' || c == '[' || c == ']') {
      return badEndpoint(text, "bad character in host");
    }
  }
  if (port.empty() || port.size() > 5) {
    return badEndpoint(text, "bad port");
  }
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') {
      return badEndpoint(text, "bad port");
    }
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) {
    return badEndpoint(text, "port out of range 1..65535");
  }
  return Endpoint{std::string(host), static_cast<uint16_t>(value)};
}

base::Result<std::vector<Endpoint>> parseEndpointList(std::string_view text) {
  std::vector<Endpoint> out;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    auto endpoint = parseEndpoint(item);
    if (!endpoint) {
      return endpoint.error();
    }
    out.push_back(std::move(endpoint).value());
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

}  // namespace loyalty::tools

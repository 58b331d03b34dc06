#include "http/http_parser.h"

namespace loyalty::core::http {
namespace {

using base::ErrorCode;

base::Error invalid(std::string detail) {
  return base::makeError(ErrorCode::kInvalidValue, std::move(detail));
}

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool isToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!isTokenChar(c)) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// True when the comma-separated list value holds token (case-insensitive).
bool listHasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (equalsIgnoreCase(trim(value.substr(0, comma)), token)) {
      return true;
    }
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
  return false;
}

base::Status parseRequestLine(std::string_view line, RequestHead& head) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return invalid("malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method)) {
    return invalid("malformed request method");
  }
  if (target.empty()) {
    return invalid("empty request target");
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return invalid("control character in the request target");
    }
  }
  if (version == "HTTP/1.1") {
    head.minorVersion = 1;
  } else if (version == "HTTP/1.0") {
    head.minorVersion = 0;
  } else {
    return invalid("unsupported HTTP version (HTTP/1.0 and HTTP/1.1 only)");
  }
  head.method = std::string(method);
  head.target = std::string(target);
  return base::okStatus();
}

base::Result<uint64_t> parseContentLength(std::string_view v) {
  if (v.empty() || v.size() > 18) {
    return invalid("invalid Content-Length");
  }
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') {
      return invalid("invalid Content-Length");
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::string RequestHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (equalsIgnoreCase(k, name)) {
      return v;
    }
  }
  return std::string();
}

base::Result<std::optional<RequestHead>> parseRequestHead(std::string_view data,
                                                          size_t maxHeadBytes) {
  RequestHead head;
  size_t pos = 0;
  bool first = true;
  bool haveLength = false;
  bool sawConnectionClose = false;
  bool sawConnectionKeepAlive = false;
  // Tolerate empty lines before the request line (RFC 9112 section 2.2).
  while (pos < data.size() && pos < maxHeadBytes && (data[pos] == '\r' || data[pos] == '\n')) {
    ++pos;
  }
  for (;;) {
    const size_t eol = data.find('\n', pos);
    if (eol == std::string_view::npos || eol >= maxHeadBytes) {
      if (data.size() >= maxHeadBytes) {
        return invalid("request head over " + std::to_string(maxHeadBytes) + " bytes");
      }
      return std::optional<RequestHead>();
    }
    std::string_view line = data.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    pos = eol + 1;
    if (first) {
      if (auto st = parseRequestLine(line, head); !st.ok()) {
        return st.error();
      }
      first = false;
      continue;
    }
    if (line.empty()) {
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      return invalid("folded header lines are not supported");
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) {
      return invalid("malformed header line");
    }
    if (head.headers.size() >= kMaxHeaderFields) {
      return invalid("more than " + std::to_string(kMaxHeaderFields) + " header fields");
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return invalid("control character in a header value");
      }
    }
    if (equalsIgnoreCase(name, "Content-Length")) {
      auto n = parseContentLength(value);
      if (!n.ok()) {
        return n.error();
      }
      if (haveLength && *n != head.contentLength) {
        return invalid("conflicting Content-Length values");
      }
      haveLength = true;
      head.contentLength = *n;
    } else if (equalsIgnoreCase(name, "Transfer-Encoding")) {
      return invalid("chunked request bodies are not supported (send Content-Length)");
    } else if (equalsIgnoreCase(name, "Connection")) {
      sawConnectionClose = sawConnectionClose || listHasToken(value, "close");
      sawConnectionKeepAlive = sawConnectionKeepAlive || listHasToken(value, "keep-alive");
    } else if (equalsIgnoreCase(name, "Expect")) {
      head.expectContinue = equalsIgnoreCase(value, "100-continue");
    }
    head.headers.emplace_back(std::string(name), std::string(value));
  }
  head.size = pos;
  head.keepAlive = !sawConnectionClose && (head.minorVersion == 1 || sawConnectionKeepAlive);
  return std::optional<RequestHead>(std::move(head));
}

}  // namespace loyalty::core::http

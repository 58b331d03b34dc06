#include "http/router.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <istream>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"
#include "loyalty/protocol/limits.h"

namespace loyalty::core::http {
namespace {

using base::ErrorCode;

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;  // paths start with '/'
  if (path.empty() || path[0] != '/') {
    return out;
  }
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool isValidRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string newRequestId() {
  static const uint64_t boot = static_cast<uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  static std::atomic<uint64_t> counter{0};
  char buf[40];
  std::snprintf(buf, sizeof buf, "c%06llx-%llu",
                static_cast<unsigned long long>(boot & 0xFFFFFF),
                static_cast<unsigned long long>(++counter));
  return buf;
}

class RoutedHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RoutedHandler(const Router& router) : router_(router) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    Request req;
    req.requestId = acceptRequestId(in.get("X-Request-Id", ""));
    Response resp;
    try {
      resp = handle(in, req);
    } catch (const std::exception& e) {
      resp = errorResponse(base::makeError(ErrorCode::kInternal, "internal error"), req.requestId);
    } catch (...) {
      resp = errorResponse(base::makeError(ErrorCode::kInternal, "internal error"), req.requestId);
    }
    try {
      out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
      for (const auto& [name, value] : answerHeaders(resp, req.requestId)) {
        out.set(name, value);
      }
      out.setContentLength(static_cast<std::streamsize>(resp.body.size()));
      out.sendBuffer(resp.body.data(), resp.body.size());
    } catch (...) {
      // The client went away; nothing to answer to.
    }
  }

 private:
  Response handle(Poco::Net::HTTPServerRequest& in, Request& req) {
    req.method = in.getMethod();
    const std::string& uri = in.getURI();
    size_t q = uri.find('?');
    req.path = q == std::string::npos ? uri : uri.substr(0, q);
    req.query = q == std::string::npos ? std::string() : uri.substr(q + 1);
    req.contentType = in.getContentType();
    req.authorization = in.get("Authorization", "");
    // The body is read (within the route's limit) even when the answer is an error, so that no
    // unread bytes are left on a keep-alive connection.
    auto route = router_.match(req);
    const size_t limit = route.ok() ? (*route)->maxBodyBytes : protocol::kMaxBodyBytes;
    if (in.hasContentLength() || in.getChunkedTransferEncoding()) {
      std::istream& stream = in.stream();
      // Read at most limit + 1 bytes: sized from Content-Length when there is one, else grown.
      const size_t want = in.hasContentLength()
                              ? std::min<size_t>(static_cast<size_t>(in.getContentLength64()),
                                                 limit + 1)
                              : limit + 1;
      size_t got = 0;
      req.body.resize(std::min<size_t>(want, 64 * 1024));
      while (stream) {
        if (got == req.body.size()) {
          if (got >= want) {
            break;
          }
          req.body.resize(std::min(want, 2 * got));
        }
        stream.read(&req.body[got], static_cast<std::streamsize>(req.body.size() - got));
        got += static_cast<size_t>(stream.gcount());
      }
      req.body.resize(got);
      if (got > limit) {
        // Read (and drop) the rest, so that the client sees our answer rather than a reset;
        // past kMaxDiscardBytes, close the connection instead.
        char sink[16384];
        size_t discarded = 0;
        while (stream && discarded < kMaxDiscardBytes) {
          stream.read(sink, sizeof sink);
          discarded += static_cast<size_t>(stream.gcount());
        }
        if (discarded >= kMaxDiscardBytes) {
          in.response().setKeepAlive(false);
        }
        return bodyTooLargeResponse(limit, req.requestId);
      }
    }
    return runRoute(route, req);
  }

  const Router& router_;
};

}  // namespace

const std::string& Request::param(const std::string& name) const {
  static const std::string kEmpty;
  for (const auto& [k, v] : params) {
    if (k == name) {
      return v;
    }
  }
  return kEmpty;
}

std::optional<std::string> Request::queryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return std::string(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::string acceptRequestId(const std::string& incoming) {
  return isValidRequestId(incoming) ? incoming : newRequestId();
}

Response bodyTooLargeResponse(size_t limit, const std::string& requestId) {
  return errorResponse(
      base::makeError(ErrorCode::kBodyTooLarge, "body over " + std::to_string(limit) + " bytes"),
      requestId);
}

Response runRoute(const base::Result<const Router::Route*>& route, const Request& request) {
  if (!route.ok()) {
    return errorResponse(route.error(), request.requestId);
  }
  try {
    return (*route)->handler(request);
  } catch (...) {
    return errorResponse(base::makeError(ErrorCode::kInternal, "internal error"),
                         request.requestId);
  }
}

std::vector<std::pair<std::string, std::string>> answerHeaders(const Response& response,
                                                               const std::string& requestId) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(response.headers.size() + 2);
  out.emplace_back("Content-Type", response.contentType);
  out.emplace_back("X-Request-Id", requestId);
  for (const auto& header : response.headers) {
    out.push_back(header);
  }
  return out;
}

Response errorResponse(const base::Error& error, const std::string& requestId) {
  Response r;
  r.status = protocol::httpStatus(error.code);
  r.contentType = "application/problem+json";
  r.body = protocol::encode(protocol::errorBody(error, requestId));
  return r;
}

void Router::add(std::string method, std::string pattern, Handler handler,
                 size_t maxBodyBytes) {
  routes_.push_back(Route{std::move(method), splitPath(pattern), std::move(handler),
                          maxBodyBytes == 0 ? protocol::kMaxBodyBytes : maxBodyBytes});
}

base::Result<const Router::Route*> Router::match(Request& request) const {
  const auto segments = splitPath(request.path);
  bool pathMatched = false;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) {
      continue;
    }
    std::vector<std::pair<std::string, std::string>> params;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& p = route.segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        if (segments[i].empty()) {
          match = false;
        } else {
          params.emplace_back(p.substr(1, p.size() - 2), segments[i]);
        }
      } else if (p != segments[i]) {
        match = false;
      }
    }
    if (!match) {
      continue;
    }
    pathMatched = true;
    if (route.method != request.method) {
      continue;
    }
    request.params = std::move(params);
    return &route;
  }
  if (pathMatched) {
    return base::makeError(ErrorCode::kMethodNotAllowed,
                           request.method + " is not allowed on " + request.path);
  }
  return base::makeError(ErrorCode::kNotFound, "no such endpoint: " + request.path);
}

Response Router::dispatch(Request& request) const {
  auto route = match(request);
  if (!route.ok()) {
    return errorResponse(route.error(), request.requestId);
  }
  return (*route)->handler(request);
}

Poco::Net::HTTPRequestHandler* RouterFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest& /*request*/) {
  return new RoutedHandler(router_);
}

}  // namespace loyalty::core::http

// Router: maps (method, path) to a handler, independent of the HTTP server library, so that the
// API can be tested in-process. RouterFactory adapts it to Poco::Net::HTTPServer.
//
// Paths are matched segment by segment; a pattern segment "{name}" matches any one segment and
// is passed to the handler in Request::params. A path that matches no pattern answers 404
// not_found; a path that matches with another method answers 405 method_not_allowed.
//
// The adapter reads at most the route's body limit (protocol::kMaxBodyBytes unless the route says
// otherwise); a larger body is 413 body_too_large, read and dropped up to 16 MiB so that the
// client sees the answer (beyond that the connection is closed). It sets X-Request-Id on every answer
// (the request's own when it is 1..64 of [A-Za-z0-9_-], else a generated one), and turns any
// exception a handler lets escape into 500 internal. Handlers never see Poco types.
//
// Thread safety: a Router is immutable once the server starts; handlers must be thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "loyalty/base/result.h"

namespace loyalty::core::http {

struct Request {
  std::string method;
  std::string path;
  std::string query;  // the URI after '?', undecoded ("" when none)
  std::string body;
  std::string contentType;
  std::string requestId;
  std::string authorization;  // the Authorization header ("" when none)
  std::vector<std::pair<std::string, std::string>> params;  // from "{name}" segments

  const std::string& param(const std::string& name) const;
  // The value of name=value in query (the first one; no percent-decoding), or nullopt.
  std::optional<std::string> queryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<Response(const Request&)>;

// The problem+json answer for an error (status from protocol::httpStatus).
Response errorResponse(const base::Error& error, const std::string& requestId);

class Router {
 public:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    size_t maxBodyBytes = 0;
  };

  // maxBodyBytes: the largest body this endpoint reads (default: protocol::kMaxBodyBytes).
  void add(std::string method, std::string pattern, Handler handler, size_t maxBodyBytes = 0);
  // The route for request.method and request.path, filling request.params; or the 404/405 error.
  base::Result<const Route*> match(Request& request) const;
  // match() then call the handler (the body must already be in request.body).
  Response dispatch(Request& request) const;

 private:
  std::vector<Route> routes_;
};

// Shared by RouterFactory and EventServer (http/event_server.h), so that both answer alike.
// The request's own X-Request-Id when it is 1..64 of [A-Za-z0-9_-], else a generated one.
std::string acceptRequestId(const std::string& incoming);
// The 413 body_too_large answer for a body over limit bytes.
Response bodyTooLargeResponse(size_t limit, const std::string& requestId);
// The matched route's handler on request (or the match error as problem+json); any exception
// the handler lets escape becomes 500 internal.
Response runRoute(const base::Result<const Router::Route*>& route, const Request& request);
// The header fields of an answer, in order: Content-Type, X-Request-Id, then response.headers
// (the server adds Content-Length and Connection).
std::vector<std::pair<std::string, std::string>> answerHeaders(const Response& response,
                                                               const std::string& requestId);
// Bytes beyond a body limit that are still read and dropped, so that the client sees the 413;
// a larger body closes the connection instead.
inline constexpr size_t kMaxDiscardBytes = 16 * 1024 * 1024;

// Poco adapter: one handler object per request, all sharing the router.
class RouterFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RouterFactory(const Router& router) : router_(router) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

 private:
  const Router& router_;
};

}  // namespace loyalty::core::http

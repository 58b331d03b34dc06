#include "server/agent_server.h"

#include <chrono>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <istream>
#include <string_view>

#include "loyalty/protocol/limits.h"

namespace loyalty::agent {

namespace {

using base::ErrorCode;
using base::makeError;

constexpr size_t kMaxRequestIdLength = 64;
// A refused request body up to this size is read and dropped rather than left unread.
constexpr size_t kMaxDiscarded = protocol::kMaxBodyBytes + size_t{1024} * 1024;
constexpr const char* kRequestIdHeader = "X-Request-Id";

Poco::Logger& logger() { return Poco::Logger::get("loyalty.agent.http"); }

enum class Method { kGet, kPost };

struct Route {
  const char* path;
  Method method;
  Reply (AgentService::*post)(const std::string&, const std::string&);
};

// The whole API. GET /v1/agent/status has no body and is handled apart (post == nullptr).
constexpr Route kRoutes[] = {
    {"/v1/identify", Method::kPost, &AgentService::identify},
    {"/v1/price", Method::kPost, &AgentService::price},
    {"/v1/commit", Method::kPost, &AgentService::commit},
    {"/v1/refund", Method::kPost, &AgentService::refund},
    {"/v1/void", Method::kPost, &AgentService::voidTransaction},
    {"/v1/agent/status", Method::kGet, nullptr},
};

const char* methodName(Method method) { return method == Method::kGet ? "GET" : "POST"; }

std::string newRequestId() {
  return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

// The media type of a Content-Type value, lower-cased, without parameters or spaces.
std::string mediaType(const std::string& contentType) {
  std::string type = contentType.substr(0, contentType.find(';'));
  type.erase(std::remove_if(type.begin(), type.end(),
                            [](unsigned char c) { return std::isspace(c) != 0; }),
             type.end());
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type;
}

class RouterHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RouterHandler(AgentService& service) : service_(service) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    auto started = std::chrono::steady_clock::now();
    std::string requestId = request.get(kRequestIdHeader, "");
    if (!isValidRequestId(requestId)) {
      requestId = newRequestId();
    }
    Reply reply;
    try {
      reply = route(request, response, requestId);
    } catch (const Poco::Exception& e) {
      reply = internalError(requestId, e.displayText());
    } catch (const std::exception& e) {
      reply = internalError(requestId, e.what());
    } catch (...) {
      reply = internalError(requestId, "unknown exception");
    }
    try {
      response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
      response.setContentType(reply.contentType);
      response.set(kRequestIdHeader, requestId);
      response.sendBuffer(reply.body.data(), reply.body.size());
    } catch (const std::exception& e) {
      poco_warning(logger(), "cannot answer request " + requestId + ": " + e.what());
      return;
    } catch (...) {
      poco_warning(logger(), "cannot answer request " + requestId);
      return;
    }
    if (logger().debug()) {
      auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count() /
                1000.0;
      logger().debug("%s %s -> %d in %.1f ms (request %s)", request.getMethod(),
                     pathOf(request.getURI()), reply.status, ms, requestId);
    }
  }

 private:
  static std::string pathOf(const std::string& uri) { return uri.substr(0, uri.find('?')); }

  static Reply internalError(const std::string& requestId, const std::string& what) {
    poco_error(logger(), "request " + requestId + " failed: " + what);
    return errorReply(makeError(ErrorCode::kInternal, "internal error"), requestId);
  }

  Reply route(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
              const std::string& requestId) {
    std::string path = pathOf(request.getURI());
    const Route* found = nullptr;
    for (const Route& r : kRoutes) {
      if (path == r.path) {
        found = &r;
        break;
      }
    }
    if (found == nullptr) {
      return rejectWithoutBody(
          request, response,
          errorReply(makeError(ErrorCode::kNotFound, "no resource " + path), requestId));
    }
    if (request.getMethod() != methodName(found->method)) {
      response.set("Allow", methodName(found->method));
      return rejectWithoutBody(
          request, response,
          errorReply(makeError(ErrorCode::kMethodNotAllowed,
                               request.getMethod() + " is not allowed on " + path + " (use " +
                                   methodName(found->method) + ")"),
                     requestId));
    }
    if (found->post == nullptr) {
      return service_.status(requestId);
    }
    if (request.has("Content-Type") && mediaType(request.getContentType()) != "application/json") {
      return rejectWithoutBody(request, response,
                               errorReply(makeError(ErrorCode::kUnsupportedMediaType,
                                                    "Content-Type must be application/json"),
                                          requestId));
    }
    std::string body;
    if (std::optional<Reply> refused = readBody(request, response, requestId, body)) {
      return std::move(*refused);
    }
    return (service_.*(found->post))(body, requestId);
  }

  // Reads the request body into body, keeping at most kMaxBodyBytes + 1 bytes. Returns the
  // refusal when the body is too large or cut short.
  static std::optional<Reply> readBody(Poco::Net::HTTPServerRequest& request,
                                       Poco::Net::HTTPServerResponse& response,
                                       const std::string& requestId, std::string& body) {
    constexpr size_t kLimit = protocol::kMaxBodyBytes;
    Reply tooLarge = errorReply(makeError(ErrorCode::kBodyTooLarge,
                                          "request body over " + std::to_string(kLimit) + " bytes"),
                                requestId);
    if (request.hasContentLength() &&
        request.getContentLength64() > static_cast<Poco::Int64>(kLimit)) {
      return rejectWithoutBody(request, response, std::move(tooLarge));
    }
    if (!hasBody(request)) {
      return std::nullopt;
    }
    std::istream& in = request.stream();
    char buffer[8192];
    while (body.size() <= kLimit) {
      size_t want = std::min(sizeof(buffer), kLimit + 1 - body.size());
      in.read(buffer, static_cast<std::streamsize>(want));
      body.append(buffer, static_cast<size_t>(in.gcount()));
      if (!in) {
        break;
      }
    }
    if (in.bad()) {
      response.setKeepAlive(false);
      return errorReply(makeError(ErrorCode::kMalformedJson, "request body cut short"), requestId);
    }
    if (body.size() > kLimit) {
      // The rest of a (chunked) body: drop it as rejectWithoutBody does.
      if (!discard(in, kMaxDiscarded - body.size())) {
        response.setKeepAlive(false);
      }
      return tooLarge;
    }
    return std::nullopt;
  }

  // Reads and drops up to limit bytes. Returns true when the stream ended within them.
  static bool discard(std::istream& in, size_t limit) {
    char buffer[8192];
    size_t total = 0;
    while (total <= limit) {
      in.read(buffer, sizeof(buffer));
      total += static_cast<size_t>(in.gcount());
      if (!in) {
        return in.eof() && !in.bad() && total <= limit;
      }
    }
    return false;
  }

  // An answer given before the request body was read: the body is read and dropped (up to a
  // bound) so that the client can read the answer and the connection stays usable.
  static Reply rejectWithoutBody(Poco::Net::HTTPServerRequest& request,
                                 Poco::Net::HTTPServerResponse& response, Reply reply) {
    if (!hasBody(request)) {
      return reply;
    }
    Poco::Int64 declared = request.hasContentLength() ? request.getContentLength64() : -1;
    if (declared > static_cast<Poco::Int64>(kMaxDiscarded) ||
        !discard(request.stream(), kMaxDiscarded)) {
      response.setKeepAlive(false);
    }
    return reply;
  }

  // A request without Content-Length or chunked encoding has no body (RFC 9112, 6.3); POCO
  // would read one until the connection closes.
  static bool hasBody(const Poco::Net::HTTPServerRequest& request) {
    return request.hasContentLength() || request.getChunkedTransferEncoding();
  }

  AgentService& service_;
};

class RouterFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RouterFactory(AgentService& service) : service_(service) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& /*request*/) override {
    return new RouterHandler(service_);
  }

 private:
  AgentService& service_;
};

}  // namespace

bool isValidRequestId(const std::string& id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '_' || c == ':' || c == '-';
  });
}

base::Result<std::unique_ptr<AgentServer>> AgentServer::start(const AgentServerOptions& options,
                                                              AgentService& service) {
  if (options.threads < 1 || options.maxQueued < 1 || options.requestTimeoutMs < 1) {
    return makeError(ErrorCode::kInternal,
                     "agent server: threads, maxQueued and "
                     "requestTimeoutMs must be positive");
  }
  std::unique_ptr<AgentServer> server(new AgentServer());
  std::string where = options.host + ":" + std::to_string(options.port);
  try {
    Poco::Net::ServerSocket socket;
    // SO_REUSEADDR so that a restart is not blocked by connections in TIME_WAIT; never
    // SO_REUSEPORT: a second agent on the same port must fail, not share it.
    socket.bind(Poco::Net::SocketAddress(options.host, options.port), true, false);
    socket.listen(options.maxQueued);
    server->port_ = socket.address().port();

    Poco::Timespan timeout(static_cast<long>(options.requestTimeoutMs) * 1000);
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(options.threads);
    params->setMaxQueued(options.maxQueued);
    params->setTimeout(timeout);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(timeout);
    params->setSoftwareVersion("pos-agent");

    server->threads_ = std::make_unique<Poco::ThreadPool>("pos-agent-http", 1, options.threads);
    server->server_ = std::make_unique<Poco::Net::HTTPServer>(new RouterFactory(service),
                                                              *server->threads_, socket, params);
    server->server_->start();
  } catch (const Poco::Exception& e) {
    return makeError(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + e.displayText());
  }
  poco_information(logger(), "listening on " + options.host + ":" + std::to_string(server->port_));
  return server;
}

AgentServer::~AgentServer() { stop(); }

void AgentServer::stop() {
  if (stopped_ || server_ == nullptr) {
    return;
  }
  stopped_ = true;
  try {
    // Requests in flight finish; idle keep-alive connections would otherwise hold the stop until
    // their timeout, so whatever is still open after a short grace period is closed.
    server_->stopAll(false);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (server_->currentConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    server_->stopAll(true);
    threads_->joinAll();
  } catch (const std::exception& e) {
    poco_error(logger(), std::string("stopping the HTTP server: ") + e.what());
  }
}

}  // namespace loyalty::agent

// AgentServer: the pos-agent's local HTTP API for the POS (docs/protocol.md), a
// Poco::Net::HTTPServer whose request handler factory routes (method, path) to thin handlers over
// an AgentService:
//   POST /v1/identify, /v1/price, /v1/commit, /v1/refund, /v1/void; GET /v1/agent/status.
// Edge rules: a body over protocol::kMaxBodyBytes gets 413 body_too_large (at most that many bytes
// plus one are read); an explicit non-JSON Content-Type on a POST gets 415; an unknown path 404
// not_found; a known path with the wrong method 405 method_not_allowed (with Allow). Errors are
// problem+json. Every response carries X-Request-Id (a valid incoming one is echoed, else one is
// generated). No exception escapes a handler (anything unexpected is 500 internal). Bodies are
// never logged (they hold card numbers).
//
// Thread safety: requests are served concurrently on the server's own thread pool; start/stop
// belong to the owner. Lifetime: the AgentService must outlive the server.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "loyalty/base/result.h"
#include "server/agent_service.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}  // namespace Net
}  // namespace Poco

namespace loyalty::agent {

struct AgentServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;             // 0: the OS chooses (see port())
  int threads = 8;               // request threads (connections served at once)
  int maxQueued = 64;            // accepted connections waiting for a thread
  int requestTimeoutMs = 10000;  // reading a request, and keep-alive idle time
};

class AgentServer {
 public:
  // Binds, listens and starts serving.
  // Errors: kUnavailable when the address cannot be bound; kInternal for bad options.
  static base::Result<std::unique_ptr<AgentServer>> start(const AgentServerOptions& options,
                                                          AgentService& service);
  ~AgentServer();
  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  // The bound port (the OS's choice when options.port was 0).
  uint16_t port() const { return port_; }

  // Stops accepting, lets requests in progress finish, closes idle connections and joins the
  // request threads. Idempotent.
  void stop();

 private:
  AgentServer() = default;

  uint16_t port_ = 0;
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;  // destroyed before threads_
  bool stopped_ = false;
};

// True when id may be echoed as X-Request-Id: 1..64 of [A-Za-z0-9._:-].
bool isValidRequestId(const std::string& id);

}  // namespace loyalty::agent

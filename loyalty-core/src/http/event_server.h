// EventServer: an HTTP/1.1 server over plain TCP, driven by Linux epoll, that serves an
// http::Router with the same visible behaviour as RouterFactory on Poco's HTTPServer (body limit
// per route and 413, X-Request-Id, 404/405, exceptions -> 500), but where an idle keep-alive
// connection costs a file descriptor and a small buffer instead of a thread.
//
// Structure: I/O threads (the first one also accepts) own the connections: non-blocking
// sockets, edge-triggered epoll, reading and framing requests (http/http_parser.h) and writing
// answers (partial writes wait for EPOLLOUT). A complete request goes to a pool of worker threads
// that run the Router handler; the answer comes back to the connection's I/O thread. Requests on
// one connection are answered in order: pipelined bytes wait until the previous answer is sent.
// Bodies need Content-Length (chunked request bodies answer 400 invalid_value and close). A head
// over maxHeadBytes answers 400; a request that makes no progress for requestTimeout, and an idle
// connection after keepAliveTimeout, are closed.
//
// Thread safety: start() and stop() from one controlling thread; port(), currentConnections()
// from any thread. The Router must outlive the server and its handlers must be thread-safe.
// Invariants: a connection belongs to exactly one I/O thread; at most one request per
// connection is with the workers at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/http_parser.h"
#include "http/router.h"
#include "loyalty/base/result.h"

namespace loyalty::core::http {

struct EventServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: the OS chooses (see EventServer::port)
  int workerThreads = 16;
  int ioThreads = 1;
  int backlog = 1024;
  std::chrono::milliseconds keepAliveTimeout{15000};
  std::chrono::milliseconds requestTimeout{10000};  // no progress on a started request
  std::chrono::milliseconds stopGrace{500};          // for requests in flight at stop()
  size_t maxHeadBytes = kMaxHeadBytes;
};

class EventServer {
 public:
  EventServer(const Router& router, EventServerOptions options);
  ~EventServer();  // stop()
  EventServer(const EventServer&) = delete;
  EventServer& operator=(const EventServer&) = delete;

  // Raises RLIMIT_NOFILE to its hard limit, binds, listens and starts the threads.
  // Errors: kUnavailable (address, socket or thread failure), kInvalidState (started twice).
  base::Status start();
  // Stops accepting, lets requests in flight finish for up to stopGrace, closes every
  // connection and joins the threads. Idempotent.
  void stop();

  uint16_t port() const;                 // the bound port once started
  size_t currentConnections() const;     // open client connections
  uint64_t openFileLimit() const;        // RLIMIT_NOFILE soft limit after start()

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace loyalty::core::http

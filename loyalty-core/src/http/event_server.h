// EventServer: an HTTP/1.1 server over plain TCP or TLS, driven by Linux epoll, that serves an
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
// TLS (EventServerOptions::tls set): every connection first makes a non-blocking TLS handshake
// on its I/O thread (SSL_accept driven by epoll: WANT_READ / WANT_WRITE wait for that event), then
// reads and writes records with SSL_read / SSL_write (either may want the other direction; a
// read may leave decrypted bytes in OpenSSL, which the next read takes before waiting for the
// socket). Everything after the handshake behaves as over plain TCP. The handshake counts
// against requestTimeout from the accept; a failed handshake closes the connection without an
// HTTP answer (the SSL_CTX's own callbacks, e.g. app::ServerTls's verification, log refusals). A
// connection that closes after a completed handshake sends close_notify (best effort). The
// SSL_CTX is used, never changed: its verification, session cache and ticket callbacks apply
// (each connection's SSL takes partial writes and releases its buffers while idle).
// Handshakes are CPU work on the I/O threads: with ioThreads > 1 the accepting thread hands new
// connections to the I/O threads in turn (round robin), handshakes included.
//
// Thread safety: start() and stop() from one controlling thread; port(), currentConnections(),
// tlsCounts() from any thread. The Router must outlive the server and its handlers must be thread-safe. The
// SSL_CTX must outlive the server (stop() frees every connection's SSL). The I/O threads block
// SIGPIPE for themselves (OpenSSL writes to the socket without MSG_NOSIGNAL).
// Invariants: a connection belongs to exactly one I/O thread; at most one request per
// connection is with the workers at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <openssl/types.h>

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
  // Server TLS context (owned by the caller, e.g. app::ServerTls::context()->sslContext());
  // nullptr: plain TCP.
  SSL_CTX* tls = nullptr;
};

// TLS handshakes since start() (all zero without TLS).
struct EventServerTlsCounts {
  uint64_t handshakes = 0;  // completed
  uint64_t resumed = 0;     // of those, abbreviated (a session or ticket was resumed)
  uint64_t failed = 0;      // refused or broken by the peer, or closed by requestTimeout
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
  EventServerTlsCounts tlsCounts() const;  // any thread

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace loyalty::core::http

// The event-driven server over TLS on 127.0.0.1 port 0, with a throwaway CA, server and terminal
// certificate made in the test by loyalty-ca's library, and an OpenSSL client: keep-alive and
// session resumption (TLS 1.2 and 1.3), a 1 MB body and a 16 MB answer across many records and
// partial writes, pipelined records, 100-continue, a handshake that stalls (closed after
// requestTimeout), refused handshakes (plain HTTP, no client certificate) without an HTTP
// answer, close_notify on Connection: close, and 200 concurrent TLS connections.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http/event_server.h"
#include "http/router.h"
#include "loyalty-ca/ca.h"
#include "support/test_support.h"

using namespace loyalty;
using namespace loyalty::core::http;
using loyalty::testing::TempDir;
using loyalty::testing::waitUntil;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct SessionFree {
  void operator()(SSL_SESSION* session) const { SSL_SESSION_free(session); }
};
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionFree>;

// A CA with a server certificate for 127.0.0.1 and one terminal certificate, in a temp folder.
struct Pki {
  TempDir dir{"loyalty-ev-tls"};
  std::string caCert;
  std::string serverCert;
  std::string serverKey;
  std::string terminalCert;
  std::string terminalKey;

  Pki() {
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    const std::string caDir = dir.file("ca");
    auto ca = tools::ca::initCa(caDir, "Event Server Test CA", now);
    INFO((ca.ok() ? std::string() : ca.error().message));
    REQUIRE(ca.ok());
    caCert = ca->certPath;
    tools::ca::IssueRequest server;
    server.kind = tools::ca::CertKind::kServer;
    server.host = "127.0.0.1";
    auto issuedServer = tools::ca::issue(caDir, server, dir.file("out"), now);
    REQUIRE(issuedServer.ok());
    serverCert = issuedServer->certPath;
    serverKey = issuedServer->keyPath;
    tools::ca::IssueRequest terminal;
    terminal.kind = tools::ca::CertKind::kTerminal;
    terminal.store = "S001";
    terminal.terminal = "T01";
    auto issuedTerminal = tools::ca::issue(caDir, terminal, dir.file("out"), now);
    REQUIRE(issuedTerminal.ok());
    terminalCert = issuedTerminal->certPath;
    terminalKey = issuedTerminal->keyPath;
  }
};

// Mutual TLS as the core's ServerTls does it: client certificates required, session cache.
CtxPtr serverContext(const Pki& pki) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  REQUIRE(ctx != nullptr);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  REQUIRE(SSL_CTX_use_certificate_chain_file(ctx.get(), pki.serverCert.c_str()) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey_file(ctx.get(), pki.serverKey.c_str(), SSL_FILETYPE_PEM) == 1);
  REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), pki.caCert.c_str(), nullptr) == 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  static const unsigned char kContext[] = "event-server-test";
  SSL_CTX_set_session_id_context(ctx.get(), kContext, sizeof kContext - 1);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER);
  return ctx;
}

CtxPtr clientContext(const Pki& pki, bool withCertificate, int maxVersion = 0) {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  REQUIRE(ctx != nullptr);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (maxVersion != 0) {
    SSL_CTX_set_max_proto_version(ctx.get(), maxVersion);
  }
  REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), pki.caCert.c_str(), nullptr) == 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (withCertificate) {
    REQUIRE(SSL_CTX_use_certificate_file(ctx.get(), pki.terminalCert.c_str(), SSL_FILETYPE_PEM) ==
            1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx.get(), pki.terminalKey.c_str(), SSL_FILETYPE_PEM) ==
            1);
  }
  return ctx;
}

int connectTo(uint16_t port, int receiveBuffer = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  if (receiveBuffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval limit{10, 0};  // a fail-safe for blocking calls; the tests wait with poll
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  return fd;
}

void setBlocking(int fd, bool blocking) {
  const int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK));
}

int millisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Reads and drops whatever comes on a plain socket until the peer closes it (true), or the
// timeout passes (false). Everything received is appended to seen.
bool rawClosedByPeer(int fd, std::chrono::milliseconds timeout, std::string* seen = nullptr) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const int left = millisLeft(deadline);
    if (left == 0) {
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, left) <= 0) {
      return false;
    }
    char tmp[4096];
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) {
      return true;
    }
    if (seen != nullptr) {
      seen->append(tmp, static_cast<size_t>(n));
    }
  }
}

// A TLS client on a blocking socket (poll gives the deadlines).
class TlsClient {
 public:
  TlsClient(uint16_t port, SSL_CTX* ctx, int receiveBuffer = 0)
      : fd_(connectTo(port, receiveBuffer)), ssl_(SSL_new(ctx)) {
    REQUIRE(ssl_ != nullptr);
    SSL_set_fd(ssl_.get(), fd_);
  }
  // A well-behaved client: close_notify first (a session of a connection closed without it is no
  // longer resumable, on either side).
  ~TlsClient() {
    if (SSL_is_init_finished(ssl_.get()) == 1 && lastError_ == SSL_ERROR_NONE) {
      setBlocking(fd_, false);
      ERR_clear_error();
      (void)SSL_shutdown(ssl_.get());
      ERR_clear_error();
    }
    ::close(fd_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  void offer(SSL_SESSION* session) { SSL_set_session(ssl_.get(), session); }
  bool handshake() {
    ERR_clear_error();
    const bool ok = SSL_connect(ssl_.get()) == 1;
    ERR_clear_error();
    return ok;
  }
  bool resumed() const { return SSL_session_reused(ssl_.get()) == 1; }
  SessionPtr session() const { return SessionPtr(SSL_get1_session(ssl_.get())); }
  int fd() const { return fd_; }
  SSL* ssl() const { return ssl_.get(); }

  bool send(const std::string& bytes) {
    ERR_clear_error();
    size_t off = 0;
    while (off < bytes.size()) {
      const int n = SSL_write(ssl_.get(), bytes.data() + off,
                              static_cast<int>(std::min<size_t>(bytes.size() - off, 1 << 20)));
      if (n <= 0) {
        ERR_clear_error();
        return false;
      }
      off += static_cast<size_t>(n);
    }
    return true;
  }

  struct Answer {
    int status = 0;
    std::string head;
    std::string body;
    bool has(const std::string& text) const { return head.find(text) != std::string::npos; }
  };

  // The next answer, or status 0 when the connection ended or nothing came before timeout.
  Answer read(std::chrono::milliseconds timeout = 20s) {
    Answer a;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const size_t headEnd = buf_.find("\r\n\r\n");
      if (headEnd != std::string::npos) {
        a.head = buf_.substr(0, headEnd + 4);
        a.status = std::atoi(a.head.c_str() + 9);
        const size_t cl = a.head.find("Content-Length: ");
        const size_t length = cl == std::string::npos ? 0 : std::stoul(a.head.substr(cl + 16));
        if (buf_.size() >= headEnd + 4 + length) {
          a.body = buf_.substr(headEnd + 4, length);
          buf_.erase(0, headEnd + 4 + length);
          return a;
        }
      }
      if (!fill(deadline)) {
        return Answer{};
      }
    }
  }

  // True when the server ends the connection before timeout; cleanClose tells whether it sent
  // close_notify first.
  bool closedByPeer(std::chrono::milliseconds timeout, bool* cleanClose = nullptr) {
    const auto deadline = Clock::now() + timeout;
    while (fill(deadline)) {
    }
    if (cleanClose != nullptr) {
      *cleanClose = lastError_ == SSL_ERROR_ZERO_RETURN;
    }
    return lastError_ != SSL_ERROR_NONE;
  }

 private:
  // Reads some more; false when the connection ended (lastError_ set) or at the deadline.
  bool fill(Clock::time_point deadline) {
    if (SSL_pending(ssl_.get()) == 0) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, millisLeft(deadline)) <= 0) {
        return false;
      }
    }
    char tmp[65536];
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), tmp, sizeof tmp);
    if (n <= 0) {
      lastError_ = SSL_get_error(ssl_.get(), n);
      ERR_clear_error();
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::unique_ptr<SSL, SslFree> ssl_;
  std::string buf_;
  int lastError_ = SSL_ERROR_NONE;
};

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

std::string post(const std::string& path, const std::string& body,
                 const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

constexpr size_t kBigAnswer = 16 * 1024 * 1024;
constexpr size_t kLargeBodyLimit = 2 * 1024 * 1024;

// A router with a few routes and a server on it with TLS (members in that order: the context
// outlives the server).
struct TlsFixture {
  Pki pki;
  CtxPtr serverCtx;
  Router router;
  std::unique_ptr<EventServer> server;

  explicit TlsFixture(EventServerOptions options = {}) : serverCtx(serverContext(pki)) {
    router.add("GET", "/v1/echo/{name}", [](const Request& r) {
      Response out;
      out.body = "{\"name\":\"" + r.param("name") + "\",\"id\":\"" + r.requestId + "\"}";
      return out;
    });
    router.add(
        "POST", "/v1/size",
        [](const Request& r) {
          Response out;
          size_t xs = 0;
          for (char ch : r.body) {
            xs += ch == 'x' ? 1 : 0;
          }
          out.body = "{\"bytes\":" + std::to_string(r.body.size()) +
                     ",\"xs\":" + std::to_string(xs) + "}";
          return out;
        },
        kLargeBodyLimit);
    router.add("GET", "/v1/slow", [](const Request&) {
      std::this_thread::sleep_for(50ms);
      Response out;
      out.body = "{\"slow\":true}";
      return out;
    });
    router.add("GET", "/v1/big", [](const Request&) {
      Response out;
      out.contentType = "text/plain";
      out.body.resize(kBigAnswer);
      for (size_t i = 0; i < out.body.size(); ++i) {
        out.body[i] = static_cast<char>('a' + i % 26);
      }
      return out;
    });
    options.port = 0;
    options.tls = serverCtx.get();
    server = std::make_unique<EventServer>(router, options);
    auto st = server->start();
    REQUIRE(st.ok());
    REQUIRE(server->port() != 0);
  }
  ~TlsFixture() { server.reset(); }  // before the context
  uint16_t port() const { return server->port(); }
};

}  // namespace

TEST_CASE("EventServer TLS: keep-alive requests on one connection, then a resumed session",
          "[integration]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  INFO("client TLS version " << (version == TLS1_2_VERSION ? "1.2" : "1.3"));
  TlsFixture f;
  CtxPtr clientCtx = clientContext(f.pki, true, version);
  SessionPtr saved;
  {
    TlsClient c(f.port(), clientCtx.get());
    REQUIRE(c.handshake());
    CHECK_FALSE(c.resumed());
    for (int i = 0; i < 5; ++i) {
      REQUIRE(c.send(get("/v1/echo/n" + std::to_string(i), "X-Request-Id: r-" +
                                                                 std::to_string(i) + "\r\n")));
      auto a = c.read();
      REQUIRE(a.status == 200);
      CHECK(a.has("X-Request-Id: r-" + std::to_string(i) + "\r\n"));
      CHECK(a.body == "{\"name\":\"n" + std::to_string(i) + "\",\"id\":\"r-" +
                          std::to_string(i) + "\"}");
    }
    REQUIRE(c.send(post("/v1/size", "xxx")));
    CHECK(c.read().body == "{\"bytes\":3,\"xs\":3}");
    CHECK(f.server->currentConnections() == 1);
    saved = c.session();  // TLS 1.3: the ticket came with the first answer
    REQUIRE(saved != nullptr);
  }
  CHECK(f.server->tlsCounts().handshakes == 1);
  CHECK(f.server->tlsCounts().resumed == 0);

  TlsClient again(f.port(), clientCtx.get());
  again.offer(saved.get());
  REQUIRE(again.handshake());
  CHECK(again.resumed());
  REQUIRE(again.send(get("/v1/echo/back")));
  CHECK(again.read().status == 200);
  CHECK(waitUntil([&] { return f.server->tlsCounts().resumed == 1; }, 5s));
  CHECK(f.server->tlsCounts().handshakes == 2);
  CHECK(f.server->tlsCounts().failed == 0);
}

TEST_CASE("EventServer TLS: a 1 MB body and a 16 MB answer cross many records", "[integration]") {
  TlsFixture f;
  CtxPtr clientCtx = clientContext(f.pki, true);
  // A small receive buffer: the server's writes of the 16 MB answer stop short again and again
  // and resume on EPOLLOUT.
  TlsClient c(f.port(), clientCtx.get(), 64 * 1024);
  REQUIRE(c.handshake());
  const std::string body(1024 * 1024, 'x');
  REQUIRE(c.send(post("/v1/size", body)));
  auto a = c.read();
  REQUIRE(a.status == 200);
  CHECK(a.body == "{\"bytes\":1048576,\"xs\":1048576}");

  REQUIRE(c.send(get("/v1/big")));
  auto big = c.read(60s);
  REQUIRE(big.status == 200);
  REQUIRE(big.body.size() == kBigAnswer);
  bool intact = true;
  for (size_t i = 0; i < big.body.size() && intact; ++i) {
    intact = big.body[i] == static_cast<char>('a' + i % 26);
  }
  CHECK(intact);
  // Over the body limit: 413 as over plain TCP, and the connection stays usable.
  REQUIRE(c.send(post("/v1/size", std::string(kLargeBodyLimit + 10, 'y'))));
  CHECK(c.read().status == 413);
  REQUIRE(c.send(get("/v1/echo/after")));
  CHECK(c.read().body.find("\"after\"") != std::string::npos);
}

TEST_CASE("EventServer TLS: pipelined records and 100-continue are answered in order",
          "[integration]") {
  TlsFixture f;
  CtxPtr clientCtx = clientContext(f.pki, true);
  TlsClient c(f.port(), clientCtx.get());
  REQUIRE(c.handshake());
  // One TLS record per request: the later ones wait decrypted in OpenSSL or in the socket while
  // the slow one is served, with no new epoll event to announce them.
  REQUIRE(c.send(get("/v1/slow")));
  REQUIRE(c.send(get("/v1/echo/second")));
  REQUIRE(c.send(post("/v1/size", "abc")));
  REQUIRE(c.send(get("/v1/echo/fourth")));
  CHECK(c.read().body == "{\"slow\":true}");
  CHECK(c.read().body.find("\"second\"") != std::string::npos);
  CHECK(c.read().body.find("\"bytes\":3") != std::string::npos);
  CHECK(c.read().body.find("\"fourth\"") != std::string::npos);

  REQUIRE(c.send("POST /v1/size HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c.read();
  CHECK(interim.status == 100);
  REQUIRE(c.send("xxxxx"));
  auto a = c.read();
  CHECK(a.status == 200);
  CHECK(a.body == "{\"bytes\":5,\"xs\":5}");
}

TEST_CASE("EventServer TLS: a handshake that stalls is closed after the request timeout",
          "[integration]") {
  EventServerOptions options;
  options.requestTimeout = 300ms;
  options.keepAliveTimeout = 30s;
  TlsFixture f(options);
  CtxPtr clientCtx = clientContext(f.pki, true);

  // A client that sends its ClientHello and then nothing more: the server answers with its
  // hello, certificate and request for the client's, and waits for them.
  const int halfway = connectTo(f.port());
  {
    std::unique_ptr<SSL, SslFree> ssl(SSL_new(clientCtx.get()));
    REQUIRE(ssl != nullptr);
    BIO* toServer = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl.get(), BIO_new(BIO_s_mem()), toServer);  // the SSL owns both
    ERR_clear_error();
    REQUIRE(SSL_connect(ssl.get()) == -1);
    REQUIRE(SSL_get_error(ssl.get(), -1) == SSL_ERROR_WANT_READ);
    ERR_clear_error();
    char* hello = nullptr;
    const long helloSize = BIO_get_mem_data(toServer, &hello);  // NOLINT(google-runtime-int)
    REQUIRE(helloSize > 0);
    REQUIRE(::send(halfway, hello, static_cast<size_t>(helloSize), MSG_NOSIGNAL) == helloSize);
  }
  // A TCP connection that never starts the handshake.
  const int silent = connectTo(f.port());
  // A client whose handshake completed and who stays idle: kept (keep-alive timeout, 30 s).
  TlsClient idle(f.port(), clientCtx.get());
  REQUIRE(idle.handshake());

  const auto start = Clock::now();
  std::string serverHello;
  CHECK(rawClosedByPeer(halfway, 10s, &serverHello));
  CHECK(rawClosedByPeer(silent, 10s));
  CHECK(Clock::now() - start >= 250ms);
  CHECK(serverHello.size() > 100);  // the server had answered the ClientHello
  ::close(halfway);
  ::close(silent);
  CHECK(waitUntil([&] { return f.server->tlsCounts().failed == 2; }, 5s));
  CHECK(waitUntil([&] { return f.server->currentConnections() == 1; }, 5s));
  REQUIRE(idle.send(get("/v1/echo/still")));
  CHECK(idle.read().status == 200);
}

TEST_CASE("EventServer TLS: refused handshakes get no HTTP answer", "[integration]") {
  TlsFixture f;
  {
    // Plain HTTP to the TLS port: no HTTP answer, the connection is closed.
    const int fd = connectTo(f.port());
    const std::string request = get("/v1/echo/plain");
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
    std::string seen;
    CHECK(rawClosedByPeer(fd, 10s, &seen));
    CHECK(seen.find("HTTP/1.") == std::string::npos);
    ::close(fd);
  }
  CHECK(waitUntil([&] { return f.server->tlsCounts().failed == 1; }, 5s));
  {
    // No client certificate: refused in the handshake (TLS 1.3: the client learns it at its
    // first read).
    CtxPtr anonymous = clientContext(f.pki, false);
    TlsClient c(f.port(), anonymous.get());
    const bool handshook = c.handshake();
    if (handshook && c.send(get("/v1/echo/anon"))) {
      CHECK(c.read(10s).status == 0);
    }
    CHECK(c.closedByPeer(10s));
  }
  CHECK(waitUntil([&] { return f.server->tlsCounts().failed == 2; }, 5s));
  CHECK(f.server->tlsCounts().handshakes == 0);
  CHECK(waitUntil([&] { return f.server->currentConnections() == 0; }, 5s));
  // A good client still gets in.
  CtxPtr clientCtx = clientContext(f.pki, true);
  TlsClient good(f.port(), clientCtx.get());
  REQUIRE(good.handshake());
  REQUIRE(good.send(get("/v1/echo/good")));
  CHECK(good.read().status == 200);
}

TEST_CASE("EventServer TLS: Connection: close ends with close_notify", "[integration]") {
  TlsFixture f;
  CtxPtr clientCtx = clientContext(f.pki, true);
  TlsClient c(f.port(), clientCtx.get());
  REQUIRE(c.handshake());
  REQUIRE(c.send(get("/v1/echo/last", "Connection: close\r\n")));
  auto a = c.read();
  REQUIRE(a.status == 200);
  CHECK(a.has("Connection: close"));
  bool clean = false;
  CHECK(c.closedByPeer(10s, &clean));
  CHECK(clean);
  CHECK(waitUntil([&] { return f.server->currentConnections() == 0; }, 5s));
}

TEST_CASE("EventServer TLS: 200 concurrent TLS connections on 2 I/O threads are all answered",
          "[integration]") {
  EventServerOptions options;
  options.workerThreads = 4;
  options.ioThreads = 2;
  TlsFixture f(options);
  CtxPtr clientCtx = clientContext(f.pki, true);
  constexpr size_t kClients = 200;
  std::vector<std::unique_ptr<TlsClient>> clients;
  for (size_t i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TlsClient>(f.port(), clientCtx.get()));
    setBlocking(clients.back()->fd(), false);
  }
  // Every handshake in flight at once, driven by poll from this thread.
  std::vector<bool> done(kClients, false);
  size_t finished = 0;
  const auto deadline = Clock::now() + 60s;
  while (finished < kClients && Clock::now() < deadline) {
    std::vector<pollfd> waits;
    for (size_t i = 0; i < kClients; ++i) {
      if (done[i]) {
        continue;
      }
      ERR_clear_error();
      const int r = SSL_connect(clients[i]->ssl());
      if (r == 1) {
        done[i] = true;
        ++finished;
        continue;
      }
      const int error = SSL_get_error(clients[i]->ssl(), r);
      ERR_clear_error();
      REQUIRE((error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE));
      waits.push_back(pollfd{clients[i]->fd(),
                             static_cast<short>(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT),
                             0});
    }
    if (!waits.empty()) {
      ::poll(waits.data(), waits.size(), 100);
    }
  }
  REQUIRE(finished == kClients);
  for (auto& c : clients) {
    setBlocking(c->fd(), true);
  }
  REQUIRE(waitUntil([&] { return f.server->currentConnections() == kClients; }, 10s));
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < kClients; ++i) {
      REQUIRE(clients[i]->send(get("/v1/echo/t" + std::to_string(i))));
    }
    size_t answered = 0;
    for (size_t i = 0; i < kClients; ++i) {
      auto a = clients[i]->read();
      if (a.status == 200 && a.body.find("\"t" + std::to_string(i) + "\"") != std::string::npos) {
        ++answered;
      }
    }
    CHECK(answered == kClients);
  }
  CHECK(f.server->tlsCounts().handshakes == kClients);
  CHECK(f.server->tlsCounts().failed == 0);
  CHECK(f.server->currentConnections() == kClients);
}

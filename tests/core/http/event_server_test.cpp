// The event-driven server on 127.0.0.1 port 0, driven by raw sockets: the keep-alive starvation
// case, timeouts, body limits, routing errors, Connection handling, pipelining, stop().
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/event_server.h"
#include "http/router.h"
#include "loyalty/protocol/codec.h"
#include "support/test_support.h"

using namespace loyalty;
using namespace loyalty::core::http;
using loyalty::testing::waitUntil;
using namespace std::chrono_literals;

namespace {

// A blocking client socket with a receive deadline.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~RawClient() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) {
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
    bool has(const std::string& headerLine) const {
      return head.find(headerLine) != std::string::npos;
    }
  };

  // The next answer, or status 0 when the connection closed or nothing came before timeout.
  Answer read(std::chrono::milliseconds timeout = 10s) {
    Answer a;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t headEnd = std::string::npos;
    size_t length = 0;
    for (;;) {
      if (headEnd == std::string::npos) {
        headEnd = buf_.find("\r\n\r\n");
        if (headEnd != std::string::npos) {
          a.head = buf_.substr(0, headEnd + 4);
          a.status = std::atoi(a.head.c_str() + 9);
          const size_t cl = a.head.find("Content-Length: ");
          length = cl == std::string::npos ? 0 : std::stoul(a.head.substr(cl + 16));
        }
      }
      if (headEnd != std::string::npos && buf_.size() >= headEnd + 4 + length) {
        a.body = buf_.substr(headEnd + 4, length);
        buf_.erase(0, headEnd + 4 + length);
        return a;
      }
      if (!fill(deadline)) {
        return Answer{};
      }
    }
  }

  // True when the server closes the connection before timeout (any pending bytes are dropped).
  bool closedByPeer(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return false;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return false;
      }
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) {
        return true;
      }
    }
  }

  int fd() const { return fd_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buf_;
};

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

std::string post(const std::string& path, const std::string& body,
                 const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

std::string errorCode(const std::string& body) {
  auto decoded = protocol::decodeErrorBody(body);
  return decoded.ok() ? decoded->code : "<not problem+json>";
}

// A router with a few test routes, and a started server on it.
struct Fixture {
  Router router;
  std::atomic<int> slowInFlight{0};
  std::unique_ptr<EventServer> server;

  explicit Fixture(EventServerOptions options = {}) {
    router.add("GET", "/v1/echo/{name}", [](const Request& r) {
      Response out;
      out.body = "{\"name\":\"" + r.param("name") + "\",\"q\":\"" + r.query + "\",\"auth\":\"" +
                 r.authorization + "\",\"id\":\"" + r.requestId + "\"}";
      return out;
    });
    router.add("POST", "/v1/size", [](const Request& r) {
      Response out;
      out.body = "{\"bytes\":" + std::to_string(r.body.size()) + ",\"type\":\"" +
                 r.contentType + "\"}";
      return out;
    });
    router.add("GET", "/v1/slow", [this](const Request&) {
      ++slowInFlight;
      std::this_thread::sleep_for(100ms);
      --slowInFlight;
      Response out;
      out.body = "{\"slow\":true}";
      return out;
    });
    router.add("GET", "/v1/big", [](const Request&) {
      Response out;
      out.contentType = "text/plain";
      out.body = std::string(16 * 1024 * 1024, 'x');
      out.headers.emplace_back("X-Extra", "yes");
      return out;
    });
    router.add("GET", "/v1/throw", [](const Request&) -> Response {
      throw std::runtime_error("boom");
    });
    options.port = 0;
    server = std::make_unique<EventServer>(router, options);
    auto st = server->start();
    REQUIRE(st.ok());
    REQUIRE(server->port() != 0);
  }
  uint16_t port() const { return server->port(); }
};

}  // namespace

TEST_CASE("EventServer: a GET reaches its route with params, query, auth and request id",
          "[integration]") {
  Fixture f;
  RawClient c(f.port());
  REQUIRE(c.send(get("/v1/echo/ann?x=1&y=2", "Authorization: Bearer t0k\r\nX-Request-Id: r-1\r\n")));
  auto a = c.read();
  REQUIRE(a.status == 200);
  CHECK(a.has("Content-Type: application/json\r\n"));
  CHECK(a.has("X-Request-Id: r-1\r\n"));
  CHECK(a.body == "{\"name\":\"ann\",\"q\":\"x=1&y=2\",\"auth\":\"Bearer t0k\",\"id\":\"r-1\"}");
  // An invalid request id is replaced by a generated one.
  REQUIRE(c.send(get("/v1/echo/bob", "X-Request-Id: bad id!\r\n")));
  auto b = c.read();
  REQUIRE(b.status == 200);
  CHECK_FALSE(b.has("bad id!"));
  CHECK(b.has("X-Request-Id: c"));
  CHECK(f.server->openFileLimit() > 0);
}

TEST_CASE("EventServer: 200 keep-alive connections with 4 workers are all answered",
          "[integration]") {
  EventServerOptions options;
  options.workerThreads = 4;
  Fixture f(options);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<RawClient>(f.port()));
  }
  REQUIRE(waitUntil([&] { return f.server->currentConnections() == 200; }, 10s));
  // Two rounds: every connection stays open between them and none waits for another to close.
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < clients.size(); ++i) {
      REQUIRE(clients[i]->send(get("/v1/echo/t" + std::to_string(i))));
    }
    int answered = 0;
    for (size_t i = 0; i < clients.size(); ++i) {
      auto a = clients[i]->read();
      if (a.status == 200 && a.body.find("\"t" + std::to_string(i) + "\"") != std::string::npos) {
        ++answered;
      }
    }
    CHECK(answered == 200);
  }
  CHECK(f.server->currentConnections() == 200);
}

TEST_CASE("EventServer: an idle keep-alive connection is closed after the timeout",
          "[integration]") {
  EventServerOptions options;
  options.keepAliveTimeout = 200ms;
  Fixture f(options);
  RawClient c(f.port());
  REQUIRE(c.send(get("/v1/echo/a")));
  REQUIRE(c.read().status == 200);
  const auto start = std::chrono::steady_clock::now();
  CHECK(c.closedByPeer(5s));
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
  CHECK(waitUntil([&] { return f.server->currentConnections() == 0; }, 5s));
}

TEST_CASE("EventServer: a half-sent request is dropped after the request timeout",
          "[integration]") {
  EventServerOptions options;
  options.requestTimeout = 200ms;
  Fixture f(options);
  RawClient head(f.port());
  REQUIRE(head.send("GET /v1/echo/a HTTP/1.1\r\nHost: te"));
  RawClient body(f.port());
  REQUIRE(body.send(post("/v1/size", std::string(100, 'x')).substr(0, 120)));
  CHECK(head.closedByPeer(5s));
  CHECK(body.closedByPeer(5s));
  CHECK(waitUntil([&] { return f.server->currentConnections() == 0; }, 5s));
}

TEST_CASE("EventServer: a 300 KB body gets 413 and the connection stays usable",
          "[integration]") {
  Fixture f;
  RawClient c(f.port());
  REQUIRE(c.send(post("/v1/size", std::string(300 * 1024, 'x'), "X-Request-Id: big-1\r\n")));
  auto a = c.read();
  REQUIRE(a.status == 413);
  CHECK(a.has("Content-Type: application/problem+json"));
  CHECK(a.has("X-Request-Id: big-1"));
  CHECK(errorCode(a.body) == "body_too_large");
  REQUIRE(c.send(post("/v1/size", "{\"a\":1}")));
  auto b = c.read();
  REQUIRE(b.status == 200);
  CHECK(b.body == "{\"bytes\":7,\"type\":\"application/json\"}");
}

TEST_CASE("EventServer: a body beyond the discard limit gets 413 and a close", "[integration]") {
  Fixture f;
  RawClient c(f.port());
  REQUIRE(c.send("POST /v1/size HTTP/1.1\r\nContent-Length: 100000000\r\n\r\nxxxx"));
  auto a = c.read();
  REQUIRE(a.status == 413);
  CHECK(a.has("Connection: close"));
  CHECK(c.closedByPeer(5s));
}

TEST_CASE("EventServer: unknown paths are 404, wrong methods 405, exceptions 500",
          "[integration]") {
  Fixture f;
  RawClient c(f.port());
  REQUIRE(c.send(get("/v1/nothing")));
  auto a = c.read();
  CHECK(a.status == 404);
  CHECK(errorCode(a.body) == "not_found");
  REQUIRE(c.send(post("/v1/echo/x", "{}")));
  auto b = c.read();
  CHECK(b.status == 405);
  CHECK(errorCode(b.body) == "method_not_allowed");
  REQUIRE(c.send(get("/v1/throw")));
  auto d = c.read();
  CHECK(d.status == 500);
  CHECK(errorCode(d.body) == "internal");
  // Still usable after all three.
  REQUIRE(c.send(get("/v1/echo/ok")));
  CHECK(c.read().status == 200);
}

TEST_CASE("EventServer: Connection: close and HTTP/1.0 end the connection after the answer",
          "[integration]") {
  Fixture f;
  {
    RawClient c(f.port());
    REQUIRE(c.send(get("/v1/echo/a", "Connection: close\r\n")));
    auto a = c.read();
    CHECK(a.status == 200);
    CHECK(a.has("Connection: close"));
    CHECK(c.closedByPeer(5s));
  }
  {
    RawClient c(f.port());
    REQUIRE(c.send("GET /v1/echo/b HTTP/1.0\r\n\r\n"));
    auto a = c.read();
    CHECK(a.status == 200);
    CHECK(a.head.rfind("HTTP/1.0 200", 0) == 0);
    CHECK(c.closedByPeer(5s));
  }
  {
    RawClient c(f.port());
    REQUIRE(c.send("GET /v1/echo/c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto a = c.read();
    CHECK(a.status == 200);
    CHECK(a.has("Connection: Keep-Alive"));
    REQUIRE(c.send("GET /v1/echo/d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    CHECK(c.read().body.find("\"d\"") != std::string::npos);
  }
}

TEST_CASE("EventServer: pipelined requests are answered in order", "[integration]") {
  Fixture f;
  RawClient c(f.port());
  REQUIRE(c.send(get("/v1/slow") + get("/v1/echo/second") + post("/v1/size", "abc") +
                 get("/v1/echo/fourth")));
  CHECK(c.read().body == "{\"slow\":true}");
  CHECK(c.read().body.find("\"second\"") != std::string::npos);
  CHECK(c.read().body.find("\"bytes\":3") != std::string::npos);
  CHECK(c.read().body.find("\"fourth\"") != std::string::npos);
}

TEST_CASE("EventServer: bad framing answers 400 and closes", "[integration]") {
  Fixture f;
  {
    RawClient c(f.port());
    REQUIRE(c.send("POST /v1/size HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
    auto a = c.read();
    CHECK(a.status == 400);
    CHECK(errorCode(a.body) == "invalid_value");
    CHECK(a.body.find("chunked") != std::string::npos);
    CHECK(c.closedByPeer(5s));
  }
  {
    RawClient c(f.port());
    REQUIRE(c.send("GET /v1/echo/a HTTP/1.1\r\nX-Pad: " + std::string(20000, 'p') + "\r\n\r\n"));
    auto a = c.read();
    CHECK(a.status == 400);
    CHECK(a.body.find("request head over 16384 bytes") != std::string::npos);
    CHECK(c.closedByPeer(5s));
  }
}

TEST_CASE("EventServer: a large answer reaches a slow reader whole", "[integration]") {
  Fixture f;
  RawClient c(f.port());
  REQUIRE(c.send(get("/v1/big")));
  // 16 MiB is more than the socket buffers of both ends hold: while this client does not read,
  // the server's writes stop short and must resume on EPOLLOUT.
  std::this_thread::sleep_for(300ms);
  auto a = c.read(20s);
  REQUIRE(a.status == 200);
  CHECK(a.has("X-Extra: yes"));
  CHECK(a.body.size() == 16u * 1024 * 1024);
  CHECK(a.body.find_first_not_of('x') == std::string::npos);
  REQUIRE(c.send(get("/v1/echo/after")));
  CHECK(c.read().status == 200);
}

TEST_CASE("EventServer: stop() answers requests in flight and closes idle connections promptly",
          "[integration]") {
  Fixture f;
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 20; ++i) {
    idle.push_back(std::make_unique<RawClient>(f.port()));
  }
  RawClient busy(f.port());
  REQUIRE(busy.send(get("/v1/slow")));
  REQUIRE(waitUntil([&] { return f.slowInFlight.load() == 1; }, 5s));
  const auto start = std::chrono::steady_clock::now();
  f.server->stop();
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < 2s);
  auto a = busy.read(1s);
  CHECK(a.status == 200);
  CHECK(a.has("Connection: close"));
  for (auto& c : idle) {
    CHECK(c->closedByPeer(1s));
  }
  CHECK(f.server->currentConnections() == 0);
  // A second stop is a no-op.
  f.server->stop();
}

// Tests of loyalty-bench's scenario tills: the epoll HTTP client (event_client.h) against a
// scripted in-process server on 127.0.0.1 (port chosen by the OS) for keep-alive, idle closes,
// the one retry after a stale connection, timeouts and refused connects; the results' text form
// (tills_result.h); the schedule; and whole runs (tills_scenario.h) against a real loyalty-core
// with a 1 s keep-alive timeout, split over client processes, and against a server that never
// answers. Needs loyalty-core and loyalty-bench built beside this test (a full build does).
#include "loyalty-bench/tills_scenario.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "loyalty-bench/event_client.h"
#include "loyalty-bench/fd_sampler.h"
#include "loyalty-bench/servers.h"
#include "loyalty-bench/tills_result.h"
#include "loyalty/protocol/json.h"
#include "support/test_support.h"

namespace loyalty::tools {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace json = protocol::json;

// What the scripted server does with request `request` (0-based) of connection `connection`.
enum class Act {
  kAnswer,           // 200, keep-alive
  kAnswerClose,      // 200 with "Connection: close", then closes
  kHangUp,           // closes without answering
  kSilent,           // never answers
};

// A single-threaded HTTP/1.1 server on 127.0.0.1:0 that frames requests by Content-Length and
// acts on each as its policy says.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<Act(int connection, int request)> policy)
      : policy_(std::move(policy)) {
    listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listenFd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listenFd_, 128) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::pipe(wake_) == 0);
    thread_ = std::thread([this] { loop(); });
  }
  ~ScriptedServer() {
    const char byte = 'x';  // stop
    (void)!::write(wake_[1], &byte, 1);
    thread_.join();
    for (const Conn& c : conns_) {
      ::close(c.fd);
    }
    ::close(listenFd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  // Makes the server thread close every open connection (as a keep-alive timeout would).
  void closeConnections() {
    const char byte = 'c';
    (void)!::write(wake_[1], &byte, 1);
  }

  uint16_t port() const { return port_; }
  Endpoint endpoint() const { return Endpoint{"127.0.0.1", port_}; }
  int connections() const { return connections_.load(); }
  std::vector<std::string> peers() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return peers_;
  }
  int requests() const { return requests_.load(); }

 private:
  struct Conn {
    int fd = -1;
    int index = 0;
    int requests = 0;
    std::string in;
    bool silent = false;
  };

  void loop() {
    for (;;) {
      std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listenFd_, POLLIN, 0}};
      for (const Conn& c : conns_) {
        fds.push_back({c.fd, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        continue;
      }
      if (fds[0].revents != 0) {
        char byte = 0;
        if (::read(wake_[0], &byte, 1) != 1 || byte == 'x') {
          return;
        }
        for (const Conn& c : conns_) {
          ::close(c.fd);
        }
        conns_.clear();
        continue;
      }
      if (fds[1].revents != 0) {
        sockaddr_in peer{};
        socklen_t peerLength = sizeof peer;
        const int fd = ::accept4(listenFd_, reinterpret_cast<sockaddr*>(&peer), &peerLength,
                                 SOCK_CLOEXEC);
        if (fd >= 0) {
          char text[INET_ADDRSTRLEN] = {};
          ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
          {
            std::lock_guard<std::mutex> lock(mutex_);
            peers_.push_back(text);
          }
          conns_.push_back(Conn{fd, connections_++, 0, {}, false});
        }
      }
      std::vector<Conn> kept;
      for (size_t i = 2; i < fds.size(); ++i) {
        Conn& c = conns_[i - 2];
        if (fds[i].revents == 0 || serve(c)) {
          kept.push_back(std::move(c));
        } else {
          ::close(c.fd);
        }
      }
      for (size_t i = fds.size() - 2; i < conns_.size(); ++i) {
        kept.push_back(std::move(conns_[i]));  // accepted in this round
      }
      conns_ = std::move(kept);
    }
  }

  // Reads what came and acts on every complete request; false: close the connection.
  bool serve(Conn& c) {
    char buf[8192];
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return false;
    }
    c.in.append(buf, static_cast<size_t>(n));
    for (;;) {
      const size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos || c.silent) {
        return true;
      }
      size_t length = 0;
      const size_t at = c.in.find("Content-Length: ");
      if (at != std::string::npos && at < end) {
        length = std::stoul(c.in.substr(at + 16));
      }
      if (c.in.size() < end + 4 + length) {
        return true;
      }
      c.in.erase(0, end + 4 + length);
      ++requests_;
      const Act act = policy_(c.index, c.requests++);
      static const std::string kBody = "{\"status\":\"ok\"}";
      const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
      const std::string tail =
          "Content-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
      switch (act) {
        case Act::kAnswer:
          send(c, head + tail);
          break;
        case Act::kAnswerClose:
          send(c, head + "Connection: close\r\n" + tail);
          return false;
        case Act::kHangUp:
          return false;
        case Act::kSilent:
          c.silent = true;
          return true;
      }
    }
  }

  static void send(const Conn& c, const std::string& bytes) {
    (void)!::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }

  std::function<Act(int, int)> policy_;
  int listenFd_ = -1;
  uint16_t port_ = 0;
  int wake_[2] = {-1, -1};
  std::vector<Conn> conns_;  // the server thread's
  mutable std::mutex mutex_;
  std::vector<std::string> peers_;  // guarded by mutex_: the address of each accepted client
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::unique_ptr<EventClient> makeClient(const Endpoint& e, size_t slots,
                                        std::chrono::milliseconds timeout = 5000ms) {
  EventClientOptions o;
  o.host = e.host;
  o.port = e.port;
  o.slots = slots;
  o.timeout = timeout;
  auto c = EventClient::create(o);
  REQUIRE(c.ok());
  return std::move(c).value();
}

const Call kCall{"identify", "POST", "/v1/identify", "{\"card\":\"x\"}"};

// One request on `slot`, run until its answer (or 10 s).
Exchange exchange(EventClient& c, size_t slot, const Call& call = kCall) {
  std::optional<Exchange> got;
  c.request(slot, call, [&](Exchange&& x) { got = std::move(x); });
  const auto deadline = Clock::now() + 10s;
  REQUIRE(c.run([&] { return got.has_value() || Clock::now() > deadline; }).ok());
  REQUIRE(got.has_value());
  return std::move(*got);
}

TEST_CASE("EventClient: keep-alive answers share one connection", "[tools]") {
  ScriptedServer server([](int, int) { return Act::kAnswer; });
  auto c = makeClient(server.endpoint(), 2);
  for (int i = 0; i < 3; ++i) {
    const Exchange x = exchange(*c, 0);
    CHECK(x.outcome == ExchangeOutcome::kAnswered);
    CHECK(x.status == 200);
    CHECK(x.body == "{\"status\":\"ok\"}");
    CHECK(x.connects == (i == 0 ? 1 : 0));
    if (i == 0) {
      CHECK(x.connectMicros >= 0);
    } else {
      CHECK(x.connectMicros == -1);  // no connect: the kept connection
    }
  }
  CHECK(exchange(*c, 1).outcome == ExchangeOutcome::kAnswered);
  CHECK(c->connects() == 2);  // one per slot
  CHECK(c->reconnects() == 0);
  CHECK(c->retries() == 0);
  CHECK(c->openSockets() == 2);
  CHECK(c->peakOpenSockets() == 2);
  CHECK(server.connections() == 2);
  CHECK(server.requests() == 4);
}

TEST_CASE("EventClient: an idle connection the server closes is noticed, then reconnected",
          "[tools]") {
  ScriptedServer server([](int, int) { return Act::kAnswer; });
  auto c = makeClient(server.endpoint(), 1);
  CHECK(exchange(*c, 0).outcome == ExchangeOutcome::kAnswered);
  CHECK(c->connected(0));
  // The close arrives while the slot is idle: the client closes its socket by itself.
  server.closeConnections();
  const auto deadline = Clock::now() + 10s;
  REQUIRE(c->run([&] { return c->serverCloses() == 1 || Clock::now() > deadline; }).ok());
  CHECK(c->serverCloses() == 1);
  CHECK_FALSE(c->connected(0));
  CHECK(c->openSockets() == 0);
  const Exchange x = exchange(*c, 0);
  CHECK(x.outcome == ExchangeOutcome::kAnswered);
  CHECK(x.connects == 1);
  CHECK(x.reconnects == 1);
  CHECK_FALSE(x.retried);
  CHECK(c->retries() == 0);
  CHECK(c->connects() == 2);
  CHECK(server.connections() == 2);
}

TEST_CASE("EventClient: Connection: close ends the connection after the answer", "[tools]") {
  ScriptedServer server([](int, int) { return Act::kAnswerClose; });
  auto c = makeClient(server.endpoint(), 1);
  CHECK(exchange(*c, 0).outcome == ExchangeOutcome::kAnswered);
  CHECK_FALSE(c->connected(0));
  CHECK(exchange(*c, 0).outcome == ExchangeOutcome::kAnswered);
  CHECK(c->connects() == 2);
  CHECK(c->serverCloses() == 0);  // closed by the answer, not while idle
}

TEST_CASE("EventClient: a reused connection closed as the request goes out is retried once",
          "[tools]") {
  // Connection 0 answers its first request and drops the second without a byte (the server's
  // keep-alive timeout fired as it arrived); the retry goes on connection 1.
  ScriptedServer server([](int connection, int request) {
    return connection == 0 && request == 1 ? Act::kHangUp : Act::kAnswer;
  });
  auto c = makeClient(server.endpoint(), 1);
  CHECK(exchange(*c, 0).outcome == ExchangeOutcome::kAnswered);
  const Exchange x = exchange(*c, 0);
  CHECK(x.outcome == ExchangeOutcome::kAnswered);
  CHECK(x.status == 200);
  CHECK(x.retried);
  CHECK(x.connects == 1);
  CHECK(x.reconnects == 1);
  CHECK(c->retries() == 1);
  CHECK(server.connections() == 2);
  CHECK(server.requests() == 3);
}

TEST_CASE("EventClient: no retry on a new connection, and never a second one", "[tools]") {
  SECTION("the first request of a connection is not retried") {
    ScriptedServer server([](int, int) { return Act::kHangUp; });
    auto c = makeClient(server.endpoint(), 1);
    const Exchange x = exchange(*c, 0);
    CHECK(x.outcome == ExchangeOutcome::kClosed);
    CHECK_FALSE(x.retried);
    CHECK(c->retries() == 0);
    CHECK(server.requests() == 1);
  }
  SECTION("the retry fails too: the request fails") {
    ScriptedServer server([](int connection, int request) {
      return connection == 0 && request == 0 ? Act::kAnswer : Act::kHangUp;
    });
    auto c = makeClient(server.endpoint(), 1);
    CHECK(exchange(*c, 0).outcome == ExchangeOutcome::kAnswered);
    const Exchange x = exchange(*c, 0);
    CHECK(x.outcome == ExchangeOutcome::kClosed);
    CHECK(x.retried);
    CHECK(c->retries() == 1);
    CHECK(server.requests() == 3);
  }
}

TEST_CASE("EventClient: no answer within the timeout is kTimedOut", "[tools]") {
  ScriptedServer server([](int, int) { return Act::kSilent; });
  auto c = makeClient(server.endpoint(), 1, 150ms);
  const auto before = Clock::now();
  const Exchange x = exchange(*c, 0);
  CHECK(x.outcome == ExchangeOutcome::kTimedOut);
  CHECK(x.error.find("no answer within 150 ms") != std::string::npos);
  CHECK(x.finished - before >= 150ms);
  CHECK_FALSE(c->connected(0));  // the starved connection is dropped
  CHECK(c->retries() == 0);
}

TEST_CASE("EventClient: a refused connect is kConnectFailed", "[tools]") {
  Endpoint closed;
  {
    ScriptedServer server([](int, int) { return Act::kAnswer; });
    closed = server.endpoint();
  }
  auto c = makeClient(closed, 1);
  const Exchange x = exchange(*c, 0);
  CHECK(x.outcome == ExchangeOutcome::kConnectFailed);
  CHECK_FALSE(x.error.empty());
  CHECK(c->connectFailures() == 1);
  CHECK(c->openSockets() == 0);
}

TEST_CASE("EventClient: slots connect from their source addresses", "[tools]") {
  ScriptedServer server([](int, int) { return Act::kAnswer; });
  EventClientOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.slots = 3;
  o.sourceAddresses = {"127.0.0.2", "127.0.0.3"};
  auto c = EventClient::create(o);
  REQUIRE(c.ok());
  for (size_t slot = 0; slot < 3; ++slot) {
    CHECK(exchange(*c.value(), slot).outcome == ExchangeOutcome::kAnswered);
  }
  CHECK(server.peers() == std::vector<std::string>{"127.0.0.2", "127.0.0.3", "127.0.0.2"});
  o.sourceAddresses = {"not-an-address"};
  CHECK_FALSE(EventClient::create(o).ok());
  CHECK(tillsSourceAddresses("127.0.0.1", 4001) ==
        std::vector<std::string>{"127.0.0.1", "127.0.0.2", "127.0.0.3"});
  CHECK(tillsSourceAddresses("10.1.2.3", 20000).empty());
}

TEST_CASE("EventClient: timers run in time order", "[tools]") {
  ScriptedServer server([](int, int) { return Act::kAnswer; });
  auto c = makeClient(server.endpoint(), 1);
  std::vector<int> order;
  const auto t0 = Clock::now();
  c->at(t0 + 30ms, [&] { order.push_back(2); });
  c->at(t0 + 10ms, [&] { order.push_back(1); });
  c->at(t0, [&] { order.push_back(0); });
  REQUIRE(c->run([&] { return order.size() == 3; }).ok());
  CHECK(order == std::vector<int>{0, 1, 2});
  CHECK(Clock::now() - t0 >= 30ms);
}

TEST_CASE("SampleSet: the rebuilt histogram has the same percentiles", "[tools]") {
  std::mt19937_64 rng(7);
  SampleSet set;
  LatencyHistogram direct;
  for (int i = 0; i < 5000; ++i) {
    const int64_t v = static_cast<int64_t>(rng() % 200000);
    set.add(v);
    direct.add(v);
  }
  auto parsed = SampleSet::parse(set.serialize());
  REQUIRE(parsed.ok());
  const LatencyHistogram rebuilt = parsed->histogram();
  CHECK(rebuilt.count() == direct.count());
  CHECK(rebuilt.min() == direct.min());
  CHECK(rebuilt.max() == direct.max());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    CHECK(rebuilt.percentile(p) == direct.percentile(p));
  }
  CHECK_FALSE(SampleSet::parse("3 1 5 0:2").ok());  // counts do not add up
  CHECK_FALSE(SampleSet::parse("x").ok());
}

TEST_CASE("TillsResult: text round trip and merge", "[tools]") {
  TillsResult a;
  a.tills = 10;
  a.sales = 7;
  a.retries = 2;
  a.lastFinishS = 3.5;
  a.calls.add(1000);
  a.ops["commit"].add(1500);
  a.sale.add(4000);
  a.openSockets = {3, 5, 4};
  a.lag.add(250);
  a.noteSecond(2, true, 5000);
  a.noteSecond(2, true, 7000);
  a.noteSecond(2, false, 0);
  a.errorSamples = {"commit: timed out: no answer\nwithin 2000 ms"};
  auto parsed = TillsResult::parse(a.serialize());
  REQUIRE(parsed.ok());
  const TillsResult& b = parsed.value();
  CHECK(b.tills == 10);
  CHECK(b.sales == 7);
  CHECK(b.retries == 2);
  CHECK(b.lastFinishS == Approx(3.5));
  CHECK(b.calls.count() == 1);
  CHECK(b.ops.at("commit").max() == 1500);
  CHECK(b.openSockets == std::vector<uint32_t>{3, 5, 4});
  CHECK(b.lag.max() == 250);
  CHECK(b.secondAnswered == std::vector<uint32_t>{0, 0, 2});
  CHECK(b.secondErrors == std::vector<uint32_t>{0, 0, 1});
  CHECK(b.secondMaxMicros == std::vector<uint32_t>{0, 0, 7000});
  REQUIRE(b.errorSamples.size() == 1);
  CHECK(b.errorSamples[0] == "commit: timed out: no answer within 2000 ms");

  TillsResult merged = a;
  TillsResult other;
  other.tills = 5;
  other.sales = 1;
  other.lastFinishS = 4;
  other.openSockets = {1, 1, 1, 9};
  other.noteSecond(2, true, 9000);
  merged.merge(other);
  CHECK(merged.secondAnswered == std::vector<uint32_t>{0, 0, 3});
  CHECK(merged.secondMaxMicros == std::vector<uint32_t>{0, 0, 9000});  // the longest, not a sum
  CHECK(merged.tills == 15);
  CHECK(merged.sales == 8);
  CHECK(merged.lastFinishS == Approx(4));
  CHECK(merged.openSockets == std::vector<uint32_t>{4, 6, 5, 9});
  CHECK(merged.peakOpenSockets() == 9);

  std::string cut = a.serialize();
  cut.resize(cut.size() - 4);  // no "end" line: a child that died while writing
  CHECK_FALSE(TillsResult::parse(cut).ok());
}

TEST_CASE("Scenario tills: offsets are seeded and within the period", "[tools]") {
  const int64_t period = 20'000'000'000;
  const auto a = tillOffsetsNs(42, 1000, period);
  CHECK(a == tillOffsetsNs(42, 1000, period));
  CHECK(a != tillOffsetsNs(43, 1000, period));
  int64_t early = 0;
  for (int64_t v : a) {
    CHECK(v >= 0);
    CHECK(v < period);
    early += v < period / 2 ? 1 : 0;
  }
  CHECK(early > 400);  // spread over the period, no storm at t = 0
  CHECK(early < 600);
  // Sales at 3, 13, 23, 33 (offset 3, period 10).
  CHECK(salesDueIn(3, 10, 0, 40) == 4);
  CHECK(salesDueIn(3, 10, 10, 40) == 3);
  CHECK(salesDueIn(3, 10, 13, 23) == 1);
  CHECK(salesDueIn(3, 10, 0, 3) == 0);
  CHECK(salesDueIn(3, 10, 20, 20) == 0);
}

// A few shoppers with small baskets, enough for the core's identify, price and commit.
TaFengData smallData() {
  TaFengData data;
  for (int64_t u = 1; u <= 40; ++u) {
    data.shoppers.push_back(Shopper{u, {{u % 7 + 1, u % 11 + 20, u % 5 + 40}}});
  }
  return data;
}

TillsSpec saleSpec(const Workload& w, const Endpoint& core, int tills, double rate,
                   double durationS) {
  TillsSpec spec;
  spec.core = core;
  spec.tills = tills;
  spec.rate = rate;
  spec.durationS = durationS;
  spec.timeoutMs = 5000;  // a Debug core on a shared machine
  spec.makeSale = [&w, tills](int t, int64_t k) {
    return std::vector<Call>{w.identify(t, k, tills), w.price(t, k, tills),
                             w.commit(t, k, tills)};
  };
  return spec;
}

TEST_CASE("Scenario tills: 300 tills against a core with a 1 s keep-alive",
          "[tools][integration][slow]") {
  const TaFengData data = smallData();
  const Workload workload(data, 5, 42, "tills1", "2026-01-15");
  auto servers = SpawnedServers::create();
  REQUIRE(servers.ok());
  auto core = startTillsCore(*servers.value(), workload, 0, 1);
  INFO("the core's folder: " << servers.value()->dir());
  REQUIRE(core.ok());
  // 300 tills at 200 sales/s: a sale every 1.5 s per till, so every till's connection is idle
  // longer than the core's 1 s keep-alive between two sales.
  TillsSpec spec = saleSpec(workload, core.value(), 300, 200, 3);
  spec.corePid = servers.value()->corePid();
  auto run = runTillsPhase(spec);
  REQUIRE(run.ok());
  const TillsResult& r = run->result;
  INFO("first error: " << (r.errorSamples.empty() ? "-" : r.errorSamples.front()));
  CHECK(run->periodS == Approx(1.5));
  CHECK(run->warmupS == Approx(1.5));
  CHECK(run->measuredS == Approx(1.5));
  CHECK(run->processes == 1);
  CHECK(r.salesDue == 300);  // one sale per till in the measured window
  CHECK(r.sales == 300);     // all answered
  CHECK(r.errors == 0);
  CHECK(r.starved == 0);
  CHECK(r.unsent == 0);
  CHECK(r.warmupSales == 300);
  CHECK(r.warmupErrors == 0);
  CHECK(r.answered == 900);
  CHECK(r.ops.at("identify").count() == 300);
  CHECK(r.ops.at("commit").count() == 300);
  CHECK(r.sale.count() == 300);
  // The core closed the idle connections between the sales: the tills reconnected.
  CHECK(r.reconnects > 0);
  CHECK(r.serverCloses > 0);
  CHECK(r.connects >= r.reconnects);
  CHECK(r.retries <= r.reconnects);
  CHECK(r.peakOpenSockets() > 0);
  CHECK(r.peakOpenSockets() <= 300);
  REQUIRE(run->corePeakConnections.has_value());
  CHECK(*run->corePeakConnections > 0);
  CHECK(*run->corePeakConnections <= 300 + 2);  // + the admin client's closing connection
  CHECK(run->coreFdLimit.value_or(0) > 300);
}

TEST_CASE("Scenario tills: tills split over forked client processes",
          "[tools][integration][slow]") {
  const TaFengData data = smallData();
  const Workload workload(data, 5, 7, "tills2", "2026-01-15");
  auto servers = SpawnedServers::create();
  REQUIRE(servers.ok());
  auto core = startTillsCore(*servers.value(), workload, 0, 15);
  REQUIRE(core.ok());
  TillsSpec spec = saleSpec(workload, core.value(), 60, 60, 2);
  spec.maxTillsPerProcess = 25;  // 3 processes of 20 tills
  auto run = runTillsPhase(spec);
  REQUIRE(run.ok());
  const TillsResult& r = run->result;
  INFO("first error: " << (r.errorSamples.empty() ? "-" : r.errorSamples.front()));
  CHECK(run->processes == 3);
  CHECK(r.tills == 60);
  CHECK(r.salesDue == 60);  // period 1 s, window [1 s, 2 s)
  CHECK(r.sales == 60);
  CHECK(r.errors == 0);
  CHECK(r.starved == 0);
  CHECK(r.warmupSales == 60);
  // Keep-alive 15 s > period: every till kept the connection of its warm-up sale.
  CHECK(r.connects == 0);
  CHECK(r.runConnects == 60);
  CHECK(r.peakOpenSockets() == 60);  // the series of the three processes added up
}

TEST_CASE("Scenario tills: a server that never answers starves every till",
          "[tools][integration]") {
  ScriptedServer server([](int, int) { return Act::kSilent; });
  TillsSpec spec;
  spec.core = server.endpoint();
  spec.tills = 5;
  spec.rate = 10;  // a sale every 0.5 s per till
  spec.durationS = 1;
  spec.timeoutMs = 150;
  spec.makeSale = [](int, int64_t) { return std::vector<Call>{kCall, kCall}; };
  auto run = runTillsPhase(spec);
  REQUIRE(run.ok());
  const TillsResult& r = run->result;
  CHECK(r.salesDue == 5);
  CHECK(r.sales == 0);
  CHECK(r.answered == 0);
  CHECK(r.starved == 5);  // the first call of each sale, then the sale ends
  CHECK(r.errors == 5);
  CHECK(r.salesFailed == 5);
  CHECK(r.tillsStarved == 5);
  CHECK(r.tillsNeverAnswered == 5);
  CHECK(r.warmupErrors == 5);
  REQUIRE_FALSE(r.errorSamples.empty());
  CHECK(r.errorSamples.front().find("timed out") != std::string::npos);
}

TEST_CASE("fd sampler: counts this process's descriptors", "[tools]") {
  const int64_t before = countOpenFds(::getpid());
  const int64_t notSockets = countNonSocketFds(::getpid());
  REQUIRE(before > 0);
  REQUIRE(notSockets >= 0);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  CHECK(countOpenFds(::getpid()) == before + 2);
  CHECK(countNonSocketFds(::getpid()) == notSockets + 2);  // a pipe is not a socket
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(s >= 0);
  CHECK(countOpenFds(::getpid()) == before + 3);
  CHECK(countNonSocketFds(::getpid()) == notSockets + 2);
  FdSampler sampler(::getpid(), 10ms);
  ::close(fds[0]);
  ::close(fds[1]);
  ::close(s);
  sampler.stop();
  CHECK(sampler.samples() >= 1);
  CHECK(sampler.peak() >= before);
  CHECK(openFileLimitOf(::getpid()) > 0);
  CHECK(cpuSecondsOf(::getpid()) >= 0);
  CHECK(loadAverage() >= 0);
}

// The command line end to end: a spawned core, the JSON keys of the report.
TEST_CASE("loyalty-bench: a short tills run prints the scenario's JSON",
          "[tools][integration][slow]") {
  const std::string exe = ownExecutableDir() + "/loyalty-bench";
  REQUIRE(::access(exe.c_str(), X_OK) == 0);
  const std::string command = "'" + exe + "' --scenario tills --tafeng '" LOYALTY_SHARED_DATA_DIR
                              "/tafeng' --tills 40 --rate 40 --duration 2 --lines 5 --json "
                              "2>/dev/null";
  int status = -1;
  const std::string out = ::loyalty::testing::runCommand(command, status);
  INFO("output: " << out);
  REQUIRE(status == 0);
  auto parsed = json::parse(out);
  REQUIRE(parsed.ok());
  const json::Value& v = parsed.value();
  REQUIRE(v.find("scenario") != nullptr);
  CHECK(v.find("scenario")->asString() == "tills");
  CHECK(v.find("tills")->asInt() == 40);
  CHECK(v.find("sales")->asInt() == 40);
  CHECK(v.find("sales_due")->asInt() == 40);
  CHECK(v.find("errors")->asInt() == 0);
  CHECK(v.find("starved_connections")->asInt() == 0);
  CHECK(v.find("throughput_per_s")->asDouble() > 0);
  CHECK(v.find("latency_ms")->find("p99")->asDouble() > 0);
  CHECK(v.find("sale_latency_ms")->find("p50")->asDouble() > 0);
  CHECK(v.find("ops")->find("commit")->find("count")->asInt() == 40);
  CHECK(v.find("connects")->asInt() == 0);  // kept from the warm-up (15 s keep-alive)
  CHECK(v.find("retries")->asInt() == 0);
  CHECK(v.find("peak_core_connections")->asInt() >= 40);
  CHECK(v.find("peak_client_connections")->asInt() == 40);
  CHECK(v.find("client_processes")->asInt() == 1);
  CHECK(v.find("keep_alive_s")->asInt() == 15);
  CHECK(v.find("warmup")->find("sales")->asInt() == 40);
}

}  // namespace
}  // namespace loyalty::tools

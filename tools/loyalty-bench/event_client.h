// EventClient: an HTTP/1.1 client for thousands of keep-alive connections on one thread, driven
// by Linux epoll (scenario tills, tills_scenario.h). The thread-per-till runner (runner.h) needs
// a thread and a Poco session per connection, which caps it near a thousand tills; here an idle
// till costs a socket and a few hundred bytes.
//
// Slots. The client has a fixed number of slots, one per till. A slot holds at most one TCP
// connection to the endpoint and at most one request in flight. request(slot, call, done) sends
// on the slot's connection, first opening one (non-blocking connect) when the slot has none. The
// answer is read up to its Content-Length (or to the end of the stream when it has none; chunked
// answers are refused as kBadAnswer: the core always sends a length). The connection is kept
// after the answer unless the answer says "Connection: close" (or is HTTP/1.0 without
// keep-alive). While a slot is idle its socket stays in the epoll set (edge-triggered, with
// EPOLLRDHUP): when the server closes the idle connection (keep-alive timeout) the client notices
// at once, counts it in serverCloses() and closes its socket, so that the next request on that
// slot opens a new connection (a reconnect).
//
// Retry. A request sent on a reused connection (one that already carried a complete answer) that
// fails before any byte of the answer arrived, because the connection was closed or reset (EOF,
// ECONNRESET, EPIPE: the server closed the idle connection at the instant the request went out),
// is sent once more on a new connection and counted in retries(). Nothing else is retried: a
// failed connect, a timeout or a connection closed after part of the answer end the request.
// The scenario's requests are safe to repeat (commit is idempotent by transaction key).
//
// Timeout. Each attempt (connect, send and the whole answer) must finish within
// options.timeout from its start; otherwise its connection is reset (closed with SO_LINGER 0,
// so that a storm of timeouts leaves no TIME_WAIT sockets holding the client's ports) and the
// request ends kTimedOut. A retry is a new attempt with a new timeout. The destructor resets
// the connections still open in the same way.
//
// Source addresses. Every connection to one endpoint from one source address needs its own
// local port, and a host has about 28,000 (ip_local_port_range), shared with the sockets in
// TIME_WAIT. Real tills each have their own address; to give the same room on loopback,
// options.sourceAddresses (numeric, e.g. 127.0.0.2; any 127/8 address is local on Linux) are
// bound round-robin by slot before connecting, with IP_BIND_ADDRESS_NO_PORT so that the port
// is still chosen per destination at connect time.
//
// Timers. at(when, fn) runs fn on the loop at or after `when` (CLOCK_MONOTONIC, the clock of
// std::chrono::steady_clock, waited on with epoll_pwait2's nanosecond timeout when the kernel has
// it, else to the next millisecond); the scenario's sale schedule runs on them.
//
// Open-socket series. openSocketSeries() holds, for each interval of options.seriesInterval since
// seriesOrigin(), the largest number of sockets the client had open during it, so that the
// series of several client processes can be added up to a joint peak.
//
// Errors: create() fails with kUnavailable when the endpoint does not resolve or epoll cannot be
// created, kInvalidValue for a source address that is not numeric or not of the endpoint's
// family; run() with kInternal when epoll_wait fails. Everything that can go wrong with one
// request is an Exchange outcome, never an Error.
//
// Thread safety: none. create(), request(), at(), run() and every callback run on one thread;
// callbacks run from run() only (never from inside request()), and may call request() and at().
// Invariants: a slot has at most one request in flight; a slot has a socket iff it is connecting,
// sending, receiving or idle-connected; openSockets() is the number of slots with a socket;
// every request's callback runs exactly once unless the client is destroyed first.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "loyalty-bench/workload.h"
#include "loyalty/base/result.h"

namespace loyalty::tools {

enum class ExchangeOutcome {
  kAnswered,       // a complete HTTP answer (any status)
  kConnectFailed,  // no connection (refused, no socket or port left, unreachable)
  kTimedOut,       // no complete answer within the timeout
  kClosed,         // the server closed or reset the connection before the answer was complete
  kBadAnswer,      // bytes that are not an HTTP/1.x answer this client can frame
};

const char* outcomeName(ExchangeOutcome outcome);

struct Exchange {
  ExchangeOutcome outcome = ExchangeOutcome::kAnswered;
  int status = 0;       // the HTTP status, when answered
  std::string body;     // the answer's body, when answered
  std::string error;    // what went wrong, when not answered
  std::chrono::steady_clock::time_point finished;  // when the answer (or the failure) came
  int connects = 0;     // connections this request opened (0, 1, or 2 with a retry)
  int reconnects = 0;   // of those, the ones on a slot that had been connected before
  bool retried = false;  // sent a second time on a new connection (see Retry above)
  int64_t connectMicros = -1;  // duration of the last connect it made; -1 when none
};

struct EventClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  size_t slots = 1;
  std::chrono::milliseconds timeout{2000};
  bool retryOnStaleConnection = true;
  std::chrono::milliseconds seriesInterval{100};
  // Numeric local addresses; slot i binds sourceAddresses[i % size]. Empty: the kernel's choice.
  std::vector<std::string> sourceAddresses;
};

class EventClient {
 public:
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(Exchange&&)>;

  static base::Result<std::unique_ptr<EventClient>> create(const EventClientOptions& options);
  ~EventClient();  // closes every socket; pending callbacks are dropped
  EventClient(const EventClient&) = delete;
  EventClient& operator=(const EventClient&) = delete;

  // Requires: slot < slots, !busy(slot).
  void request(size_t slot, const Call& call, Done done);
  void at(Clock::time_point when, std::function<void()> fn);
  // Runs timers, callbacks and I/O until finished() returns true (checked before every wait,
  // and at least every 50 ms).
  base::Status run(const std::function<bool()>& finished);
  // Closes the slot's idle connection, if any. Requires: !busy(slot).
  void closeSlot(size_t slot);

  bool busy(size_t slot) const;
  bool connected(size_t slot) const;
  size_t slots() const;

  int64_t connects() const { return connects_; }
  int64_t reconnects() const { return reconnects_; }
  int64_t connectFailures() const { return connectFailures_; }
  int64_t retries() const { return retries_; }
  int64_t serverCloses() const { return serverCloses_; }
  int64_t openSockets() const { return openSockets_; }
  int64_t peakOpenSockets() const { return peakOpenSockets_; }

  // Restarts the series at `origin` (by default the client's creation).
  void setSeriesOrigin(Clock::time_point origin);
  Clock::time_point seriesOrigin() const { return seriesOrigin_; }
  // The series up to now (the last interval is the current one).
  std::vector<uint32_t> openSocketSeries();

 private:
  enum class State { kClosed, kConnecting, kSending, kReceiving, kIdle };
  struct Slot;
  struct Timer {
    Clock::time_point when;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Timer& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };
  struct Deadline {
    Clock::time_point when;
    size_t slot;
    uint64_t attempt;
  };

  explicit EventClient(const EventClientOptions& options);

  void startAttempt(size_t slot);
  void openConnection(size_t slot);
  void onConnected(size_t slot);
  void writeSome(size_t slot);
  void readSome(size_t slot);
  void onEvent(size_t slot, uint32_t events);
  void checkIdle(size_t slot);
  bool idleAlive(size_t slot);
  // The request failed before any answer byte: retried when the rules allow, else finished.
  void failBeforeAnswer(size_t slot, ExchangeOutcome outcome, const std::string& why);
  void finish(size_t slot, Exchange&& exchange);
  void fail(size_t slot, ExchangeOutcome outcome, const std::string& why);
  // abortive: SO_LINGER 0 (a reset, no TIME_WAIT) instead of a FIN.
  void closeSocket(size_t slot, bool abortive = false);
  void noteOpenSockets();
  void runDue(Clock::time_point now);
  Clock::time_point nextWake(Clock::time_point now) const;

  const EventClientOptions options_;
  sockaddr_storage address_{};
  socklen_t addressLength_ = 0;
  std::vector<std::pair<sockaddr_storage, socklen_t>> sources_;
  std::string hostHeader_;
  int epollFd_ = -1;
  bool precise_ = true;  // epoll_pwait2 works
  std::vector<Slot> slots_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  uint64_t timerSeq_ = 0;
  std::deque<Deadline> deadlines_;  // in time order: every attempt has the same timeout
  uint64_t nextAttempt_ = 1;
  std::vector<std::pair<size_t, Exchange>> deferred_;  // failures found inside request()
  std::vector<char> buffer_;
  int64_t connects_ = 0;
  int64_t reconnects_ = 0;
  int64_t connectFailures_ = 0;
  int64_t retries_ = 0;
  int64_t serverCloses_ = 0;
  int64_t openSockets_ = 0;
  int64_t peakOpenSockets_ = 0;
  Clock::time_point seriesOrigin_;
  std::vector<uint32_t> series_;
  uint32_t lastNoted_ = 0;
};

}  // namespace loyalty::tools

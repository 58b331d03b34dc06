#include "loyalty-bench/event_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

namespace loyalty::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr int kMaxEvents = 1024;
constexpr auto kMaxWait = std::chrono::milliseconds(50);
constexpr uint64_t kSlotMask = 0xffffffffULL;

std::string errnoText(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

int64_t microsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

bool equalsNoCase(const std::string& a, const char* b) {
  const size_t n = std::strlen(b);
  if (a.size() != n) {
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    const char x = static_cast<char>(a[i] >= 'A' && a[i] <= 'Z' ? a[i] - 'A' + 'a' : a[i]);
    if (x != b[i]) {
      return false;
    }
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return s;
}

std::string trim(const std::string& s) {
  size_t a = 0;
  size_t b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) {
    ++a;
  }
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) {
    --b;
  }
  return s.substr(a, b - a);
}

// The framing of an answer whose head is complete.
struct AnswerHead {
  size_t headBytes = 0;
  int status = 0;
  bool untilEof = false;     // no Content-Length: the body runs to the end of the stream
  uint64_t bodyBytes = 0;    // when !untilEof
  bool closeAfter = false;   // Connection: close, or HTTP/1.0 without keep-alive
};

enum class Parse { kNeedMore, kComplete, kBad };

// Parses the head at the start of `in` (interim 100 answers already removed by the caller).
Parse parseHead(const std::string& in, AnswerHead& head, std::string& why) {
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (in.size() > kMaxHeadBytes) {
      why = "answer head over 64 KiB";
      return Parse::kBad;
    }
    return Parse::kNeedMore;
  }
  head = AnswerHead{};
  head.headBytes = end + 4;
  // Status line: HTTP/1.x NNN reason
  if (in.size() < 12 || in.compare(0, 7, "HTTP/1.") != 0 || in[8] != ' ') {
    why = "not an HTTP/1.x answer: " + in.substr(0, std::min<size_t>(in.size(), 40));
    return Parse::kBad;
  }
  const bool http10 = in[7] == '0';
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (in[i] < '0' || in[i] > '9') {
      why = "bad status line: " + in.substr(0, std::min<size_t>(end, 40));
      return Parse::kBad;
    }
    status = status * 10 + (in[i] - '0');
  }
  head.status = status;
  bool haveLength = false;
  bool keepAlive = !http10;
  size_t lineStart = in.find("\r\n") + 2;
  while (lineStart < end) {
    size_t lineEnd = in.find("\r\n", lineStart);
    const std::string line = in.substr(lineStart, lineEnd - lineStart);
    lineStart = lineEnd + 2;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    const std::string name = trim(line.substr(0, colon));
    const std::string value = trim(line.substr(colon + 1));
    if (equalsNoCase(name, "content-length")) {
      if (value.empty() || value.size() > 15 ||
          value.find_first_not_of("0123456789") != std::string::npos) {
        why = "bad Content-Length: " + value;
        return Parse::kBad;
      }
      head.bodyBytes = std::stoull(value);
      haveLength = true;
    } else if (equalsNoCase(name, "transfer-encoding")) {
      if (lower(value) != "identity") {
        why = "unsupported Transfer-Encoding: " + value;
        return Parse::kBad;
      }
    } else if (equalsNoCase(name, "connection")) {
      const std::string v = lower(value);
      if (v.find("close") != std::string::npos) {
        keepAlive = false;
      } else if (v.find("keep-alive") != std::string::npos) {
        keepAlive = true;
      }
    }
  }
  const bool noBody = status == 204 || status == 304 || (status >= 100 && status < 200);
  if (!haveLength && !noBody) {
    head.untilEof = true;
    keepAlive = false;
  }
  head.closeAfter = !keepAlive;
  return Parse::kComplete;
}

std::string serializeRequest(const Call& call, const std::string& hostHeader) {
  std::string out;
  out.reserve(160 + call.body.size());
  out += call.method;
  out += ' ';
  out += call.path;
  out += " HTTP/1.1\r\nHost: ";
  out += hostHeader;
  out += "\r\nUser-Agent: loyalty-bench\r\n";
  if (!call.body.empty()) {
    out += "Content-Type: application/json\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(call.body.size());
  out += "\r\n\r\n";
  out += call.body;
  return out;
}

}  // namespace

const char* outcomeName(ExchangeOutcome outcome) {
  switch (outcome) {
    case ExchangeOutcome::kAnswered:
      return "answered";
    case ExchangeOutcome::kConnectFailed:
      return "connect failed";
    case ExchangeOutcome::kTimedOut:
      return "timed out";
    case ExchangeOutcome::kClosed:
      return "closed";
    case ExchangeOutcome::kBadAnswer:
      return "bad answer";
  }
  return "?";
}

struct EventClient::Slot {
  int fd = -1;
  uint32_t serial = 0;  // of the current connection; the high half of its epoll tag
  State state = State::kClosed;
  bool everConnected = false;
  bool reused = false;    // the current connection has carried a complete answer
  bool attemptOnReused = false;
  bool inFlight = false;  // a request is in flight (from request() to its callback)
  uint64_t attempt = 0;   // the current attempt's number, 0 when none (matches deadlines_)
  std::string out;
  size_t outOffset = 0;
  std::string in;
  bool eof = false;
  Done done;
  Exchange pending;  // what the callback will get: counters gathered over the attempts
  Clock::time_point connectStart;
};

EventClient::EventClient(const EventClientOptions& options)
    : options_(options), slots_(options.slots), buffer_(kReadChunk) {
  seriesOrigin_ = Clock::now();
}

EventClient::~EventClient() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    closeSocket(i, true);
  }
  if (epollFd_ >= 0) {
    ::close(epollFd_);
  }
}

size_t EventClient::slots() const { return slots_.size(); }

base::Result<std::unique_ptr<EventClient>> EventClient::create(
    const EventClientOptions& options) {
  std::unique_ptr<EventClient> c(new EventClient(options));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(options.port);
  if (int rc = getaddrinfo(options.host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return base::makeError(base::ErrorCode::kUnavailable,
                           "cannot resolve " + options.host + ": " + gai_strerror(rc));
  }
  std::memcpy(&c->address_, found->ai_addr, found->ai_addrlen);
  c->addressLength_ = found->ai_addrlen;
  freeaddrinfo(found);
  for (const std::string& source : options.sourceAddresses) {
    sockaddr_storage local{};
    socklen_t length = 0;
    if (c->address_.ss_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&local);
      in->sin_family = AF_INET;
      length = sizeof(sockaddr_in);
      if (inet_pton(AF_INET, source.c_str(), &in->sin_addr) != 1) {
        length = 0;
      }
    } else if (c->address_.ss_family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&local);
      in6->sin6_family = AF_INET6;
      length = sizeof(sockaddr_in6);
      if (inet_pton(AF_INET6, source.c_str(), &in6->sin6_addr) != 1) {
        length = 0;
      }
    }
    if (length == 0) {
      return base::makeError(base::ErrorCode::kInvalidValue,
                             "source address " + source + " is not a numeric address of " +
                                 options.host + "'s family");
    }
    c->sources_.emplace_back(local, length);
  }
  const bool v6 = options.host.find(':') != std::string::npos;
  c->hostHeader_ = (v6 ? "[" + options.host + "]" : options.host) + ":" + service;
  c->epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  if (c->epollFd_ < 0) {
    return base::makeError(base::ErrorCode::kUnavailable, errnoText("epoll_create1", errno));
  }
  return c;
}

bool EventClient::busy(size_t slot) const { return slots_[slot].inFlight; }

bool EventClient::connected(size_t slot) const { return slots_[slot].fd >= 0; }

void EventClient::setSeriesOrigin(Clock::time_point origin) {
  seriesOrigin_ = origin;
  series_.clear();
  noteOpenSockets();
}

std::vector<uint32_t> EventClient::openSocketSeries() {
  noteOpenSockets();
  return series_;
}

void EventClient::noteOpenSockets() {
  peakOpenSockets_ = std::max(peakOpenSockets_, openSockets_);
  const auto now = Clock::now();
  if (now < seriesOrigin_) {
    return;
  }
  const size_t index = static_cast<size_t>((now - seriesOrigin_) / options_.seriesInterval);
  const uint32_t open = static_cast<uint32_t>(openSockets_);
  if (series_.size() <= index) {
    // Intervals without any change held the count noted last.
    series_.resize(index + 1, lastNoted_);
  }
  series_[index] = std::max(series_[index], open);
  lastNoted_ = open;
}

void EventClient::at(Clock::time_point when, std::function<void()> fn) {
  timers_.push(Timer{when, timerSeq_++, std::move(fn)});
}

void EventClient::request(size_t slot, const Call& call, Done done) {
  assert(slot < slots_.size());
  Slot& s = slots_[slot];
  assert(!s.inFlight);
  s.inFlight = true;
  s.out = serializeRequest(call, hostHeader_);
  s.done = std::move(done);
  s.pending = Exchange{};
  if (s.state == State::kIdle && !idleAlive(slot)) {
    closeSocket(slot);
    ++serverCloses_;
  }
  startAttempt(slot);
}

void EventClient::closeSlot(size_t slot) {
  assert(!slots_[slot].inFlight);
  closeSocket(slot);
}

bool EventClient::idleAlive(size_t slot) {
  // A FIN (or reset) that came while the slot was idle but whose event is not handled yet.
  char byte = 0;
  const ssize_t n = ::recv(slots_[slot].fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void EventClient::startAttempt(size_t slot) {
  Slot& s = slots_[slot];
  s.attempt = nextAttempt_++;
  s.outOffset = 0;
  s.in.clear();
  s.eof = false;
  deadlines_.push_back(Deadline{Clock::now() + options_.timeout, slot, s.attempt});
  if (s.fd < 0) {
    s.attemptOnReused = false;
    openConnection(slot);
    return;
  }
  s.attemptOnReused = s.reused;
  s.state = State::kSending;
  writeSome(slot);
}

void EventClient::openConnection(size_t slot) {
  Slot& s = slots_[slot];
  const int fd = ::socket(address_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int e = errno;
    ++connectFailures_;
    s.attempt = 0;
    Exchange x = std::move(s.pending);
    x.outcome = ExchangeOutcome::kConnectFailed;
    x.error = errnoText("socket", e);
    deferred_.emplace_back(slot, std::move(x));
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!sources_.empty()) {
    // The port is chosen at connect(), per destination, not reserved here (bind's own choice
    // would give each port to one socket only).
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    const auto& [local, length] = sources_[slot % sources_.size()];
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), length) != 0) {
      const int e = errno;
      ::close(fd);
      ++connectFailures_;
      s.attempt = 0;
      Exchange x = std::move(s.pending);
      x.outcome = ExchangeOutcome::kConnectFailed;
      x.error = errnoText("bind", e);
      deferred_.emplace_back(slot, std::move(x));
      return;
    }
  }
  s.fd = fd;
  s.serial += 1;
  s.reused = false;
  ++openSockets_;
  noteOpenSockets();
  ++connects_;
  ++s.pending.connects;
  if (s.everConnected) {
    ++reconnects_;
    ++s.pending.reconnects;
  }
  s.everConnected = true;
  s.connectStart = Clock::now();
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = (static_cast<uint64_t>(s.serial) << 32) | static_cast<uint64_t>(slot);
  if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int e = errno;
    closeSocket(slot);
    ++connectFailures_;
    s.attempt = 0;
    Exchange x = std::move(s.pending);
    x.outcome = ExchangeOutcome::kConnectFailed;
    x.error = errnoText("epoll_ctl", e);
    deferred_.emplace_back(slot, std::move(x));
    return;
  }
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address_), addressLength_);
  if (rc == 0) {
    onConnected(slot);
    return;
  }
  if (errno == EINPROGRESS) {
    s.state = State::kConnecting;
    return;
  }
  const int e = errno;
  closeSocket(slot);
  ++connectFailures_;
  s.attempt = 0;
  Exchange x = std::move(s.pending);
  x.outcome = ExchangeOutcome::kConnectFailed;
  x.error = errnoText("connect", e);
  deferred_.emplace_back(slot, std::move(x));
}

void EventClient::onConnected(size_t slot) {
  Slot& s = slots_[slot];
  s.pending.connectMicros = microsBetween(s.connectStart, Clock::now());
  s.state = State::kSending;
  writeSome(slot);
}

void EventClient::writeSome(size_t slot) {
  Slot& s = slots_[slot];
  while (s.outOffset < s.out.size()) {
    const ssize_t n =
        ::send(s.fd, s.out.data() + s.outOffset, s.out.size() - s.outOffset, MSG_NOSIGNAL);
    if (n > 0) {
      s.outOffset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // EPOLLOUT resumes
    }
    const int e = errno;
    failBeforeAnswer(slot, ExchangeOutcome::kClosed, errnoText("send", e));
    return;
  }
  s.state = State::kReceiving;
}

void EventClient::readSome(size_t slot) {
  Slot& s = slots_[slot];
  int error = 0;
  for (;;) {
    const ssize_t n = ::recv(s.fd, buffer_.data(), buffer_.size(), 0);
    if (n > 0) {
      s.in.append(buffer_.data(), static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      s.eof = true;
      break;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      error = errno;
      s.eof = true;
    }
    break;
  }
  // Interim 1xx answers (100 Continue) come before the real one.
  AnswerHead head;
  std::string why;
  Parse parsed = parseHead(s.in, head, why);
  while (parsed == Parse::kComplete && head.status >= 100 && head.status < 200) {
    s.in.erase(0, head.headBytes);
    parsed = parseHead(s.in, head, why);
  }
  if (parsed == Parse::kBad) {
    fail(slot, ExchangeOutcome::kBadAnswer, why);
    return;
  }
  if (parsed == Parse::kComplete) {
    const uint64_t have = s.in.size() - head.headBytes;
    const bool complete = head.untilEof ? s.eof : have >= head.bodyBytes;
    if (complete) {
      if (!head.untilEof && have > head.bodyBytes) {
        // Bytes after the answer that nobody asked for: answer kept, connection dropped.
        head.closeAfter = true;
      }
      Exchange x = std::move(s.pending);
      x.outcome = ExchangeOutcome::kAnswered;
      x.status = head.status;
      x.body = head.untilEof ? s.in.substr(head.headBytes)
                             : s.in.substr(head.headBytes, static_cast<size_t>(head.bodyBytes));
      if (head.closeAfter || s.eof) {
        closeSocket(slot);
      } else {
        s.reused = true;
        s.state = State::kIdle;
      }
      finish(slot, std::move(x));
      return;
    }
  }
  if (!s.eof) {
    return;  // more to come
  }
  const std::string why2 = error != 0 ? errnoText("recv", error)
                                      : std::string("connection closed by the server");
  if (s.in.empty()) {
    failBeforeAnswer(slot, ExchangeOutcome::kClosed, why2);
  } else {
    fail(slot, ExchangeOutcome::kClosed, why2 + " in the middle of the answer");
  }
}

void EventClient::failBeforeAnswer(size_t slot, ExchangeOutcome outcome, const std::string& why) {
  Slot& s = slots_[slot];
  if (options_.retryOnStaleConnection && s.attemptOnReused && !s.pending.retried &&
      s.in.empty()) {
    ++retries_;
    s.pending.retried = true;
    closeSocket(slot);
    startAttempt(slot);
    return;
  }
  fail(slot, outcome, why);
}

void EventClient::fail(size_t slot, ExchangeOutcome outcome, const std::string& why) {
  Slot& s = slots_[slot];
  if (outcome == ExchangeOutcome::kConnectFailed) {
    ++connectFailures_;
  }
  closeSocket(slot, outcome == ExchangeOutcome::kTimedOut);
  Exchange x = std::move(s.pending);
  x.outcome = outcome;
  x.error = why;
  finish(slot, std::move(x));
}

void EventClient::finish(size_t slot, Exchange&& exchange) {
  Slot& s = slots_[slot];
  s.attempt = 0;
  s.inFlight = false;
  s.out = std::string();
  s.in = std::string();
  exchange.finished = Clock::now();
  Done done = std::move(s.done);
  s.done = nullptr;
  done(std::move(exchange));
}

void EventClient::closeSocket(size_t slot, bool abortive) {
  Slot& s = slots_[slot];
  if (s.fd < 0) {
    return;
  }
  if (abortive) {
    const linger reset{1, 0};
    setsockopt(s.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  ::close(s.fd);  // also leaves the epoll set
  s.fd = -1;
  s.state = State::kClosed;
  s.reused = false;
  --openSockets_;
  noteOpenSockets();
}

void EventClient::checkIdle(size_t slot) {
  Slot& s = slots_[slot];
  for (;;) {
    const ssize_t n = ::recv(s.fd, buffer_.data(), buffer_.size(), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // still open (an EPOLLOUT edge, say)
    }
    // EOF or reset from the server (its keep-alive timeout), or bytes nobody asked for.
    if (n <= 0) {
      ++serverCloses_;
    }
    closeSocket(slot);
    return;
  }
}

void EventClient::onEvent(size_t slot, uint32_t events) {
  Slot& s = slots_[slot];
  switch (s.state) {
    case State::kClosed:
      return;
    case State::kIdle:
      checkIdle(slot);
      return;
    case State::kConnecting: {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) {
        return;
      }
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
      }
      if (err != 0) {
        fail(slot, ExchangeOutcome::kConnectFailed, errnoText("connect", err));
        return;
      }
      const uint32_t serial = s.serial;
      onConnected(slot);
      // The callback of a failed send may have started another request on this slot: its
      // connection has another serial.
      if (s.fd >= 0 && s.serial == serial && s.inFlight &&
          (s.state == State::kSending || s.state == State::kReceiving) &&
          (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0) {
        readSome(slot);
      }
      return;
    }
    case State::kSending: {
      const uint32_t serial = s.serial;
      if ((events & (EPOLLOUT | EPOLLERR)) != 0) {
        writeSome(slot);
      }
      // An early answer (or a close) while the request is still going out.
      if (s.fd >= 0 && s.serial == serial && s.inFlight &&
          (s.state == State::kSending || s.state == State::kReceiving) &&
          (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        readSome(slot);
      }
      return;
    }
    case State::kReceiving:
      readSome(slot);
      return;
  }
}

void EventClient::runDue(Clock::time_point now) {
  // Failures found inside request(): their callbacks run here, outside of it.
  while (!deferred_.empty()) {
    std::vector<std::pair<size_t, Exchange>> batch;
    batch.swap(deferred_);
    for (auto& [slot, x] : batch) {
      finish(slot, std::move(x));
    }
  }
  while (!deadlines_.empty() && deadlines_.front().when <= now) {
    const Deadline d = deadlines_.front();
    deadlines_.pop_front();
    Slot& s = slots_[d.slot];
    if (s.attempt != d.attempt || !s.inFlight) {
      continue;  // that attempt is over
    }
    const char* phase = s.state == State::kConnecting ? "no connection" : "no answer";
    fail(d.slot, ExchangeOutcome::kTimedOut,
         std::string(phase) + " within " + std::to_string(options_.timeout.count()) + " ms");
  }
  while (!timers_.empty() && timers_.top().when <= now) {
    std::function<void()> fn = std::move(const_cast<Timer&>(timers_.top()).fn);
    timers_.pop();
    fn();
  }
}

EventClient::Clock::time_point EventClient::nextWake(Clock::time_point now) const {
  Clock::time_point wake = now + kMaxWait;
  if (!deferred_.empty()) {
    return now;
  }
  if (!timers_.empty()) {
    wake = std::min(wake, timers_.top().when);
  }
  if (!deadlines_.empty()) {
    wake = std::min(wake, deadlines_.front().when);
  }
  return wake;
}

base::Status EventClient::run(const std::function<bool()>& finished) {
  std::vector<epoll_event> events(kMaxEvents);
  for (;;) {
    runDue(Clock::now());
    if (finished()) {
      return base::okStatus();
    }
    const auto now = Clock::now();
    const auto wait = std::max(Clock::duration::zero(), nextWake(now) - now);
    int n = 0;
    if (precise_) {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
      timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
      n = epoll_pwait2(epollFd_, events.data(), kMaxEvents, &ts, nullptr);
      if (n < 0 && errno == ENOSYS) {
        precise_ = false;
        continue;
      }
    } else {
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
      n = epoll_wait(epollFd_, events.data(), kMaxEvents, static_cast<int>(ms));
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return base::makeError(base::ErrorCode::kInternal, errnoText("epoll_wait", errno));
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[static_cast<size_t>(i)].data.u64;
      const size_t slot = static_cast<size_t>(tag & kSlotMask);
      const uint32_t serial = static_cast<uint32_t>(tag >> 32);
      if (slot >= slots_.size() || slots_[slot].fd < 0 || slots_[slot].serial != serial) {
        continue;  // a connection closed earlier in this batch
      }
      onEvent(slot, events[static_cast<size_t>(i)].events);
    }
  }
}

}  // namespace loyalty::tools

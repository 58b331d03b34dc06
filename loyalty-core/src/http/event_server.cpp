#include "http/event_server.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <climits>
#include <csignal>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <Poco/Net/HTTPResponse.h>

#include "loyalty/protocol/limits.h"

namespace loyalty::core::http {
namespace {

using base::ErrorCode;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kListenTag = 0;
constexpr uint64_t kWakeTag = 1;
constexpr uint64_t kFirstConnectionId = 2;
constexpr size_t kReadChunk = 64 * 1024;
constexpr int kMaxEvents = 256;

// Largest SSL_write at once (partial writes return after each record anyway).
constexpr size_t kMaxTlsWrite = 1 << 20;

enum class State { kHandshake, kReading, kDiscarding, kProcessing, kWriting };

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

struct Connection {
  int fd = -1;
  uint64_t id = 0;
  State state = State::kReading;
  std::unique_ptr<SSL, SslFree> ssl;  // TLS only
  bool tlsReady = false;              // the handshake is complete
  bool tlsBroken = false;             // a fatal TLS error: no close_notify may be sent
  bool continuePending = false;       // TLS: "100 Continue" was cut short and must be finished
  std::string in;  // received, not yet consumed
  std::optional<RequestHead> head;  // of the request being read
  Request request;
  base::Result<const Router::Route*> route = static_cast<const Router::Route*>(nullptr);
  size_t bodyBytes = 0;
  uint64_t discardLeft = 0;
  bool sentContinue = false;
  std::string out;
  size_t outOffset = 0;
  bool closeAfterWrite = false;
  Clock::time_point lastProgress = Clock::now();
};

// The status line, the answer's header fields and the body, ready for the socket.
std::string serializeAnswer(const Response& response, const std::string& requestId,
                            bool keepAlive, int minorVersion) {
  std::string reason = Poco::Net::HTTPResponse::getReasonForStatus(
      static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
  std::string out;
  out.reserve(256 + response.body.size());
  out += minorVersion == 0 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += reason;
  out += "\r\n";
  for (const auto& [name, value] : answerHeaders(response, requestId)) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(response.body.size());
  out += "\r\n";
  if (!keepAlive) {
    out += "Connection: close\r\n";
  } else if (minorVersion == 0) {
    out += "Connection: Keep-Alive\r\n";
  }
  out += "\r\n";
  out += response.body;
  return out;
}

uint64_t raiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 0;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      lim = raised;
    }
  }
  return static_cast<uint64_t>(lim.rlim_cur);
}

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

class EventServer::Impl {
 public:
  struct Completion {
    uint64_t connectionId;
    std::string bytes;
    bool close;
  };

  class Loop {
   public:
    Loop(Impl& server, bool accepts) : server_(server), accepts_(accepts) {}
    ~Loop() {
      for (auto& [id, c] : connections_) {
        ::close(c->fd);
      }
      for (int fd : newFds_) {
        ::close(fd);  // handed over after this loop had stopped
      }
      if (wakeFd_ >= 0) {
        ::close(wakeFd_);
      }
      if (epollFd_ >= 0) {
        ::close(epollFd_);
      }
    }

    base::Status open() {
      epollFd_ = epoll_create1(EPOLL_CLOEXEC);
      wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      if (epollFd_ < 0 || wakeFd_ < 0) {
        return base::makeError(ErrorCode::kUnavailable, errnoText("epoll/eventfd"));
      }
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kWakeTag;
      if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev) != 0) {
        return base::makeError(ErrorCode::kUnavailable, errnoText("epoll_ctl"));
      }
      if (accepts_) {
        ev.events = EPOLLIN;
        ev.data.u64 = kListenTag;
        if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, server_.listenFd_, &ev) != 0) {
          return base::makeError(ErrorCode::kUnavailable, errnoText("epoll_ctl"));
        }
      }
      return base::okStatus();
    }

    void startThread() { thread_ = std::thread([this] { run(); }); }
    void join() {
      if (thread_.joinable()) {
        thread_.join();
      }
    }
    void wake() {
      const uint64_t one = 1;
      ssize_t ignored = ::write(wakeFd_, &one, sizeof one);
      (void)ignored;
    }
    void post(Completion completion) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        completions_.push_back(std::move(completion));
      }
      wake();
    }
    void adopt(int fd) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        newFds_.push_back(fd);
      }
      wake();
    }
    size_t connectionCount() const { return count_.load(); }

   private:
    void run() {
      // OpenSSL writes to the socket with write(2): a peer that has gone away must give EPIPE on
      // this thread, not a process-wide SIGPIPE.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      std::vector<epoll_event> events(kMaxEvents);
      auto nextScan = Clock::now();
      for (;;) {
        const bool stopping = server_.stopping_.load();
        if (stopping) {
          beginStop();
          if (connections_.empty()) {
            break;
          }
        }
        const auto scanEvery = stopping ? std::chrono::milliseconds(10) : server_.scanInterval_;
        int n = epoll_wait(epollFd_, events.data(), kMaxEvents,
                           static_cast<int>(scanEvery.count()));
        if (n < 0 && errno != EINTR) {
          break;
        }
        for (int i = 0; i < n; ++i) {
          const uint64_t tag = events[static_cast<size_t>(i)].data.u64;
          if (tag == kWakeTag) {
            uint64_t value = 0;
            ssize_t ignored = ::read(wakeFd_, &value, sizeof value);
            (void)ignored;
            drainQueues();
          } else if (tag == kListenTag) {
            acceptAll();
          } else {
            auto it = connections_.find(tag);
            if (it != connections_.end()) {
              pump(*it->second);
            }
          }
        }
        const auto now = Clock::now();
        if (now >= nextScan) {
          scanTimeouts(now);
          nextScan = now + scanEvery;
        }
      }
      for (auto& [id, c] : connections_) {
        ::close(c->fd);
      }
      connections_.clear();
      count_ = 0;
    }

    void beginStop() {
      if (accepts_ && !listenClosed_) {
        epoll_ctl(epollFd_, EPOLL_CTL_DEL, server_.listenFd_, nullptr);
        listenClosed_ = true;
      }
      const bool graceOver = Clock::now() >= server_.stopDeadline_;
      std::vector<uint64_t> doomed;
      for (auto& [id, c] : connections_) {
        const bool idle = (c->state == State::kReading && !c->head && c->in.empty()) ||
                          c->state == State::kHandshake;
        if (graceOver || idle) {
          doomed.push_back(id);
        }
      }
      for (uint64_t id : doomed) {
        closeConnection(id);
      }
    }

    void drainQueues() {
      std::vector<int> fds;
      std::vector<Completion> done;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        fds.swap(newFds_);
        done.swap(completions_);
      }
      for (int fd : fds) {
        addConnection(fd);
      }
      for (auto& completion : done) {
        auto it = connections_.find(completion.connectionId);
        if (it == connections_.end()) {
          continue;  // closed meanwhile (timeout at stop)
        }
        Connection& c = *it->second;
        c.out = std::move(completion.bytes);
        c.outOffset = 0;
        c.closeAfterWrite = completion.close || server_.stopping_.load();
        c.state = State::kWriting;
        c.lastProgress = Clock::now();
        pump(c);
      }
    }

    void acceptAll() {
      for (;;) {
        int fd = accept4(server_.listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) {
            continue;
          }
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            // Out of descriptors: stop polling the listener until the next timeout scan,
            // rather than spinning on a connection we cannot take.
            epoll_event ev{};
            ev.events = 0;
            ev.data.u64 = kListenTag;
            epoll_ctl(epollFd_, EPOLL_CTL_MOD, server_.listenFd_, &ev);
            listenPaused_ = true;
          }
          return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Loop& target = server_.nextLoop();
        if (&target == this) {
          addConnection(fd);
        } else {
          target.adopt(fd);
        }
      }
    }

    void addConnection(int fd) {
      if (server_.stopping_.load()) {
        ::close(fd);
        return;
      }
      auto c = std::make_unique<Connection>();
      c->fd = fd;
      c->id = nextId_++;
      if (SSL_CTX* ctx = server_.options_.tls; ctx != nullptr) {
        ERR_clear_error();
        c->ssl.reset(SSL_new(ctx));
        if (c->ssl == nullptr || SSL_set_fd(c->ssl.get(), fd) != 1) {
          ERR_clear_error();
          ::close(fd);
          return;
        }
        SSL_set_accept_state(c->ssl.get());
        // Partial writes (a large answer goes out record by record as the socket takes it), a
        // retried write from the same bytes, and no buffers held by an idle connection.
        SSL_set_mode(c->ssl.get(), SSL_MODE_ENABLE_PARTIAL_WRITE |
                                       SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                       SSL_MODE_RELEASE_BUFFERS);
        c->state = State::kHandshake;  // lastProgress: the accept, the handshake's deadline
      }
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.u64 = c->id;
      if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        return;
      }
      Connection& ref = *c;
      connections_.emplace(c->id, std::move(c));
      count_.fetch_add(1);
      pump(ref);
    }

    void closeConnection(uint64_t id) {
      auto it = connections_.find(id);
      if (it == connections_.end()) {
        return;
      }
      Connection& c = *it->second;
      if (c.ssl != nullptr) {
        if (c.tlsReady && !c.tlsBroken) {
          // close_notify, best effort: one non-blocking attempt, the peer's reply is not awaited.
          ERR_clear_error();
          (void)SSL_shutdown(c.ssl.get());
        }
        ERR_clear_error();
        c.ssl.reset();
      }
      ::close(c.fd);  // also removes it from the epoll set
      connections_.erase(it);
      count_.fetch_sub(1);
    }

    void scanTimeouts(Clock::time_point now) {
      if (listenPaused_) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kListenTag;
        epoll_ctl(epollFd_, EPOLL_CTL_MOD, server_.listenFd_, &ev);
        listenPaused_ = false;
      }
      std::vector<uint64_t> doomed;
      for (auto& [id, c] : connections_) {
        if (c->state == State::kProcessing) {
          continue;
        }
        const bool idle = c->state == State::kReading && !c->head && c->in.empty();
        const auto limit =
            idle ? server_.options_.keepAliveTimeout : server_.options_.requestTimeout;
        if (now - c->lastProgress >= limit) {
          doomed.push_back(id);
          if (c->state == State::kHandshake) {
            server_.tlsFailed_.fetch_add(1);  // a handshake that stalled
          }
        }
      }
      for (uint64_t id : doomed) {
        closeConnection(id);
      }
    }

    enum class Step { kContinue, kBlocked, kClosed };

    // Drives one connection as far as it can go without blocking. After kClosed the
    // connection is gone.
    void pump(Connection& c) {
      for (;;) {
        Step step = Step::kBlocked;
        switch (c.state) {
          case State::kHandshake:
            step = handshakeStep(c);
            break;
          case State::kReading:
            step = readStep(c);
            break;
          case State::kDiscarding:
            step = discardStep(c);
            break;
          case State::kProcessing:
            return;
          case State::kWriting:
            step = writeStep(c);
            break;
        }
        if (step != Step::kContinue) {
          return;
        }
      }
    }

    // The outcome of one read or write on the transport (the socket, or TLS over it).
    enum class Io { kDone, kAgain, kEnd };

    // After an SSL_* call returned n <= 0: kAgain when it waits for the socket (either way: a
    // read may need to write and a write to read; the connection's epoll set has both events),
    // else kEnd, and the connection is marked broken unless the peer closed TLS cleanly.
    Io tlsOutcome(Connection& c, int n) {
      const int savedErrno = errno;
      const int error = SSL_get_error(c.ssl.get(), n);
      ERR_clear_error();
      switch (error) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
          return Io::kAgain;
        case SSL_ERROR_ZERO_RETURN:
          return Io::kEnd;  // close_notify received: ours goes out at the close
        case SSL_ERROR_SYSCALL:
          if (savedErrno == EINTR || savedErrno == EAGAIN) {
            return Io::kAgain;
          }
          c.tlsBroken = true;
          return Io::kEnd;
        default:
          c.tlsBroken = true;
          return Io::kEnd;
      }
    }

    // Reads at most len bytes into buf; got is set on kDone.
    Io readSome(Connection& c, char* buf, size_t len, size_t& got) {
      if (c.ssl != nullptr) {
        ERR_clear_error();
        errno = 0;
        const int n = SSL_read(c.ssl.get(), buf, static_cast<int>(std::min<size_t>(len, INT_MAX)));
        if (n > 0) {
          got = static_cast<size_t>(n);
          return Io::kDone;
        }
        return tlsOutcome(c, n);
      }
      for (;;) {
        const ssize_t n = ::recv(c.fd, buf, len, 0);
        if (n > 0) {
          got = static_cast<size_t>(n);
          return Io::kDone;
        }
        if (n < 0 && errno == EINTR) {
          continue;
        }
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? Io::kAgain : Io::kEnd;
      }
    }

    // Writes at most len bytes of data; put is set on kDone (TLS: whole records, at least one).
    // After kAgain a TLS write must be retried with the same bytes.
    Io writeSome(Connection& c, const char* data, size_t len, size_t& put) {
      if (c.ssl != nullptr) {
        ERR_clear_error();
        errno = 0;
        const int n = SSL_write(c.ssl.get(), data, static_cast<int>(std::min(len, kMaxTlsWrite)));
        if (n > 0) {
          put = static_cast<size_t>(n);
          return Io::kDone;
        }
        return tlsOutcome(c, n);
      }
      for (;;) {
        const ssize_t n = ::send(c.fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
          put = static_cast<size_t>(n);
          return Io::kDone;
        }
        if (n < 0 && errno == EINTR) {
          continue;
        }
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? Io::kAgain : Io::kEnd;
      }
    }

    // The TLS handshake, as far as the socket lets it go.
    Step handshakeStep(Connection& c) {
      ERR_clear_error();
      errno = 0;
      const int r = SSL_do_handshake(c.ssl.get());
      if (r == 1) {
        c.tlsReady = true;
        c.state = State::kReading;
        c.lastProgress = Clock::now();  // from now on an idle keep-alive connection
        server_.tlsHandshakes_.fetch_add(1);
        if (SSL_session_reused(c.ssl.get()) == 1) {
          server_.tlsResumed_.fetch_add(1);
        }
        return Step::kContinue;
      }
      if (tlsOutcome(c, r) == Io::kAgain) {
        return Step::kBlocked;
      }
      // Refused (certificate, protocol, plain HTTP) or abandoned: no HTTP answer is possible.
      c.tlsBroken = true;
      server_.tlsFailed_.fetch_add(1);
      closeConnection(c.id);
      return Step::kClosed;
    }

    // TLS: finishes a "100 Continue" that the socket did not take at once (kBlocked: not yet).
    Step finishContinue(Connection& c) {
      if (!c.continuePending) {
        return Step::kContinue;
      }
      size_t put = 0;
      switch (writeSome(c, kContinueText, sizeof kContinueText - 1, put)) {
        case Io::kDone:
          c.continuePending = false;
          return Step::kContinue;
        case Io::kAgain:
          return Step::kBlocked;
        case Io::kEnd:
          break;
      }
      closeConnection(c.id);
      return Step::kClosed;
    }

    // Reads up to kReadChunk more bytes into c.in (or drops them when sink is set).
    Step receive(Connection& c, bool drop) {
      if (finishContinue(c) == Step::kClosed) {
        return Step::kClosed;
      }
      char buf[kReadChunk];
      size_t got = 0;
      switch (readSome(c, buf, sizeof buf, got)) {
        case Io::kDone:
          break;
        case Io::kAgain:
          return Step::kBlocked;
        case Io::kEnd:
          closeConnection(c.id);
          return Step::kClosed;
      }
      c.lastProgress = Clock::now();
      if (drop) {
        const size_t dropped = static_cast<size_t>(std::min<uint64_t>(c.discardLeft, got));
        c.discardLeft -= dropped;
        c.in.append(buf + dropped, got - dropped);
      } else {
        c.in.append(buf, got);
      }
      return Step::kContinue;
    }

    void answerNow(Connection& c, const Response& response, const std::string& requestId,
                   bool keepAlive, int minorVersion) {
      const bool stay = keepAlive && !server_.stopping_.load();
      c.out = serializeAnswer(response, requestId, stay, minorVersion);
      c.outOffset = 0;
      c.closeAfterWrite = !stay;
      c.state = State::kWriting;
    }

    Step readStep(Connection& c) {
      if (!c.head) {
        auto parsed = parseRequestHead(c.in, server_.options_.maxHeadBytes);
        if (!parsed.ok()) {
          // The stream cannot be framed any further: answer and close.
          const std::string requestId = acceptRequestId("");
          answerNow(c, errorResponse(parsed.error(), requestId), requestId, false, 1);
          c.in.clear();
          return Step::kContinue;
        }
        if (!parsed->has_value()) {
          return receive(c, false);
        }
        c.head = std::move(**parsed);
        startRequest(c);
        if (c.state != State::kReading) {
          return Step::kContinue;
        }
      }
      const size_t need = c.head->size + c.bodyBytes;
      if (c.in.size() < need) {
        if (c.head->expectContinue && !c.sentContinue) {
          sendContinue(c);
        }
        return receive(c, false);
      }
      c.request.body.assign(c.in, c.head->size, c.bodyBytes);
      c.in.erase(0, need);
      c.state = State::kProcessing;
      server_.submit(Job{this, c.id, std::move(c.request), c.route, c.head->keepAlive,
                         c.head->minorVersion});
      c.request = Request();
      c.head.reset();
      c.sentContinue = false;
      return Step::kBlocked;
    }

    // Fills c.request from the parsed head and decides how the body is taken.
    void startRequest(Connection& c) {
      const RequestHead& head = *c.head;
      Request& req = c.request;
      req = Request();
      req.requestId = acceptRequestId(head.header("X-Request-Id"));
      req.method = head.method;
      const size_t q = head.target.find('?');
      req.path = q == std::string::npos ? head.target : head.target.substr(0, q);
      req.query = q == std::string::npos ? std::string() : head.target.substr(q + 1);
      req.contentType = head.header("Content-Type");
      req.authorization = head.header("Authorization");
      c.route = server_.router_.match(req);
      const size_t limit = c.route.ok() ? (*c.route)->maxBodyBytes : protocol::kMaxBodyBytes;
      if (head.contentLength <= limit) {
        c.bodyBytes = static_cast<size_t>(head.contentLength);
        return;
      }
      const Response tooLarge = bodyTooLargeResponse(limit, req.requestId);
      c.in.erase(0, head.size);
      if (head.contentLength - limit > kMaxDiscardBytes) {
        answerNow(c, tooLarge, req.requestId, false, head.minorVersion);
        c.in.clear();
        c.head.reset();
        return;
      }
      c.discardLeft = head.contentLength;
      c.state = State::kDiscarding;
    }

    static constexpr char kContinueText[] = "HTTP/1.1 100 Continue\r\n\r\n";

    void sendContinue(Connection& c) {
      c.sentContinue = true;
      size_t put = 0;
      // Plain: best effort, a socket that cannot take 25 bytes now gets the body without it.
      // TLS: a cut-short record must be finished before anything else is written.
      if (writeSome(c, kContinueText, sizeof kContinueText - 1, put) == Io::kAgain &&
          c.ssl != nullptr) {
        c.continuePending = true;
      }
    }

    Step discardStep(Connection& c) {
      const size_t fromBuffer = static_cast<size_t>(std::min<uint64_t>(c.discardLeft, c.in.size()));
      c.in.erase(0, fromBuffer);
      c.discardLeft -= fromBuffer;
      if (c.discardLeft > 0) {
        return receive(c, true);
      }
      const RequestHead head = std::move(*c.head);
      c.head.reset();
      const size_t limit = c.route.ok() ? (*c.route)->maxBodyBytes : protocol::kMaxBodyBytes;
      answerNow(c, bodyTooLargeResponse(limit, c.request.requestId), c.request.requestId,
                head.keepAlive, head.minorVersion);
      c.request = Request();
      return Step::kContinue;
    }

    Step writeStep(Connection& c) {
      if (const Step st = finishContinue(c); st != Step::kContinue) {
        return st;
      }
      while (c.outOffset < c.out.size()) {
        size_t put = 0;
        const Io io =
            writeSome(c, c.out.data() + c.outOffset, c.out.size() - c.outOffset, put);
        if (io == Io::kDone) {
          c.outOffset += put;
          c.lastProgress = Clock::now();
          continue;
        }
        if (io == Io::kAgain) {
          return Step::kBlocked;  // EPOLLOUT (or, TLS, EPOLLIN) resumes
        }
        closeConnection(c.id);
        return Step::kClosed;
      }
      if (c.closeAfterWrite) {
        closeConnection(c.id);
        return Step::kClosed;
      }
      c.out.clear();
      c.out.shrink_to_fit();
      c.outOffset = 0;
      c.state = State::kReading;
      c.lastProgress = Clock::now();
      if (c.in.capacity() > 2 * kReadChunk && c.in.size() < kReadChunk) {
        c.in.shrink_to_fit();
      }
      return Step::kContinue;
    }

    Impl& server_;
    const bool accepts_;
    int epollFd_ = -1;
    int wakeFd_ = -1;
    bool listenClosed_ = false;
    bool listenPaused_ = false;
    uint64_t nextId_ = kFirstConnectionId;
    std::thread thread_;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;  // loop thread only
    std::atomic<size_t> count_{0};
    std::mutex mutex_;
    std::vector<int> newFds_;              // guarded by mutex_
    std::vector<Completion> completions_;  // guarded by mutex_
  };

  struct Job {
    Loop* loop;
    uint64_t connectionId;
    Request request;
    base::Result<const Router::Route*> route;
    bool keepAlive;
    int minorVersion;
  };

  Impl(const Router& router, EventServerOptions options)
      : router_(router), options_(std::move(options)) {
    const auto shortest = std::min(options_.keepAliveTimeout, options_.requestTimeout);
    scanInterval_ = std::clamp(shortest / 4, std::chrono::milliseconds(10),
                               std::chrono::milliseconds(250));
  }

  ~Impl() {
    stop();
    if (listenFd_ >= 0) {
      ::close(listenFd_);
    }
  }

  base::Status start() {
    if (started_) {
      return base::makeError(ErrorCode::kInvalidState, "the server is already started");
    }
    started_ = true;
    fileLimit_ = raiseFileLimit();
    if (auto st = bindAndListen(); !st.ok()) {
      return st;
    }
    const int ioThreads = std::max(1, options_.ioThreads);
    for (int i = 0; i < ioThreads; ++i) {
      loops_.push_back(std::make_unique<Loop>(*this, i == 0));
      if (auto st = loops_.back()->open(); !st.ok()) {
        loops_.clear();
        return st;
      }
    }
    try {
      for (int i = 0; i < std::max(1, options_.workerThreads); ++i) {
        workers_.emplace_back([this] { work(); });
      }
      for (auto& loop : loops_) {
        loop->startThread();
      }
    } catch (const std::system_error& e) {
      stop();
      return base::makeError(ErrorCode::kUnavailable, std::string("threads: ") + e.what());
    }
    running_ = true;
    return base::okStatus();
  }

  void stop() {
    if (!started_ || stopped_) {
      return;
    }
    stopped_ = true;
    stopDeadline_ = Clock::now() + options_.stopGrace;
    stopping_ = true;
    for (auto& loop : loops_) {
      loop->wake();
      loop->join();
    }
    {
      std::lock_guard<std::mutex> lock(jobsMutex_);
      workersStop_ = true;
      jobs_.clear();
    }
    jobsReady_.notify_all();
    for (auto& w : workers_) {
      if (w.joinable()) {
        w.join();
      }
    }
    running_ = false;
  }

  uint16_t port() const { return port_; }

  size_t currentConnections() const {
    size_t n = 0;
    for (const auto& loop : loops_) {
      n += loop->connectionCount();
    }
    return n;
  }

  uint64_t openFileLimit() const { return fileLimit_; }

  EventServerTlsCounts tlsCounts() const {
    EventServerTlsCounts counts;
    counts.handshakes = tlsHandshakes_.load();
    counts.resumed = tlsResumed_.load();
    counts.failed = tlsFailed_.load();
    return counts;
  }

 private:
  friend class Loop;

  base::Status bindAndListen() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(options_.port);
    const char* host = options_.host.empty() ? nullptr : options_.host.c_str();
    if (int rc = getaddrinfo(host, service.c_str(), &hints, &found); rc != 0) {
      return base::makeError(ErrorCode::kUnavailable,
                             "cannot resolve " + options_.host + ": " + gai_strerror(rc));
    }
    std::string lastError = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        a->ai_protocol);
      if (fd < 0) {
        lastError = errnoText("socket");
        continue;
      }
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 ||
          ::listen(fd, std::max(1, options_.backlog)) != 0) {
        lastError = errnoText("bind/listen " + options_.host + ":" + service);
        ::close(fd);
        continue;
      }
      sockaddr_storage bound{};
      socklen_t len = sizeof bound;
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
      port_ = ntohs(bound.ss_family == AF_INET6
                        ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      listenFd_ = fd;
      break;
    }
    freeaddrinfo(found);
    if (listenFd_ < 0) {
      return base::makeError(ErrorCode::kUnavailable, lastError);
    }
    return base::okStatus();
  }

  Loop& nextLoop() {
    const size_t i = nextLoop_++ % loops_.size();
    return *loops_[i];
  }

  void submit(Job job) {
    {
      std::lock_guard<std::mutex> lock(jobsMutex_);
      jobs_.push_back(std::move(job));
    }
    jobsReady_.notify_one();
  }

  void work() {
    for (;;) {
      std::unique_lock<std::mutex> lock(jobsMutex_);
      jobsReady_.wait(lock, [this] { return workersStop_ || !jobs_.empty(); });
      if (workersStop_) {
        return;
      }
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      Completion done{job.connectionId, std::string(), !job.keepAlive};
      try {
        const Response response = runRoute(job.route, job.request);
        const bool keepAlive = job.keepAlive && !stopping_.load();
        done.bytes = serializeAnswer(response, job.request.requestId, keepAlive,
                                     job.minorVersion);
        done.close = !keepAlive;
      } catch (...) {
        // Out of memory while answering: drop the connection rather than the process.
        done.bytes.clear();
        done.close = true;
      }
      job.loop->post(std::move(done));
    }
  }

  const Router& router_;
  const EventServerOptions options_;
  std::chrono::milliseconds scanInterval_{250};
  int listenFd_ = -1;
  uint16_t port_ = 0;
  uint64_t fileLimit_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  bool running_ = false;
  std::atomic<bool> stopping_{false};
  Clock::time_point stopDeadline_{};
  std::vector<std::unique_ptr<Loop>> loops_;
  size_t nextLoop_ = 0;  // loop 0's thread only
  std::vector<std::thread> workers_;
  std::mutex jobsMutex_;
  std::condition_variable jobsReady_;
  std::deque<Job> jobs_;  // guarded by jobsMutex_
  bool workersStop_ = false;  // guarded by jobsMutex_
  std::atomic<uint64_t> tlsHandshakes_{0};
  std::atomic<uint64_t> tlsResumed_{0};
  std::atomic<uint64_t> tlsFailed_{0};
};

EventServer::EventServer(const Router& router, EventServerOptions options)
    : impl_(std::make_unique<Impl>(router, std::move(options))) {}

EventServer::~EventServer() = default;

base::Status EventServer::start() { return impl_->start(); }
void EventServer::stop() { impl_->stop(); }
uint16_t EventServer::port() const { return impl_->port(); }
size_t EventServer::currentConnections() const { return impl_->currentConnections(); }
uint64_t EventServer::openFileLimit() const { return impl_->openFileLimit(); }
EventServerTlsCounts EventServer::tlsCounts() const { return impl_->tlsCounts(); }

}  // namespace loyalty::core::http

// FakeCore: an in-process stand-in for the loyalty-core, for the pos-agent tests.
//
// A Poco HTTPServer on 127.0.0.1 (port chosen by the OS) whose behaviour the test switches:
// answer with canned protocol messages (kOk; GET /v1/offers answers the list set by setOffers),
// answer with a problem+json error (kError), hang until released (kHang), or answer a raw
// status/body (kRaw). stop() closes the port (connections are refused), restart() listens on the
// same port again. Every request is recorded with the status it got, so tests can check what
// reached the core and in which order; each record also carries the order in which requests
// arrived and were answered (a shared counter, no clock), so a test can tell which requests
// overlapped. setDelay() makes every POST wait before it is handled (to let concurrent
// deliveries overlap); inFlight() and maxInFlight() count POSTs being handled at once.
//
// Thread safety: all methods may be called from the test thread while the server threads run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loyalty/base/error_code.h"
#include "loyalty/protocol/messages.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}  // namespace Net
}  // namespace Poco

namespace loyalty::agent::test {

enum class CoreMode { kOk, kError, kHang, kRaw };

struct ReceivedRequest {
  std::string method;
  std::string uri;
  std::string contentType;
  std::string body;
  int status = 0;  // what the fake answered (0 when the answer could not be sent)
  // Ticks of one counter shared by every request: when it arrived, and when its answer was
  // ready (just before it was sent). Requests a and b overlapped unless
  // a.answeredTick < b.arrivedTick or b.answeredTick < a.arrivedTick.
  uint64_t arrivedTick = 0;
  uint64_t answeredTick = 0;
};

class FakeCore {
 public:
  FakeCore();
  ~FakeCore();
  FakeCore(const FakeCore&) = delete;
  FakeCore& operator=(const FakeCore&) = delete;

  uint16_t port() const { return port_; }

  void setOk();
  void setError(base::ErrorCode code);
  void setHang();  // until releaseHangs(), another mode is set, or the core stops
  void setRaw(int status, std::string contentType, std::string body);
  // Requests with exactly this body are refused with this error, whatever the mode.
  void refuseBody(const std::string& body, base::ErrorCode code);
  // What GET /v1/offers answers in kOk mode (empty list until set).
  void setOffers(protocol::OfferList offers);
  // Every POST waits this long before it is handled (0: no wait, the default).
  void setDelay(std::chrono::milliseconds delay);

  // POST requests being handled now, and the most handled at once since construction (GET
  // /v1/offers of the agent's refresher is not counted).
  int inFlight() const;
  int maxInFlight() const;

  void stop();     // refuses connections from now on
  void restart();  // listens again on the same port

  std::vector<ReceivedRequest> received() const;
  // Bodies of the requests to this path (e.g. "/v1/commit") that were answered 2xx, in order.
  std::vector<std::string> accepted(const std::string& path) const;
  // How many requests carried exactly this body (whatever the answer).
  size_t timesReceived(const std::string& body) const;

  // The canned answers of kOk.
  static protocol::IdentifyResponse identifyAnswer();
  static protocol::PriceResponse priceAnswer();
  static protocol::CommitResponse commitAnswer();
  static protocol::RefundResponse refundAnswer();
  static protocol::CustomerHistory historyAnswer();
  static protocol::VoidResponse voidAnswer();

  // Used by the request handler.
  struct Answer {
    int status = 200;
    std::string contentType = "application/json";
    std::string body;
  };
  // The tick of a request's arrival, and of its answer, just before it is sent (record() then
  // stores the request with both).
  uint64_t arrive(const std::string& method);
  uint64_t answering(const std::string& method);
  Answer handle(const std::string& method, const std::string& uri, const std::string& body);
  void record(ReceivedRequest request);

 private:
  void listen();
  Answer okAnswer(const std::string& method, const std::string& path, const std::string& body);

  uint16_t port_ = 0;
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;

  mutable std::mutex mutex_;
  std::condition_variable modeChanged_;
  CoreMode mode_ = CoreMode::kOk;                         // guarded by mutex_
  base::ErrorCode errorCode_{};                           // guarded by mutex_
  Answer raw_;                                            // guarded by mutex_
  bool stopped_ = false;                                  // guarded by mutex_
  std::map<std::string, base::ErrorCode> refusedBodies_;  // guarded by mutex_
  std::vector<ReceivedRequest> received_;                 // guarded by mutex_
  protocol::OfferList offers_;                            // guarded by mutex_
  std::chrono::milliseconds delay_{0};                    // guarded by mutex_
  uint64_t ticks_ = 0;                                    // guarded by mutex_
  int inFlight_ = 0;                                      // guarded by mutex_
  int maxInFlight_ = 0;                                   // guarded by mutex_
};

}  // namespace loyalty::agent::test

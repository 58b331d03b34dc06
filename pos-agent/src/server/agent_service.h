// AgentService: what the pos-agent does with each POS request, independent of the HTTP server.
//
// Each call takes the request body as the POS sent it and returns the HTTP answer for the POS.
// The service never blocks a sale (design.md section 3, "Offline"):
//   - every body is first validated with the protocol codec; a bad one gets the codec's 4xx
//     problem+json and goes nowhere;
//   - identify/price are forwarded to the core within the time budget; without a usable answer
//     (timeout, refused, 5xx) the agent answers offline by itself; a 4xx is passed on unchanged;
//   - commit/refund are forwarded only while the outbox is empty (a new sale never overtakes
//     queued ones); a 2xx or 4xx answer is passed on; otherwise the request is stored durably in
//     the outbox before the POS gets a "queued" answer;
//   - a background sender delivers the outbox oldest first, retrying with exponential backoff,
//     and moves items the core refuses with a 4xx to the dead letters.
// Ordering: a request that arrives after an earlier one was answered is delivered after it.
// Two requests in flight at the same time (not a single till's normal flow) may reach the core in
// either order.
//
// Thread safety: identify/price/commit/refund/status may be called concurrently from any number
// of threads. start()/stop() are called by the owner, not concurrently with each other.
// Lifetime: the Outbox must outlive the service; stop() (or the destructor) joins the sender.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "loyalty/agent/client.h"
#include "loyalty/base/result.h"
#include "loyalty/protocol/messages.h"
#include "outbox/outbox.h"
#include "server/client_pool.h"

namespace loyalty::agent {

inline constexpr const char* kContentTypeJson = "application/json";
inline constexpr const char* kContentTypeProblem = "application/problem+json";

// Receipt lines of a queued commit or refund.
inline constexpr const char* kQueuedCommitReceipt = "Points will be added to your card";
inline constexpr const char* kQueuedRefundReceipt = "Points will be adjusted on your card";
// Reason given for each presented coupon when pricing offline.
inline constexpr const char* kCouponOfflineUnverified = "offline_unverified";

// An HTTP answer for the POS.
struct Reply {
  int status = 200;
  std::string contentType = kContentTypeJson;
  std::string body;
};

// The problem+json answer for an error (status from protocol::httpStatus).
Reply errorReply(const base::Error& error, const std::string& requestId);

struct AgentServiceOptions {
  std::string coreHost = "127.0.0.1";
  uint16_t corePort = 8440;
  int budgetMs = 300;            // per forwarded POS call, connect/send/receive each
  int deliveryTimeoutMs = 5000;  // per outbox delivery attempt
  int retryInitialMs = 50;       // first backoff after a failed delivery
  int retryMaxMs = 2000;         // backoff doubles up to this
};

class AgentService {
 public:
  // Requires: outbox outlives this service.
  AgentService(AgentServiceOptions options, Outbox& outbox);
  ~AgentService();
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;

  // Starts the background sender (no-op when running).
  void start();
  // Stops and joins the sender (no-op when not running). An attempt in progress is finished
  // first, so this can take up to deliveryTimeoutMs.
  void stop();

  Reply identify(const std::string& body, const std::string& requestId);
  Reply price(const std::string& body, const std::string& requestId);
  Reply commit(const std::string& body, const std::string& requestId);
  Reply refund(const std::string& body, const std::string& requestId);
  Reply status(const std::string& requestId) const;

  protocol::AgentStatus statusSnapshot() const;

 private:
  // The core's answer when it gave a usable one (2xx or 4xx), else nullopt.
  // requestId is passed on to the core, so the core's logs and errors carry the till's id.
  std::optional<Reply> forward(const char* path, const std::string& body,
                               const std::string& requestId);
  Reply enqueue(OutboxKind kind, const protocol::TransactionKey& key, std::string_view body,
                std::string queuedAnswer, const std::string& requestId);
  void noteCoreReachable(bool reachable);
  void wakeSender();
  void senderLoop();
  // One delivery attempt of the oldest item. Returns false when the sender should back off.
  bool deliverOldest(Client& client);

  const AgentServiceOptions options_;
  Outbox& outbox_;
  ClientPool clients_;

  std::atomic<int64_t> delivered_{0};
  std::atomic<bool> coreReachable_{false};

  std::mutex senderMutex_;
  std::condition_variable senderWake_;
  bool wake_ = false;      // guarded by senderMutex_
  bool stopping_ = false;  // guarded by senderMutex_
  std::thread sender_;
};

}  // namespace loyalty::agent

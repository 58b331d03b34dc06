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
//   - a background sender delivers the outbox (docs/operations.md, "Outbox delivery"): up to
//     deliveryConcurrency items at once, each on its own core connection, oldest first as far as
//     the order per card allows (server/delivery_window.h); it retries with exponential backoff
//     (one item at a time until the core accepts one again), moves items the core refuses with a
//     4xx to the dead letters, and removes delivered items from the outbox in batches (one
//     transaction per batch) before it counts them as delivered;
//   - void is forwarded within the budget and answered {"released": 0} offline; never queued.
// Offline coupons (docs/operations.md, "Offline coupons"):
//   - a background refresher fetches GET /v1/offers at start and every offersRefreshSeconds into
//     the OffersCache (kept in the agent's database for a restart without the core);
//   - an offline price checks each presented code by itself (server/offline_coupons.h), applies
//     the accepted ones, and durably marks the transaction key as priced offline (only when it
//     presented coupon codes: without any, nothing was granted and nothing is written);
//   - a commit's offline_coupons is decided by the agent, whatever the POS sent: true exactly
//     when its key is marked priced offline (the mark is kept for replays of the commit). A
//     queued commit stores its authentic coupon serials in the redemption log in the same
//     transaction as the outbox item and answers the discounts computed offline; a commit the
//     core accepts records its serials too.
// Ordering: of two commits of the same card, the one answered first reaches the core first (a
// queued one is sent only after the core accepted, or refused for good, every earlier one of
// that card); a refund
// reaches the core after every request answered before it and before any answered after it.
// Commits of different cards may reach the core in any order. Two requests in flight at the same
// time (not a single till's normal flow) may reach the core in either order. A delivered item
// whose removal did not happen before a crash is sent again and answered by the core as a replay
// (same transaction key), never counted twice.
//
// Thread safety: identify/price/commit/refund/voidTransaction/status/refreshOffers may be called
// concurrently from any number of threads. start()/stop() are called by the owner, not
// concurrently with each other.
// Lifetime: the Outbox must outlive the service; stop() (or the destructor) joins the sender, its
// delivery workers and the refresher.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "loyalty/agent/client.h"
#include "loyalty/base/result.h"
#include "loyalty/protocol/messages.h"
#include "outbox/outbox.h"
#include "server/client_pool.h"
#include "server/delivery_window.h"
#include "server/offers_cache.h"
#include "server/offline_coupons.h"

namespace loyalty::protocol {
class CouponVerifier;
}  // namespace loyalty::protocol

namespace loyalty::agent {

inline constexpr const char* kContentTypeJson = "application/json";
inline constexpr const char* kContentTypeProblem = "application/problem+json";

// Receipt lines of a queued commit or refund.
inline constexpr const char* kQueuedCommitReceipt = "Points will be added to your card";
inline constexpr const char* kQueuedRefundReceipt = "Points will be adjusted on your card";

// An HTTP answer for the POS.
struct Reply {
  int status = 200;
  std::string contentType = kContentTypeJson;
  std::string body;
};

// The problem+json answer for an error (status from protocol::httpStatus).
Reply errorReply(const base::Error& error, const std::string& requestId);

// The largest outbox.deliveryConcurrency (a thread and a core connection each).
inline constexpr int kMaxDeliveryConcurrency = 64;

struct AgentServiceOptions {
  std::string coreHost = "127.0.0.1";
  uint16_t corePort = 8440;
  int budgetMs = 300;             // per forwarded POS call, connect/send/receive each
  // After a forwarded call times out (a core that accepts but does not answer), POS calls are
  // answered offline at once for this long instead of each waiting out the budget; a delivery
  // or offers refresh that reaches the core ends it early. 0: every call tries the core.
  int offlineHoldMs = 5000;
  int deliveryTimeoutMs = 5000;   // per outbox delivery attempt
  int retryInitialMs = 50;        // first backoff after a failed delivery
  int retryMaxMs = 2000;          // backoff doubles up to this
  int deliveryConcurrency = 16;   // outbox items sent at once, a connection each
  int offersRefreshSeconds = 60;  // GET /v1/offers at start and then this often
  std::shared_ptr<ClientTls> coreTls;  // HTTPS to the core when set (shared TLS sessions)
};

class AgentService {
 public:
  // Requires: outbox outlives this service. verifier: the coupon public keys; nullptr when none
  // are configured (every code is then refused offline with coupon_unknown_key). The offers
  // stored by an earlier run are loaded here, so an offline price can use them at once.
  AgentService(AgentServiceOptions options, Outbox& outbox,
               std::shared_ptr<const protocol::CouponVerifier> verifier = nullptr);
  ~AgentService();
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;

  // Starts the background sender and the offers refresher (no-op when running). Never waits for
  // the core.
  void start();
  // Stops and joins the sender, its workers and the refresher (no-op when not running). Attempts
  // in progress are finished first (so this can take up to deliveryTimeoutMs), and the items
  // they delivered are removed from the outbox.
  void stop();

  Reply identify(const std::string& body, const std::string& requestId);
  Reply price(const std::string& body, const std::string& requestId);
  Reply commit(const std::string& body, const std::string& requestId);
  Reply refund(const std::string& body, const std::string& requestId);
  Reply voidTransaction(const std::string& body, const std::string& requestId);
  Reply status(const std::string& requestId) const;

  protocol::AgentStatus statusSnapshot() const;

  // Fetches GET /v1/offers once (deliveryTimeoutMs) into the offers cache; what the refresher
  // does on its schedule. Errors: the transport's (kTimeout, kUnavailable), kUnavailable for a
  // non-2xx answer, the codec's for a body that is not an OfferList (the cache keeps its list),
  // kStorageFailure when the list cannot be stored.
  base::Status refreshOffers();
  // The campaigns in the offers cache.
  size_t offerCount() const { return offers_.size(); }

 private:
  // The core's answer when it gave a usable one (2xx or 4xx), else nullopt.
  // requestId is passed on to the core, so the core's logs and errors carry the till's id.
  std::optional<Reply> forward(const char* path, const std::string& body,
                               const std::string& requestId);
  // lane: the item's delivery lane (the card of a commit; empty for a refund).
  Reply enqueue(OutboxKind kind, const protocol::TransactionKey& key, std::string_view body,
                std::string queuedAnswer, const std::string& requestId, std::string_view lane,
                const std::vector<CouponRedemption>& redemptions = {});
  OfflineCouponResult evaluateCoupons(const protocol::TransactionKey& key, const std::string& card,
                                      const std::vector<protocol::BasketLine>& lines,
                                      const std::vector<std::string>& codes);
  protocol::PriceResponse offlinePrice(const protocol::PriceRequest& request);
  // Whether the commit of key tells the core that the till granted coupons offline.
  bool pricedOffline(const std::string& key);
  void recordCommitted(const std::string& key, const protocol::CommitRequest& request);
  void noteCoreReachable(bool reachable);
  void wakeSender();
  void wakeRefresher();
  void senderLoop();
  void workerLoop();
  void refresherLoop();
  enum class Delivery { kDelivered, kDeadLettered, kFailed };
  // One delivery attempt of an item; a refused one is moved to the dead letters here.
  Delivery deliver(Client& client, const OutboxItem& item);
  // With senderMutex_ held through `lock`: removes the delivered items in one transaction
  // (releasing the mutex meanwhile) and counts them as delivered.
  void removeDelivered(std::unique_lock<std::mutex>& lock);
  // With senderMutex_ held: the summary line (once per second while delivering, or now when
  // force) and the line when the outbox became empty.
  void logProgress(bool force);

  const AgentServiceOptions options_;
  Outbox& outbox_;
  const std::shared_ptr<const protocol::CouponVerifier> verifier_;
  ClientPool clients_;
  OffersCache offers_;
  std::atomic<bool> offersStale_{true};  // the last refresh failed (or none has run yet)

  std::atomic<int64_t> delivered_{0};
  std::atomic<bool> coreReachable_{false};
  // steady_clock milliseconds until which POS calls skip the core (offlineHoldMs); 0 = none.
  std::atomic<int64_t> offlineUntilMs_{0};

  // The sender: one thread reads the outbox into the window and removes delivered items; the
  // delivery workers take items from the window and send them.
  std::mutex senderMutex_;
  std::condition_variable senderWake_;  // the sender thread waits on it
  std::condition_variable workerWake_;  // the delivery workers wait on it
  bool stopping_ = false;               // guarded by senderMutex_
  DeliveryWindow window_;               // guarded by senderMutex_
  // Bumped by wakeSender(): something was queued, or the core answered (guarded by senderMutex_).
  uint64_t wakeups_ = 0;
  // wakeups_ when the outbox was last read to its end (guarded by senderMutex_).
  uint64_t readToEndAt_ = 0;
  std::chrono::steady_clock::time_point readAgainAt_;  // after a failed read; guarded
  std::vector<int64_t> deliveredIds_;  // accepted by the core, not yet removed; guarded
  std::chrono::steady_clock::time_point removeAgainAt_;  // after a failed removal; guarded
  // After a failed attempt: one item at a time until the core accepts one (guarded).
  bool probing_ = false;
  int backoffMs_ = 0;                              // guarded by senderMutex_
  std::chrono::steady_clock::time_point retryAt_;  // no attempt before it; guarded
  int activeWorkers_ = 0;                          // guarded by senderMutex_
  // The summary lines (guarded by senderMutex_): delivered and dead-lettered since the last
  // line, when it was written, and the start of the current drain (nullopt: not draining).
  int64_t deliveredSinceLog_ = 0;
  int64_t deadSinceLog_ = 0;
  std::chrono::steady_clock::time_point lastLog_;
  std::optional<std::chrono::steady_clock::time_point> drainStart_;
  int64_t drainDelivered_ = 0;
  std::thread sender_;
  std::vector<std::thread> workers_;

  std::condition_variable refresherWake_;  // with senderMutex_
  bool refreshNow_ = false;                // guarded by senderMutex_
  std::thread refresher_;
};

}  // namespace loyalty::agent

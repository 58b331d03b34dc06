#include "server/agent_service.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/coupon_code.h"
#include "loyalty/protocol/errors.h"

namespace loyalty::agent {

namespace {

using base::ErrorCode;
using base::Money;
using SteadyClock = std::chrono::steady_clock;

// The delivery window (server/delivery_window.h): at most kWindowCapacity items read ahead of
// the workers; the sender reads more when fewer than kLowWater wait, at most kReadBatch at a
// time (a read holds the outbox's lock, which the tills' enqueues wait for).
constexpr size_t kWindowCapacity = 1024;
constexpr size_t kLowWater = 128;
constexpr size_t kReadBatch = 256;
// The period of the delivery summary line.
constexpr auto kLogPeriod = std::chrono::seconds(1);

Poco::Logger& logger() { return Poco::Logger::get("loyalty.agent"); }
Poco::Logger& outboxLogger() { return Poco::Logger::get("loyalty.agent.outbox"); }
Poco::Logger& couponLogger() { return Poco::Logger::get("loyalty.agent.coupons"); }

bool isSuccess(int status) { return status >= 200 && status <= 299; }

// A 4xx the core gives for the request itself: final, never worth retrying. 408 and 429 say
// "not now" and are retried like a 5xx.
bool isFinalRefusal(int status) {
  return status >= 400 && status <= 499 && status != 408 && status != 429;
}

Reply okReply(std::string body) { return Reply{200, kContentTypeJson, std::move(body)}; }

// Field by field: ClientOptions may grow fields (e.g. a token) that the core client leaves empty.
ClientOptions coreClient(const AgentServiceOptions& options, int timeoutMs) {
  ClientOptions client;
  client.host = options.coreHost;
  client.port = options.corePort;
  client.timeoutMs = timeoutMs;
  client.tls = options.coreTls;
  return client;
}

// The key that names a till transaction in the outbox and in logs (never a card number).
std::string keyString(const protocol::TransactionKey& key) {
  return key.store + "/" + key.terminal + "/" + key.businessDate + "/" + key.txn;
}

// Sum of quantity x unit price. The codec bounds both, so this cannot overflow.
Money basketTotal(const std::vector<protocol::BasketLine>& lines) {
  Money total;
  for (const protocol::BasketLine& line : lines) {
    total += Money(line.quantity * line.unitPrice.value());
  }
  return total;
}

protocol::IdentifyResponse offlineIdentify() {
  protocol::IdentifyResponse response;
  response.customerId = 0;
  response.newCustomer = false;
  response.tier = "unknown";
  response.pointsBalance = std::nullopt;
  response.coupons = 0;
  response.offline = true;
  return response;
}

// The coupons of a commit the core accepted, for the redemption log. The core verified them, so
// their claims are read without a signature check; a code that does not decode is skipped.
std::vector<CouponRedemption> committedRedemptions(const std::vector<std::string>& codes) {
  std::vector<CouponRedemption> redemptions;
  for (const std::string& code : codes) {
    base::Result<protocol::CouponClaims> claims = protocol::decodeCouponClaims(code);
    if (claims.ok()) {
      redemptions.push_back(CouponRedemption{claims->serial, claims->expires});
    }
  }
  return redemptions;
}

}  // namespace

Reply errorReply(const base::Error& error, const std::string& requestId) {
  return Reply{protocol::httpStatus(error.code), kContentTypeProblem,
               protocol::encode(protocol::errorBody(error, requestId))};
}

AgentService::AgentService(AgentServiceOptions options, Outbox& outbox,
                           std::shared_ptr<const protocol::CouponVerifier> verifier)
    : options_(std::move(options)),
      outbox_(outbox),
      verifier_(std::move(verifier)),
      clients_(coreClient(options_, options_.budgetMs)),
      offers_(outbox),
      window_(kWindowCapacity) {
  base::Status loaded = offers_.load();
  if (!loaded.ok()) {
    poco_warning(couponLogger(), "cannot load the stored offers: " + loaded.error().message);
  } else if (offers_.size() > 0) {
    poco_information(couponLogger(),
                     "offers from the last run: " + std::to_string(offers_.size()) + " campaigns");
  }
}

AgentService::~AgentService() { stop(); }

void AgentService::start() {
  if (sender_.joinable()) {
    return;
  }
  const int workers = std::max(1, options_.deliveryConcurrency);
  {
    std::lock_guard<std::mutex> lock(senderMutex_);
    stopping_ = false;
    refreshNow_ = false;
    // Everything still in the outbox is read again from its start.
    window_.clear();
    deliveredIds_.clear();
    ++wakeups_;
    readAgainAt_ = SteadyClock::time_point();
    removeAgainAt_ = SteadyClock::time_point();
    probing_ = false;
    backoffMs_ = 0;
    retryAt_ = SteadyClock::time_point();
    activeWorkers_ = workers;
    deliveredSinceLog_ = 0;
    deadSinceLog_ = 0;
    drainStart_.reset();
  }
  sender_ = std::thread([this] { senderLoop(); });
  for (int i = 0; i < workers; ++i) {
    workers_.emplace_back([this] { workerLoop(); });
  }
  refresher_ = std::thread([this] { refresherLoop(); });
}

void AgentService::stop() {
  if (!sender_.joinable()) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(senderMutex_);
    stopping_ = true;
  }
  workerWake_.notify_all();
  senderWake_.notify_all();
  refresherWake_.notify_all();
  for (std::thread& worker : workers_) {
    worker.join();
  }
  workers_.clear();
  // The sender removes what the workers delivered, then ends.
  sender_.join();
  refresher_.join();
}

Reply AgentService::identify(const std::string& body, const std::string& requestId) {
  base::Result<protocol::IdentifyRequest> request = protocol::decodeIdentifyRequest(body);
  if (!request.ok()) {
    return errorReply(request.error(), requestId);
  }
  if (std::optional<Reply> answer = forward("/v1/identify", body, requestId)) {
    return std::move(*answer);
  }
  return okReply(protocol::encode(offlineIdentify()));
}

Reply AgentService::price(const std::string& body, const std::string& requestId) {
  base::Result<protocol::PriceRequest> request = protocol::decodePriceRequest(body);
  if (!request.ok()) {
    return errorReply(request.error(), requestId);
  }
  if (std::optional<Reply> answer = forward("/v1/price", body, requestId)) {
    return std::move(*answer);
  }
  protocol::PriceResponse response = offlinePrice(*request);
  // Durable before the till sees the answer: the commit must say the coupons were granted here.
  // Without coupon codes nothing was granted: no mark, and so no disk write before this answer.
  if (!request->coupons.empty()) {
    std::string key = keyString(request->key);
    base::Status marked = outbox_.markPricedOffline(key);
    if (!marked.ok()) {
      poco_error(couponLogger(),
                 "cannot mark " + key + " priced offline: " + marked.error().message);
    }
  }
  return okReply(protocol::encode(response));
}

Reply AgentService::commit(const std::string& body, const std::string& requestId) {
  base::Result<protocol::CommitRequest> request = protocol::decodeCommitRequest(body);
  if (!request.ok()) {
    return errorReply(request.error(), requestId);
  }
  std::string key = keyString(request->key);
  // The agent, not the POS, says whether the till granted coupons offline. The body goes on
  // byte for byte unless that changes it.
  std::string sent = body;
  bool offline = pricedOffline(key);
  if (request->offlineCoupons != offline) {
    request->offlineCoupons = offline;
    sent = protocol::encode(*request);
  }
  if (outbox_.pending() == 0) {
    if (std::optional<Reply> answer = forward("/v1/commit", sent, requestId)) {
      if (isSuccess(answer->status)) {
        recordCommitted(key, *request);
      }
      return std::move(*answer);
    }
  }
  OfflineCouponResult coupons =
      evaluateCoupons(request->key, request->card, request->lines, request->coupons);
  protocol::CommitResponse queued;
  queued.status = protocol::kStatusQueued;
  queued.total = basketTotal(request->lines) - coupons.discountTotal;
  queued.receipt = {kQueuedCommitReceipt};
  queued.discounts = std::move(coupons.discounts);
  // The card is the delivery lane: this card's sales reach the core in the order they came.
  return enqueue(OutboxKind::kCommit, request->key, sent, protocol::encode(queued), requestId,
                 request->card, coupons.authentic);
}

Reply AgentService::refund(const std::string& body, const std::string& requestId) {
  base::Result<protocol::RefundRequest> request = protocol::decodeRefundRequest(body);
  if (!request.ok()) {
    return errorReply(request.error(), requestId);
  }
  if (outbox_.pending() == 0) {
    if (std::optional<Reply> answer = forward("/v1/refund", body, requestId)) {
      return std::move(*answer);
    }
  }
  // The refunded amount depends on the original sale's prices, which only the core knows.
  protocol::RefundResponse queued;
  queued.status = protocol::kStatusQueued;
  queued.amountRefunded = Money(0);
  queued.receipt = {kQueuedRefundReceipt};
  // No lane: the refund's card is not in the request, so it is delivered alone, after every
  // request queued before it (its sale among them) and before any queued after it.
  return enqueue(OutboxKind::kRefund, request->key, body, protocol::encode(queued), requestId,
                 std::string_view());
}

Reply AgentService::voidTransaction(const std::string& body, const std::string& requestId) {
  base::Result<protocol::VoidRequest> request = protocol::decodeVoidRequest(body);
  if (!request.ok()) {
    return errorReply(request.error(), requestId);
  }
  // The transaction is abandoned: its commit will never come.
  std::string key = keyString(request->key);
  base::Status cleared = outbox_.clearPricedOffline(key);
  if (!cleared.ok()) {
    poco_warning(couponLogger(),
                 "cannot clear the mark of " + key + ": " + cleared.error().message);
  }
  if (std::optional<Reply> answer = forward("/v1/void", body, requestId)) {
    return std::move(*answer);
  }
  // Offline nothing was reserved (the core reserves coupons, and it did not price this one), so
  // nothing is released; a reservation the core made earlier times out on its own.
  protocol::VoidResponse released;
  released.released = 0;
  return okReply(protocol::encode(released));
}

Reply AgentService::status(const std::string& /*requestId*/) const {
  return okReply(protocol::encode(statusSnapshot()));
}

protocol::AgentStatus AgentService::statusSnapshot() const {
  protocol::AgentStatus status;
  status.outboxPending = outbox_.pending();
  status.delivered = delivered_.load();
  status.deadLetters = outbox_.deadLetterCount();
  status.coreReachable = coreReachable_.load();
  return status;
}

std::optional<Reply> AgentService::forward(const char* path, const std::string& body,
                                           const std::string& requestId) {
  const auto steadyMs = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  if (const int64_t until = offlineUntilMs_.load(); until != 0 && steadyMs() < until) {
    return std::nullopt;  // the core timed out a moment ago: do not make this till wait too
  }
  base::Result<Client::RawResponse> answer = [&] {
    ClientPool::Lease client = clients_.acquire();
    return client->send("POST", path, body, kContentTypeJson, requestId);
  }();
  if (!answer.ok()) {
    poco_debug(logger(),
               std::string("core did not answer ") + path + ": " + answer.error().message);
    if (answer.error().code == base::ErrorCode::kTimeout && options_.offlineHoldMs > 0) {
      // A refused connection fails at once and needs no hold; a timeout cost this till the
      // whole budget, and would cost every following till the same.
      offlineUntilMs_.store(steadyMs() + options_.offlineHoldMs);
    }
    noteCoreReachable(false);
    return std::nullopt;
  }
  int status = answer->status;
  if (!isSuccess(status) && !isFinalRefusal(status)) {
    poco_debug(logger(),
               std::string("core answered ") + path + " with HTTP " + std::to_string(status));
    noteCoreReachable(status < 500);
    return std::nullopt;
  }
  noteCoreReachable(true);
  if (outbox_.pending() > 0) {
    wakeSender();  // the core is back: no need to wait for the backoff to end
  }
  std::string contentType = answer->contentType.empty() ? kContentTypeJson : answer->contentType;
  return Reply{status, std::move(contentType), std::move(answer->body)};
}

OfflineCouponResult AgentService::evaluateCoupons(const protocol::TransactionKey& key,
                                                  const std::string& card,
                                                  const std::vector<protocol::BasketLine>& lines,
                                                  const std::vector<std::string>& codes) {
  std::shared_ptr<const OfferMap> offers = offers_.current();
  OfflineCouponContext context;
  context.verifier = verifier_.get();
  context.offers = offers.get();
  // Redeemed means by another transaction: a commit retried under its own key keeps its coupons.
  context.isRedeemed = [this, name = keyString(key)](uint64_t serial) -> base::Result<bool> {
    base::Result<std::optional<std::string>> by = outbox_.redeemedBy(serial);
    if (!by.ok()) {
      return by.error();
    }
    return by->has_value() && **by != name;
  };
  return evaluateOfflineCoupons(key, card, lines, codes, context);
}

protocol::PriceResponse AgentService::offlinePrice(const protocol::PriceRequest& request) {
  OfflineCouponResult coupons =
      evaluateCoupons(request.key, request.card, request.lines, request.coupons);
  protocol::PriceResponse response;
  response.subtotal = basketTotal(request.lines);
  response.discounts = std::move(coupons.discounts);
  response.total = response.subtotal - coupons.discountTotal;
  response.coupons = std::move(coupons.decisions);
  // A points tender needs the balance, which only the core knows: pointsRedeemed stays absent.
  response.offline = true;
  return response;
}

bool AgentService::pricedOffline(const std::string& key) {
  base::Result<bool> marked = outbox_.isPricedOffline(key);
  if (!marked.ok()) {
    // Never what the POS says: without the mark the core checks the coupons itself.
    poco_error(couponLogger(), "cannot read the mark of " + key + ": " + marked.error().message);
    return false;
  }
  return *marked;
}

void AgentService::recordCommitted(const std::string& key, const protocol::CommitRequest& request) {
  base::Status recorded = outbox_.recordRedemptions(key, committedRedemptions(request.coupons));
  if (!recorded.ok()) {
    // The sale is committed; only this till's offline check of these coupons is weaker.
    poco_error(couponLogger(),
               "cannot record the coupons of " + key + ": " + recorded.error().message);
  }
}

Reply AgentService::enqueue(OutboxKind kind, const protocol::TransactionKey& key,
                            std::string_view body, std::string queuedAnswer,
                            const std::string& requestId, std::string_view lane,
                            const std::vector<CouponRedemption>& redemptions) {
  std::string name = keyString(key);
  base::Result<int64_t> id = outbox_.enqueue(kind, name, body, redemptions, lane);
  if (!id.ok()) {
    poco_error(outboxLogger(), std::string("cannot queue ") + std::string(outboxKindName(kind)) +
                                   " " + name + ": " + id.error().message);
    return errorReply(base::makeError(ErrorCode::kStorageFailure,
                                      "the core is unreachable and the outbox cannot store the "
                                      "request"),
                      requestId);
  }
  poco_information(outboxLogger(), std::string("queued ") + std::string(outboxKindName(kind)) +
                                       " " + name + " as item " + std::to_string(*id));
  wakeSender();
  return okReply(std::move(queuedAnswer));
}

void AgentService::noteCoreReachable(bool reachable) {
  if (reachable) {
    offlineUntilMs_.store(0);
  }
  bool was = coreReachable_.exchange(reachable);
  if (was != reachable) {
    if (reachable) {
      poco_information(logger(), "core reachable");
      if (offersStale_.load()) {
        wakeRefresher();  // the core is back: fetch the offers now rather than at the next tick
      }
    } else {
      poco_warning(logger(), "core unreachable");
    }
  }
}

base::Status AgentService::refreshOffers() {
  Client client(coreClient(options_, options_.deliveryTimeoutMs));
  base::Result<Client::RawResponse> answer = client.send("GET", "/v1/offers", "");
  base::Status refreshed = base::okStatus();
  if (!answer.ok()) {
    refreshed = answer.error();
  } else if (!isSuccess(answer->status)) {
    refreshed =
        base::makeError(ErrorCode::kUnavailable, "the core answered GET /v1/offers with HTTP " +
                                                     std::to_string(answer->status));
  } else {
    size_t before = offers_.size();
    refreshed = offers_.update(answer->body);
    if (refreshed.ok() && before != offers_.size()) {
      poco_information(couponLogger(), "offers: " + std::to_string(offers_.size()) + " campaigns");
    }
  }
  bool wasStale = offersStale_.exchange(!refreshed.ok());
  if (!refreshed.ok() && !wasStale) {
    poco_warning(couponLogger(), "cannot refresh the offers (keeping " +
                                     std::to_string(offers_.size()) +
                                     " campaigns): " + refreshed.error().message);
  } else if (!refreshed.ok()) {
    poco_debug(couponLogger(), "cannot refresh the offers: " + refreshed.error().message);
  }
  return refreshed;
}

void AgentService::wakeRefresher() {
  {
    std::lock_guard<std::mutex> lock(senderMutex_);
    refreshNow_ = true;
  }
  refresherWake_.notify_all();
}

void AgentService::refresherLoop() {
  const auto period = std::chrono::seconds(options_.offersRefreshSeconds);
  std::unique_lock<std::mutex> lock(senderMutex_);
  while (!stopping_) {
    refreshNow_ = false;
    lock.unlock();
    (void)refreshOffers();  // logs its failures; the next tick tries again
    lock.lock();
    refresherWake_.wait_for(lock, period, [this] { return stopping_ || refreshNow_; });
  }
}

void AgentService::wakeSender() {
  {
    std::lock_guard<std::mutex> lock(senderMutex_);
    ++wakeups_;                            // the sender reads the outbox again
    retryAt_ = SteadyClock::time_point();  // and ends a backoff at once
  }
  senderWake_.notify_one();
  workerWake_.notify_one();
}

void AgentService::senderLoop() {
  std::unique_lock<std::mutex> lock(senderMutex_);
  for (;;) {
    const SteadyClock::time_point now = SteadyClock::now();
    if (stopping_ && activeWorkers_ == 0) {
      // Last chance for what the workers delivered; what cannot be removed now is sent again
      // after a restart and answered as a replay.
      if (!deliveredIds_.empty()) {
        removeDelivered(lock);
      }
      logProgress(true);
      return;
    }
    logProgress(false);
    if (!stopping_ && window_.room() > 0 && window_.waiting() < kLowWater &&
        wakeups_ != readToEndAt_ && now >= readAgainAt_) {
      const uint64_t wakeupsBefore = wakeups_;
      const int64_t after = window_.lastId();
      const size_t limit = std::min(window_.room(), kReadBatch);
      lock.unlock();
      base::Result<std::vector<OutboxItem>> items = outbox_.itemsAfter(after, limit);
      lock.lock();
      if (!items.ok()) {
        poco_error(outboxLogger(), "cannot read the outbox: " + items.error().message);
        readAgainAt_ = SteadyClock::now() + std::chrono::milliseconds(options_.retryMaxMs);
        continue;
      }
      size_t added = 0;
      // Only this thread adds, and room() only grows meanwhile; it drops to 0 after a barrier,
      // and the items behind one are read again once it is delivered.
      for (OutboxItem& item : *items) {
        if (window_.room() == 0) {
          break;
        }
        window_.add(std::move(item));
        ++added;
      }
      if (added == items->size() && items->size() < limit) {
        readToEndAt_ = wakeupsBefore;  // until the next wakeSender()
      }
      if (added > 0) {
        if (!drainStart_) {
          drainStart_ = SteadyClock::now();
          drainDelivered_ = 0;
        }
        workerWake_.notify_one();  // each worker that takes an item wakes the next one
      }
      continue;
    }
    // Then the removal of what was delivered meanwhile (one transaction: an fsync). Reading
    // comes first: it is quick, and the workers must not run out of items during the fsync.
    if (!deliveredIds_.empty() && now >= removeAgainAt_) {
      removeDelivered(lock);
      continue;
    }
    // Sleep until something changes (a worker, wakeSender(), stop()) or a timer is due.
    SteadyClock::time_point until = now + std::chrono::hours(1);
    if (!deliveredIds_.empty()) {
      until = std::min(until, removeAgainAt_);
    }
    if (now < readAgainAt_) {
      until = std::min(until, readAgainAt_);
    }
    if (deliveredSinceLog_ + deadSinceLog_ > 0) {
      until = std::min(until, lastLog_ + kLogPeriod);
    }
    senderWake_.wait_until(lock, until);
  }
}

void AgentService::removeDelivered(std::unique_lock<std::mutex>& lock) {
  std::vector<int64_t> ids;
  ids.swap(deliveredIds_);
  lock.unlock();
  base::Status removed = outbox_.remove(ids);
  lock.lock();
  if (!removed.ok()) {
    // Delivered but still stored: tried again later; after a crash they are sent again and the
    // core answers with its first answer (same idempotency key), so nothing is counted twice.
    poco_error(outboxLogger(), "cannot remove " + std::to_string(ids.size()) +
                                   " delivered items (will try again): " + removed.error().message);
    deliveredIds_.insert(deliveredIds_.begin(), ids.begin(), ids.end());
    removeAgainAt_ = SteadyClock::now() + std::chrono::milliseconds(options_.retryMaxMs);
    return;
  }
  const auto count = static_cast<int64_t>(ids.size());
  delivered_.fetch_add(count);
  if (deliveredSinceLog_ + deadSinceLog_ == 0) {
    lastLog_ = SteadyClock::now();
  }
  deliveredSinceLog_ += count;
  drainDelivered_ += count;
}

void AgentService::logProgress(bool force) {
  const SteadyClock::time_point now = SteadyClock::now();
  const bool drained =
      drainStart_ && outbox_.pending() == 0 && window_.idle() && deliveredIds_.empty();
  if (deliveredSinceLog_ + deadSinceLog_ > 0 &&
      (force || drained || now - lastLog_ >= kLogPeriod)) {
    const double seconds = std::chrono::duration<double>(now - lastLog_).count();
    char line[160];
    std::snprintf(line, sizeof line,
                  "delivered %lld items (%lld refused, now dead letters) in %.1f s; %lld pending",
                  static_cast<long long>(deliveredSinceLog_), static_cast<long long>(deadSinceLog_),
                  seconds, static_cast<long long>(outbox_.pending()));
    poco_information(outboxLogger(), line);
    deliveredSinceLog_ = 0;
    deadSinceLog_ = 0;
    lastLog_ = now;
  }
  if (drained) {
    const double seconds = std::chrono::duration<double>(now - *drainStart_).count();
    char line[160];
    std::snprintf(line, sizeof line, "outbox empty: %lld items delivered in %.3f s (%.0f per s)",
                  static_cast<long long>(drainDelivered_), seconds,
                  seconds > 0 ? static_cast<double>(drainDelivered_) / seconds : 0.0);
    poco_information(outboxLogger(), line);
    drainStart_.reset();
  }
}

void AgentService::workerLoop() {
  Client client(coreClient(options_, options_.deliveryTimeoutMs));
  std::unique_lock<std::mutex> lock(senderMutex_);
  while (!stopping_) {
    if (SteadyClock::now() < retryAt_) {
      const SteadyClock::time_point until = retryAt_;
      workerWake_.wait_until(lock, until);
      continue;
    }
    const size_t limit = probing_ ? 1 : static_cast<size_t>(options_.deliveryConcurrency);
    std::optional<OutboxItem> item;
    if (window_.inFlight() < limit) {
      item = window_.take();
    }
    if (!item) {
      workerWake_.wait(lock);
      continue;
    }
    if (window_.inFlight() < limit && window_.waiting() > 0) {
      workerWake_.notify_one();  // there may be more to take
    }
    if (window_.waiting() < kLowWater) {
      senderWake_.notify_one();  // read ahead
    }
    lock.unlock();
    const Delivery outcome = deliver(client, *item);
    lock.lock();
    switch (outcome) {
      case Delivery::kDelivered:
        window_.finish(item->id);
        deliveredIds_.push_back(item->id);
        break;
      case Delivery::kDeadLettered:
        window_.finish(item->id);
        if (deliveredSinceLog_ + deadSinceLog_ == 0) {
          lastLog_ = SteadyClock::now();
        }
        ++deadSinceLog_;
        break;
      case Delivery::kFailed:
        window_.retry(item->id);
        break;
    }
    if (outcome == Delivery::kFailed) {
      probing_ = true;
      const SteadyClock::time_point now = SteadyClock::now();
      if (now >= retryAt_) {  // the first failure of this round: back off (longer)
        backoffMs_ = backoffMs_ == 0 ? options_.retryInitialMs
                                     : std::min(backoffMs_ * 2, options_.retryMaxMs);
        retryAt_ = now + std::chrono::milliseconds(backoffMs_);
      }
    } else {
      probing_ = false;
      backoffMs_ = 0;
    }
    senderWake_.notify_one();
  }
  --activeWorkers_;
  senderWake_.notify_one();
}

AgentService::Delivery AgentService::deliver(Client& client, const OutboxItem& item) {
  std::string what = std::string(outboxKindName(item.kind)) + " " + item.key + " (item " +
                     std::to_string(item.id) + ")";
  const char* path = item.kind == OutboxKind::kCommit ? "/v1/commit" : "/v1/refund";
  base::Result<Client::RawResponse> answer = client.send("POST", path, item.body, kContentTypeJson);
  if (answer.ok() && isSuccess(answer->status)) {
    noteCoreReachable(true);
    poco_debug(outboxLogger(), "delivered " + what);
    return Delivery::kDelivered;
  }
  if (answer.ok() && isFinalRefusal(answer->status)) {
    noteCoreReachable(true);
    std::string error = "HTTP " + std::to_string(answer->status) + ": " + answer->body;
    base::Status dead = outbox_.deadLetter(item.id, error);
    if (!dead.ok()) {
      poco_error(outboxLogger(),
                 "cannot move " + what + " to the dead letters: " + dead.error().message);
      return Delivery::kFailed;
    }
    poco_warning(outboxLogger(), "core refused " + what + " with HTTP " +
                                     std::to_string(answer->status) + "; moved to dead letters");
    return Delivery::kDeadLettered;
  }
  if (answer.ok()) {
    noteCoreReachable(answer->status < 500);
    poco_debug(outboxLogger(), "core answered " + what + " with HTTP " +
                                   std::to_string(answer->status) + "; will retry");
  } else {
    noteCoreReachable(false);
    poco_debug(outboxLogger(), "cannot deliver " + what + ": " + answer.error().message);
  }
  base::Status counted = outbox_.recordAttempt(item.id);
  if (!counted.ok()) {
    poco_error(outboxLogger(), "cannot count an attempt: " + counted.error().message);
  }
  return Delivery::kFailed;
}

}  // namespace loyalty::agent

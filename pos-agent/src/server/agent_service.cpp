#include "server/agent_service.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/coupon_code.h"
#include "loyalty/protocol/errors.h"

namespace loyalty::agent {

namespace {

using base::ErrorCode;
using base::Money;

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
      offers_(outbox) {
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
  {
    std::lock_guard<std::mutex> lock(senderMutex_);
    stopping_ = false;
    wake_ = true;
    refreshNow_ = false;
  }
  sender_ = std::thread([this] { senderLoop(); });
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
  senderWake_.notify_all();
  refresherWake_.notify_all();
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
  std::string key = keyString(request->key);
  base::Status marked = outbox_.markPricedOffline(key);
  if (!marked.ok()) {
    poco_error(couponLogger(), "cannot mark " + key + " priced offline: " + marked.error().message);
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
  return enqueue(OutboxKind::kCommit, request->key, sent, protocol::encode(queued), requestId,
                 coupons.authentic);
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
  return enqueue(OutboxKind::kRefund, request->key, body, protocol::encode(queued), requestId);
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
  base::Result<Client::RawResponse> answer = [&] {
    ClientPool::Lease client = clients_.acquire();
    return client->send("POST", path, body, kContentTypeJson, requestId);
  }();
  if (!answer.ok()) {
    poco_debug(logger(),
               std::string("core did not answer ") + path + ": " + answer.error().message);
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
                            const std::string& requestId,
                            const std::vector<CouponRedemption>& redemptions) {
  std::string name = keyString(key);
  base::Result<int64_t> id = outbox_.enqueue(kind, name, body, redemptions);
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
    wake_ = true;
  }
  senderWake_.notify_all();
}

void AgentService::senderLoop() {
  Client client(coreClient(options_, options_.deliveryTimeoutMs));
  int backoffMs = 0;
  std::unique_lock<std::mutex> lock(senderMutex_);
  while (!stopping_) {
    if (outbox_.pending() == 0) {
      // Enqueue sets wake_ under the mutex after storing, so no wake-up is lost.
      senderWake_.wait(lock, [this] { return stopping_ || wake_; });
      wake_ = false;
      continue;
    }
    wake_ = false;
    lock.unlock();
    bool progressed = deliverOldest(client);
    lock.lock();
    if (progressed) {
      backoffMs = 0;
      continue;
    }
    backoffMs =
        backoffMs == 0 ? options_.retryInitialMs : std::min(backoffMs * 2, options_.retryMaxMs);
    senderWake_.wait_for(lock, std::chrono::milliseconds(backoffMs),
                         [this] { return stopping_ || wake_; });
  }
}

bool AgentService::deliverOldest(Client& client) {
  base::Result<std::optional<OutboxItem>> oldest = outbox_.oldest();
  if (!oldest.ok()) {
    poco_error(outboxLogger(), "cannot read the outbox: " + oldest.error().message);
    return false;
  }
  if (!oldest->has_value()) {
    // Only this thread removes items, so pending() > 0 with an empty table means the file was
    // changed behind our back: back off instead of spinning.
    poco_warning(outboxLogger(), "outbox count out of step with its table");
    return false;
  }
  const OutboxItem& item = **oldest;
  std::string what = std::string(outboxKindName(item.kind)) + " " + item.key + " (item " +
                     std::to_string(item.id) + ")";
  const char* path = item.kind == OutboxKind::kCommit ? "/v1/commit" : "/v1/refund";
  base::Result<Client::RawResponse> answer = client.send("POST", path, item.body, kContentTypeJson);
  if (answer.ok() && isSuccess(answer->status)) {
    noteCoreReachable(true);
    base::Status removed = outbox_.remove(item.id);
    if (!removed.ok()) {
      // Delivered but still stored: it will be sent again and the core will answer with its
      // first answer (same idempotency key), so nothing is counted twice.
      poco_error(outboxLogger(),
                 "delivered " + what + " but cannot remove it: " + removed.error().message);
      return false;
    }
    delivered_.fetch_add(1);
    poco_information(outboxLogger(), "delivered " + what);
    return true;
  }
  if (answer.ok() && isFinalRefusal(answer->status)) {
    noteCoreReachable(true);
    std::string error = "HTTP " + std::to_string(answer->status) + ": " + answer->body;
    base::Status dead = outbox_.deadLetter(item.id, error);
    if (!dead.ok()) {
      poco_error(outboxLogger(),
                 "cannot move " + what + " to the dead letters: " + dead.error().message);
      return false;
    }
    poco_warning(outboxLogger(), "core refused " + what + " with HTTP " +
                                     std::to_string(answer->status) + "; moved to dead letters");
    return true;
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
  return false;
}

}  // namespace loyalty::agent

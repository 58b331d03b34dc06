#include "server/agent_service.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"

namespace loyalty::agent {

namespace {

using base::ErrorCode;
using base::Money;

Poco::Logger& logger() { return Poco::Logger::get("loyalty.agent"); }
Poco::Logger& outboxLogger() { return Poco::Logger::get("loyalty.agent.outbox"); }

bool isSuccess(int status) { return status >= 200 && status <= 299; }

// A 4xx the core gives for the request itself: final, never worth retrying. 408 and 429 say
// "not now" and are retried like a 5xx.
bool isFinalRefusal(int status) {
  return status >= 400 && status <= 499 && status != 408 && status != 429;
}

Reply okReply(std::string body) { return Reply{200, kContentTypeJson, std::move(body)}; }

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

protocol::PriceResponse offlinePrice(const protocol::PriceRequest& request) {
  protocol::PriceResponse response;
  response.subtotal = basketTotal(request.lines);
  response.total = response.subtotal;
  for (const std::string& code : request.coupons) {
    response.coupons.push_back(protocol::CouponDecision{code, false, kCouponOfflineUnverified});
  }
  response.offline = true;
  return response;
}

}  // namespace

Reply errorReply(const base::Error& error, const std::string& requestId) {
  return Reply{protocol::httpStatus(error.code), kContentTypeProblem,
               protocol::encode(protocol::errorBody(error, requestId))};
}

AgentService::AgentService(AgentServiceOptions options, Outbox& outbox)
    : options_(std::move(options)),
      outbox_(outbox),
      clients_(ClientOptions{options_.coreHost, options_.corePort, options_.budgetMs}) {}

AgentService::~AgentService() { stop(); }

void AgentService::start() {
  if (sender_.joinable()) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(senderMutex_);
    stopping_ = false;
    wake_ = true;
  }
  sender_ = std::thread([this] { senderLoop(); });
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
  sender_.join();
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
  return okReply(protocol::encode(offlinePrice(*request)));
}

Reply AgentService::commit(const std::string& body, const std::string& requestId) {
  base::Result<protocol::CommitRequest> request = protocol::decodeCommitRequest(body);
  if (!request.ok()) {
    return errorReply(request.error(), requestId);
  }
  if (outbox_.pending() == 0) {
    if (std::optional<Reply> answer = forward("/v1/commit", body, requestId)) {
      return std::move(*answer);
    }
  }
  protocol::CommitResponse queued;
  queued.status = protocol::kStatusQueued;
  queued.total = basketTotal(request->lines);
  queued.receipt = {kQueuedCommitReceipt};
  return enqueue(OutboxKind::kCommit, request->key, body, protocol::encode(queued), requestId);
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

Reply AgentService::enqueue(OutboxKind kind, const protocol::TransactionKey& key,
                            std::string_view body, std::string queuedAnswer,
                            const std::string& requestId) {
  std::string name = keyString(key);
  base::Result<int64_t> id = outbox_.enqueue(kind, name, body);
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
    } else {
      poco_warning(logger(), "core unreachable");
    }
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
  Client client(ClientOptions{options_.coreHost, options_.corePort, options_.deliveryTimeoutMs});
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

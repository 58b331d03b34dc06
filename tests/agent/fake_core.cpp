#include "fake_core.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <chrono>
#include <istream>
#include <iterator>
#include <utility>

#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/errors.h"

namespace loyalty::agent::test {

namespace {

constexpr int kThreads = 16;
constexpr auto kMaxHang = std::chrono::seconds(30);

FakeCore::Answer errorAnswer(base::ErrorCode code) {
  std::string detail = "fake core refused: " + std::string(protocol::codeName(code));
  return FakeCore::Answer{
      protocol::httpStatus(code), "application/problem+json",
      protocol::encode(protocol::errorBody(base::makeError(code, detail), "fake-core"))};
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(FakeCore& core) : core_(core) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    ReceivedRequest received;
    received.method = request.getMethod();
    received.arrivedTick = core_.arrive(received.method);
    received.uri = request.getURI();
    received.contentType = request.getContentType();
    received.body.assign(std::istreambuf_iterator<char>(request.stream()),
                         std::istreambuf_iterator<char>());
    FakeCore::Answer answer = core_.handle(received.method, received.uri, received.body);
    // Before the answer leaves: the agent may send its next request as soon as it has it.
    received.answeredTick = core_.answering(received.method);
    try {
      response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
      response.setContentType(answer.contentType);
      response.sendBuffer(answer.body.data(), answer.body.size());
      received.status = answer.status;
    } catch (...) {
      received.status = 0;  // the agent hung up (e.g. after its timeout)
    }
    core_.record(std::move(received));
  }

 private:
  FakeCore& core_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(FakeCore& core) : core_(core) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& /*request*/) override {
    return new Handler(core_);
  }

 private:
  FakeCore& core_;
};

}  // namespace

FakeCore::FakeCore() { listen(); }

FakeCore::~FakeCore() { stop(); }

void FakeCore::listen() {
  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress("127.0.0.1", port_), true, false);
  socket.listen(64);
  port_ = socket.address().port();
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams();
  params->setMaxThreads(kThreads);
  params->setKeepAlive(true);
  threads_ = std::make_unique<Poco::ThreadPool>("fake-core", 1, kThreads);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *threads_, socket, params);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = false;
  }
  server_->start();
}

void FakeCore::stop() {
  if (server_ == nullptr) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }
  modeChanged_.notify_all();
  server_->stopAll(true);
  threads_->joinAll();
  server_.reset();
  threads_.reset();
}

void FakeCore::restart() {
  stop();
  listen();
}

void FakeCore::setOk() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    mode_ = CoreMode::kOk;
  }
  modeChanged_.notify_all();
}

void FakeCore::setError(base::ErrorCode code) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    mode_ = CoreMode::kError;
    errorCode_ = code;
  }
  modeChanged_.notify_all();
}

void FakeCore::setHang() {
  std::lock_guard<std::mutex> lock(mutex_);
  mode_ = CoreMode::kHang;
}

void FakeCore::setRaw(int status, std::string contentType, std::string body) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    mode_ = CoreMode::kRaw;
    raw_ = Answer{status, std::move(contentType), std::move(body)};
  }
  modeChanged_.notify_all();
}

void FakeCore::refuseBody(const std::string& body, base::ErrorCode code) {
  std::lock_guard<std::mutex> lock(mutex_);
  refusedBodies_[body] = code;
}

void FakeCore::setOffers(protocol::OfferList offers) {
  std::lock_guard<std::mutex> lock(mutex_);
  offers_ = std::move(offers);
}

void FakeCore::setDelay(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  delay_ = delay;
}

int FakeCore::inFlight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return inFlight_;
}

int FakeCore::maxInFlight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return maxInFlight_;
}

uint64_t FakeCore::arrive(const std::string& method) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (method == "POST") {
    ++inFlight_;
    maxInFlight_ = std::max(maxInFlight_, inFlight_);
  }
  return ++ticks_;
}

FakeCore::Answer FakeCore::handle(const std::string& method, const std::string& uri,
                                  const std::string& body) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (method == "POST" && delay_.count() > 0) {
    // Waits for the delay (or the core's stop), not for a mode change.
    const auto until = std::chrono::steady_clock::now() + delay_;
    modeChanged_.wait_until(lock, until,
                            [&] { return stopped_ || std::chrono::steady_clock::now() >= until; });
  }
  auto refused = refusedBodies_.find(body);
  if (refused != refusedBodies_.end()) {
    return errorAnswer(refused->second);
  }
  if (mode_ == CoreMode::kHang) {
    // Whatever ends the hang, the answer is 503: a hung request is never "accepted", so a test
    // never counts a delivery the agent did not see.
    modeChanged_.wait_for(lock, kMaxHang, [this] { return mode_ != CoreMode::kHang || stopped_; });
    return errorAnswer(base::ErrorCode::kUnavailable);
  }
  if (stopped_) {
    return errorAnswer(base::ErrorCode::kUnavailable);
  }
  switch (mode_) {
    case CoreMode::kError:
      return errorAnswer(errorCode_);
    case CoreMode::kRaw:
      return raw_;
    case CoreMode::kOk:
    case CoreMode::kHang:
      break;
  }
  lock.unlock();
  return okAnswer(method, uri.substr(0, uri.find('?')), body);
}

FakeCore::Answer FakeCore::okAnswer(const std::string& method, const std::string& path,
                                    const std::string& body) {
  if (method == "POST" && path == "/v1/identify") {
    return Answer{200, "application/json", protocol::encode(identifyAnswer())};
  }
  if (method == "POST" && path == "/v1/price") {
    return Answer{200, "application/json", protocol::encode(priceAnswer())};
  }
  if (method == "POST" && path == "/v1/commit") {
    return Answer{200, "application/json", protocol::encode(commitAnswer())};
  }
  if (method == "POST" && path == "/v1/refund") {
    return Answer{200, "application/json", protocol::encode(refundAnswer())};
  }
  if (method == "POST" && path == "/v1/void") {
    return Answer{200, "application/json", protocol::encode(voidAnswer())};
  }
  if (method == "GET" && path == "/v1/offers") {
    std::lock_guard<std::mutex> lock(mutex_);
    return Answer{200, "application/json", protocol::encode(offers_)};
  }
  if (method == "GET" && path.rfind("/v1/customers/", 0) == 0) {
    return Answer{200, "application/json", protocol::encode(historyAnswer())};
  }
  if (method == "PUT" && path == "/v1/admin/catalogue") {
    protocol::CatalogueImportResponse imported;
    for (char c : body) {
      imported.imported += c == '\n' ? 1 : 0;
    }
    imported.imported -= 1;  // the header line
    return Answer{200, "application/json", protocol::encode(imported)};
  }
  return errorAnswer(base::ErrorCode::kNotFound);
}

uint64_t FakeCore::answering(const std::string& method) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (method == "POST") {
    --inFlight_;
  }
  return ++ticks_;
}

void FakeCore::record(ReceivedRequest request) {
  std::lock_guard<std::mutex> lock(mutex_);
  received_.push_back(std::move(request));
}

std::vector<ReceivedRequest> FakeCore::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

std::vector<std::string> FakeCore::accepted(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> bodies;
  for (const ReceivedRequest& r : received_) {
    if (r.uri == path && r.status >= 200 && r.status <= 299) {
      bodies.push_back(r.body);
    }
  }
  return bodies;
}

size_t FakeCore::timesReceived(const std::string& body) const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (const ReceivedRequest& r : received_) {
    n += r.body == body ? 1 : 0;
  }
  return n;
}

protocol::IdentifyResponse FakeCore::identifyAnswer() {
  protocol::IdentifyResponse r;
  r.customerId = 7;
  r.newCustomer = false;
  r.tier = "base";
  r.pointsBalance = base::Points(120);
  r.coupons = 2;
  r.offline = false;
  return r;
}

protocol::PriceResponse FakeCore::priceAnswer() {
  protocol::PriceResponse r;
  r.subtotal = base::Money(1000);
  r.total = base::Money(1000);
  r.pointsPreview = base::Points(10);
  return r;
}

protocol::CommitResponse FakeCore::commitAnswer() {
  protocol::CommitResponse r;
  r.status = protocol::kStatusCommitted;
  r.saleId = 4242;
  r.total = base::Money(1000);
  r.pointsEarned = base::Points(10);
  r.pointsBalance = base::Points(130);
  r.receipt = {"You earned 10 points", "Balance: 130 points"};
  return r;
}

protocol::RefundResponse FakeCore::refundAnswer() {
  protocol::RefundResponse r;
  r.status = protocol::kStatusCommitted;
  r.refundId = 77;
  r.amountRefunded = base::Money(250);
  r.pointsReversed = base::Points(2);
  r.pointsBalance = base::Points(128);
  r.receipt = {"Points reversed: 2"};
  return r;
}

protocol::VoidResponse FakeCore::voidAnswer() {
  protocol::VoidResponse r;
  r.released = 1;
  return r;
}

protocol::CustomerHistory FakeCore::historyAnswer() {
  protocol::CustomerHistory h;
  h.customerId = 7;
  h.tier = "base";
  h.pointsBalance = base::Points(130);
  h.enrolledAtMs = 1'700'000'000'000;
  return h;
}

}  // namespace loyalty::agent::test

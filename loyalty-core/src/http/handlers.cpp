#include "http/handlers.h"

#include "http/mapping.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"

namespace loyalty::core::http {
namespace {

using base::ErrorCode;

Response json(std::string body) {
  Response r;
  r.body = std::move(body);
  return r;
}

// A recorded answer: replays carry the Loyalty-Replayed header, with the same body.
Response recorded(std::string body, bool replayed) {
  Response r = json(std::move(body));
  if (replayed) {
    r.headers.emplace_back("Loyalty-Replayed", "true");
  }
  return r;
}

bool isJson(const Request& req) {
  // Accept "application/json" with parameters (charset=utf-8) and no Content-Type at all.
  const std::string& ct = req.contentType;
  return ct.empty() || ct.rfind("application/json", 0) == 0;
}

Response unsupportedMediaType(const Request& req) {
  return errorResponse(
      base::makeError(ErrorCode::kUnsupportedMediaType, "Content-Type must be application/json"),
      req.requestId);
}

}  // namespace

void addCoreRoutes(Router& router, domain::CheckoutService& service) {
  router.add("POST", "/v1/identify", [&service](const Request& req) {
    if (!isJson(req)) {
      return unsupportedMediaType(req);
    }
    auto in = protocol::decodeIdentifyRequest(req.body);
    if (!in.ok()) {
      return errorResponse(in.error(), req.requestId);
    }
    auto out = service.identify(in->card);
    if (!out.ok()) {
      return errorResponse(out.error(), req.requestId);
    }
    return json(protocol::encode(toWire(*out)));
  });

  router.add("POST", "/v1/price", [&service](const Request& req) {
    if (!isJson(req)) {
      return unsupportedMediaType(req);
    }
    auto in = protocol::decodePriceRequest(req.body);
    if (!in.ok()) {
      return errorResponse(in.error(), req.requestId);
    }
    auto out = service.price(toDomain(*in));
    if (!out.ok()) {
      return errorResponse(out.error(), req.requestId);
    }
    return json(protocol::encode(toWire(*out)));
  });

  router.add("POST", "/v1/commit", [&service](const Request& req) {
    if (!isJson(req)) {
      return unsupportedMediaType(req);
    }
    auto in = protocol::decodeCommitRequest(req.body);
    if (!in.ok()) {
      return errorResponse(in.error(), req.requestId);
    }
    auto out = service.commit(toDomain(*in));
    if (!out.ok()) {
      return errorResponse(out.error(), req.requestId);
    }
    return recorded(protocol::encode(toWire(*out)), out->replayed);
  });

  router.add("POST", "/v1/refund", [&service](const Request& req) {
    if (!isJson(req)) {
      return unsupportedMediaType(req);
    }
    auto in = protocol::decodeRefundRequest(req.body);
    if (!in.ok()) {
      return errorResponse(in.error(), req.requestId);
    }
    auto out = service.refund(toDomain(*in));
    if (!out.ok()) {
      return errorResponse(out.error(), req.requestId);
    }
    return recorded(protocol::encode(toWire(out->refund)), out->replayed);
  });

  router.add("POST", "/v1/void", [&service](const Request& req) {
    if (!isJson(req)) {
      return unsupportedMediaType(req);
    }
    auto in = protocol::decodeVoidRequest(req.body);
    if (!in.ok()) {
      return errorResponse(in.error(), req.requestId);
    }
    auto out = service.voidTransaction(toDomain(in->key));
    if (!out.ok()) {
      return errorResponse(out.error(), req.requestId);
    }
    protocol::VoidResponse r;
    r.released = *out;
    return json(protocol::encode(r));
  });

  router.add("GET", "/v1/offers", [&service](const Request&) {
    return json(protocol::encode(toWire(service.activeCampaigns())));
  });

  router.add("GET", "/v1/customers/{card}/history", [&service](const Request& req) {
    const std::string& card = req.param("card");
    if (!protocol::isValidCard(card)) {
      return errorResponse(base::makeError(ErrorCode::kInvalidCard, "card: bad check digit or format"),
                           req.requestId);
    }
    auto out = service.history(card, kHistoryMaxSales);
    if (!out.ok()) {
      return errorResponse(out.error(), req.requestId);
    }
    return json(protocol::encode(toWire(*out)));
  });

  router.add("GET", "/v1/health", [](const Request&) { return json(R"({"status":"ok"})"); });
}

}  // namespace loyalty::core::http

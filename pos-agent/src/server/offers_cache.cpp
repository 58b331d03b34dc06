#include "server/offers_cache.h"

#include <utility>

#include "loyalty/protocol/codec.h"

namespace loyalty::agent {

namespace {

std::shared_ptr<const OfferMap> indexOffers(const protocol::OfferList& list) {
  auto offers = std::make_shared<OfferMap>();
  for (const protocol::Offer& offer : list.offers) {
    offers->emplace(offer.campaign, offer);  // a duplicate id: the first one wins
  }
  return offers;
}

}  // namespace

OffersCache::OffersCache(Outbox& store)
    : store_(store), offers_(std::make_shared<const OfferMap>()) {}

base::Status OffersCache::load() {
  base::Result<std::optional<std::string>> stored = store_.savedOffers();
  if (!stored.ok()) {
    return stored.error();
  }
  if (!stored->has_value()) {
    return base::okStatus();
  }
  base::Result<protocol::OfferList> list = protocol::decodeOfferList(**stored);
  if (!list.ok()) {
    return base::makeError(base::ErrorCode::kInternal,
                           "the stored offers do not decode: " + list.error().message);
  }
  std::shared_ptr<const OfferMap> offers = indexOffers(*list);
  std::lock_guard<std::mutex> lock(mutex_);
  offers_ = std::move(offers);
  body_ = std::move(**stored);
  return base::okStatus();
}

base::Status OffersCache::update(const std::string& body) {
  base::Result<protocol::OfferList> list = protocol::decodeOfferList(body);
  if (!list.ok()) {
    return list.error();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (body == body_) {
      return base::okStatus();
    }
  }
  std::shared_ptr<const OfferMap> offers = indexOffers(*list);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    offers_ = std::move(offers);
  }
  base::Status stored = store_.saveOffers(body);
  if (stored.ok()) {
    // Only a stored body counts as current: after a failed write the next update writes again.
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = body;
  }
  return stored;
}

std::shared_ptr<const OfferMap> OffersCache::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return offers_;
}

}  // namespace loyalty::agent

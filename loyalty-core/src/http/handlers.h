// The loyalty-core's HTTP API (docs/protocol.md): thin handlers that decode a request with the
// protocol codec, call the CheckoutService, and encode its answer. No business logic here.
//
// Thread safety: handlers may run concurrently; they share only the thread-safe service.
#pragma once

#include "domain/checkout_service.h"
#include "http/router.h"

namespace loyalty::core::http {

inline constexpr size_t kHistoryMaxSales = 200;
inline constexpr size_t kMaxCatalogueBytes = 64 * 1024 * 1024;  // PUT /v1/admin/catalogue
inline constexpr size_t kMaxHistoryBytes = 64 * 1024 * 1024;    // POST /v1/admin/history

// Registers every core endpoint on router. service must outlive the router.
void addCoreRoutes(Router& router, domain::CheckoutService& service);

}  // namespace loyalty::core::http

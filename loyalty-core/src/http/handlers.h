// The loyalty-core's HTTP API (docs/protocol.md): thin handlers that decode a request with the
// protocol codec, call the CheckoutService, and encode its answer. No business logic here.
//
// Thread safety: handlers may run concurrently; they share only the thread-safe service.
#pragma once

#include "domain/checkout_service.h"
#include "http/router.h"

namespace loyalty::core::http {

inline constexpr size_t kHistoryMaxSales = 200;

// Registers the till endpoints (docs/protocol.md) on router; the admin API is admin/admin_api.h.
// service must outlive the router.
void addCoreRoutes(Router& router, domain::CheckoutService& service);

}  // namespace loyalty::core::http

// ClientPool: core Clients shared by the agent's request threads, so that each request reuses a
// keep-alive connection instead of opening a new TCP connection.
//
// A Client is not thread-safe; the pool hands each one to a single thread at a time through a
// Lease, which gives it back when destroyed. The pool grows to the number of concurrent users
// and never shrinks (bounded by the HTTP server's thread count).
//
// Thread safety: acquire() may be called from any thread. The pool must outlive its leases.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "loyalty/agent/client.h"

namespace loyalty::agent {

class ClientPool {
 public:
  class Lease {
   public:
    Lease(ClientPool& pool, std::unique_ptr<Client> client)
        : pool_(&pool), client_(std::move(client)) {}
    ~Lease();
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    Client& operator*() const { return *client_; }
    Client* operator->() const { return client_.get(); }

   private:
    ClientPool* pool_;
    std::unique_ptr<Client> client_;
  };

  explicit ClientPool(ClientOptions options) : options_(std::move(options)) {}
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  Lease acquire();

 private:
  void release(std::unique_ptr<Client> client);

  const ClientOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Client>> idle_;  // guarded by mutex_
};

}  // namespace loyalty::agent

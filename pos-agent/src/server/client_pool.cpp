#include "server/client_pool.h"

#include <utility>

namespace loyalty::agent {

ClientPool::Lease::~Lease() {
  if (client_ != nullptr) {
    pool_->release(std::move(client_));
  }
}

ClientPool::Lease ClientPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Client> client = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(client));
    }
  }
  return Lease(*this, std::make_unique<Client>(options_));
}

void ClientPool::release(std::unique_ptr<Client> client) {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(client));
}

}  // namespace loyalty::agent

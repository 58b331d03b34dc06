#include "server/delivery_window.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace loyalty::agent {

DeliveryWindow::DeliveryWindow(size_t capacity) : capacity_(capacity) { assert(capacity > 0); }

size_t DeliveryWindow::room() const {
  if (unfinishedBarriers_ > 0 || slots_.size() >= capacity_) {
    return 0;
  }
  return capacity_ - slots_.size();
}

void DeliveryWindow::add(OutboxItem item) {
  assert(room() > 0);
  assert(item.id > lastId_);
  lastId_ = item.id;
  if (item.lane.empty()) {
    ++unfinishedBarriers_;
  }
  slots_.push_back(Slot{std::move(item), State::kWaiting});
  ++waiting_;
}

std::optional<OutboxItem> DeliveryWindow::take() {
  seen_.clear();
  bool earlierUnfinished = false;
  for (Slot& slot : slots_) {
    if (slot.state == State::kDone) {
      continue;
    }
    if (slot.item.lane.empty()) {
      // A barrier goes alone, and nothing behind it goes before it is done.
      if (earlierUnfinished || slot.state != State::kWaiting) {
        return std::nullopt;
      }
    } else if (slot.state == State::kWaiting && seen_.count(slot.item.lane) == 0) {
      // The first item of its lane: free to go.
    } else {
      seen_.insert(slot.item.lane);
      earlierUnfinished = true;
      continue;
    }
    slot.state = State::kInFlight;
    --waiting_;
    ++inFlight_;
    return slot.item;
  }
  return std::nullopt;
}

DeliveryWindow::Slot& DeliveryWindow::slotOf(int64_t id) {
  auto before = [](const Slot& slot, int64_t wanted) { return slot.item.id < wanted; };
  auto it = std::lower_bound(slots_.begin(), slots_.end(), id, before);
  assert(it != slots_.end() && it->item.id == id);
  return *it;
}

void DeliveryWindow::finish(int64_t id) {
  Slot& slot = slotOf(id);
  assert(slot.state == State::kInFlight);
  slot.state = State::kDone;
  --inFlight_;
  if (slot.item.lane.empty()) {
    --unfinishedBarriers_;
  }
  dropFinishedFront();
}

void DeliveryWindow::retry(int64_t id) {
  Slot& slot = slotOf(id);
  assert(slot.state == State::kInFlight);
  slot.state = State::kWaiting;
  --inFlight_;
  ++waiting_;
}

void DeliveryWindow::dropFinishedFront() {
  while (!slots_.empty() && slots_.front().state == State::kDone) {
    slots_.pop_front();
  }
}

void DeliveryWindow::clear() {
  slots_.clear();
  lastId_ = 0;
  inFlight_ = 0;
  waiting_ = 0;
  unfinishedBarriers_ = 0;
}

}  // namespace loyalty::agent

// DeliveryWindow: which queued outbox items the agent's sender may send to the core now. Pure
// bookkeeping for AgentService's delivery workers: no I/O, no threads, no clock.
//
// The window holds the next items of the outbox in id order: the sender reads the items after
// lastId() and add()s them while room() allows. take() hands out the oldest item that may go now
// and marks it in flight; the worker reports back with finish() (the core accepted the item, or
// refused it for good: its lane moves on) or retry() (no usable answer: the item waits again in
// its place and still holds back the later items of its lane).
//
// Invariants (the ordering promise of docs/operations.md, "Outbox delivery"):
//   1. An item with a lane (a commit: its card number) is taken only when no earlier unfinished
//      item (waiting or in flight) has the same lane. So the items of one lane reach the core one
//      at a time and in id order, and a later one only after the core answered the earlier ones.
//   2. An item without a lane (a barrier: a refund, whose card the agent does not know, or an
//      item queued by an agent older than outbox schema 3) is taken only when it is the oldest
//      unfinished item and nothing is in flight; while it is unfinished nothing after it is taken.
//   3. Otherwise take() returns the oldest waiting item that rules 1 and 2 allow; the caller
//      bounds how many are in flight at once (inFlight()).
//   4. The window holds at most `capacity` items, finished ones included until every older item
//      is finished. After a barrier is added, room() is 0 until the barrier is finished (nothing
//      behind it could be taken anyway).
//
// Thread safety: none; AgentService guards its window with its sender mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "outbox/outbox.h"

namespace loyalty::agent {

class DeliveryWindow {
 public:
  // Requires: capacity > 0.
  explicit DeliveryWindow(size_t capacity);
  DeliveryWindow(const DeliveryWindow&) = delete;
  DeliveryWindow& operator=(const DeliveryWindow&) = delete;

  // How many more items add() accepts now.
  size_t room() const;
  // The largest id ever added (0 when none since construction or clear()).
  int64_t lastId() const { return lastId_; }

  // Appends an item read from the outbox.
  // Requires: room() > 0 and item.id > lastId().
  void add(OutboxItem item);

  // The oldest item that may be sent now (invariants 1-3), marked in flight; nullopt when none
  // may. The window keeps its own copy.
  std::optional<OutboxItem> take();

  // The item `id`, in flight, is done for good (delivered or dead-lettered).
  // Requires: id was returned by take() and not finished or retried since.
  void finish(int64_t id);
  // The item `id`, in flight, was not delivered: it waits again in its place.
  // Requires: as finish().
  void retry(int64_t id);

  size_t inFlight() const { return inFlight_; }
  size_t waiting() const { return waiting_; }
  // True when no item is waiting or in flight.
  bool idle() const { return inFlight_ == 0 && waiting_ == 0; }

  // Forgets every item and lastId() (the sender then reads the outbox from its start).
  void clear();

 private:
  enum class State { kWaiting, kInFlight, kDone };
  struct Slot {
    OutboxItem item;
    State state = State::kWaiting;
  };

  // The slot of id. Requires: the window holds it.
  Slot& slotOf(int64_t id);
  void dropFinishedFront();

  const size_t capacity_;
  std::deque<Slot> slots_;  // ascending ids
  int64_t lastId_ = 0;
  size_t inFlight_ = 0;
  size_t waiting_ = 0;
  size_t unfinishedBarriers_ = 0;
  std::unordered_set<std::string_view> seen_;  // take()'s scratch: lanes held by earlier items
};

}  // namespace loyalty::agent

#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

namespace cutover::dns::detail {

class Request;

// The open requests of one channel that have a deadline, earliest first: a binary heap in which
// each request knows its slot, so one settled early leaves at once. The channel's one timer
// serves every deadline, where a timer per query would cost a wait, a cancel and a handler each.
// Requests are borrowed: each leaves the heap as it settles (Request::settle), or all at once
// with release_all().
class DeadlineHeap {
 public:
  using Clock = std::chrono::steady_clock;

  // Called as a request with a deadline is submitted.
  void add(Request& request);

  // Called as a request in the heap settles.
  void remove(Request& request);

  // The earliest deadline; max when the heap is empty.
  Clock::time_point earliest_deadline() const;

  // The request with the earliest deadline; the heap must not be empty.
  Request& earliest() const { return *requests_.front(); }

  // Called as the channel is destroyed: every request leaves the heap.
  void release_all();

 private:
  // Moves the request at `slot` up or down to where the heap order wants it.
  void restore(std::size_t slot);
  void swap_slots(std::size_t a, std::size_t b);

  std::vector<Request*> requests_;
};

}  // namespace cutover::dns::detail

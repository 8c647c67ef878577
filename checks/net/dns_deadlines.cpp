#include "checks/net/dns_deadlines.hpp"

#include <utility>

#include "checks/net/dns_request.hpp"

namespace cutover::dns::detail {

void DeadlineHeap::add(Request& request) {
  request.deadline_owner_ = this;
  request.deadline_slot_ = requests_.size();
  requests_.push_back(&request);
  restore(requests_.size() - 1);
}

void DeadlineHeap::remove(Request& request) {
  const std::size_t slot = request.deadline_slot_;
  request.deadline_owner_ = nullptr;
  Request* last = requests_.back();
  requests_.pop_back();
  if (last != &request) {
    requests_[slot] = last;
    last->deadline_slot_ = slot;
    restore(slot);
  }
}

DeadlineHeap::Clock::time_point DeadlineHeap::earliest_deadline() const {
  return requests_.empty() ? Clock::time_point::max() : requests_.front()->deadline_;
}

void DeadlineHeap::release_all() {
  for (Request* request : requests_)
    request->deadline_owner_ = nullptr;
  requests_.clear();
}

void DeadlineHeap::restore(std::size_t slot) {
  while (slot > 0 && requests_[slot]->deadline_ < requests_[(slot - 1) / 2]->deadline_) {
    swap_slots(slot, (slot - 1) / 2);
    slot = (slot - 1) / 2;
  }
  while (true) {
    std::size_t first = slot;
    for (const std::size_t child : {2 * slot + 1, 2 * slot + 2}) {
      if (child < requests_.size() && requests_[child]->deadline_ < requests_[first]->deadline_) {
        first = child;
      }
    }
    if (first == slot) return;
    swap_slots(slot, first);
    slot = first;
  }
}

void DeadlineHeap::swap_slots(std::size_t a, std::size_t b) {
  std::swap(requests_[a], requests_[b]);
  requests_[a]->deadline_slot_ = a;
  requests_[b]->deadline_slot_ = b;
}

}  // namespace cutover::dns::detail

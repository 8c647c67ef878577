#include "harness/pending_cancels.hpp"

namespace cutover {

void PendingCancels::add() {
  std::lock_guard lock(mutex_);
  ++in_flight_;
}

void PendingCancels::remove() {
  {
    std::lock_guard lock(mutex_);
    if (in_flight_ > 0) --in_flight_;
  }
  changed_.notify_all();
}

bool PendingCancels::wait_for(Duration limit) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, limit, [this] { return in_flight_ == 0; });
}

PendingCancels& pending_cancels() {
  static PendingCancels instance;
  return instance;
}

}  // namespace cutover

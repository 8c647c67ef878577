#include "harness/check.hpp"

#include <algorithm>

namespace cutover {

Check::~Check() = default;

OwnBudget own_budget(const CheckContext& context) {
  const Duration margin = std::min<Duration>(std::chrono::milliseconds(100), context.timeout / 10);
  return {context.deadline - margin, context.timeout - margin};
}

void Cancellation::on_cancel(std::function<void()> handler) {
  if (cancelled_) {
    handler();
    return;
  }
  if (!first_) {
    first_ = std::move(handler);
  } else {
    more_.push_back(std::move(handler));
  }
}

void Cancellation::cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  auto first = std::move(first_);
  auto more = std::move(more_);
  if (first) first();
  for (auto& handler : more)
    handler();
}

}  // namespace cutover

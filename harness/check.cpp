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
  handlers_.push_back(std::move(handler));
}

void Cancellation::cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  auto handlers = std::move(handlers_);
  for (auto& handler : handlers)
    handler();
}

}  // namespace cutover

#include "harness/check.hpp"

namespace cutover {

Check::~Check() = default;

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

#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>

#include "checks/net/http_request.hpp"
#include "harness/check.hpp"

namespace cutover::detail {

// Starts one attempt of an `http` check on the event loop: every request of `target` (one, or
// the steps in order) with its redirects, sharing a cookie jar. `done` is called exactly once, on
// the loop, also when `cancellation` fires.
void start_http_attempt(boost::asio::io_context& io, std::shared_ptr<const HttpTarget> target,
                        Completion done, OwnBudget budget, Cancellation& cancellation);

}  // namespace cutover::detail

#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>

#include "checks/net/http_request.hpp"
#include "harness/check.hpp"

namespace cutover::detail {

// Starts one attempt of an `http` check on the event loop: every request of `target` (one, or
// the steps in order) with its redirects, sharing a cookie jar. `done` is called exactly once, on
// the loop, also when the context's cancellation fires. What it quotes of responses is redacted
// with the context's redactor (and the secrets the attempt captures) before it is cut.
void start_http_attempt(CheckContext& context, std::shared_ptr<const HttpTarget> target,
                        Completion done);

}  // namespace cutover::detail

#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

#include "harness/duration.hpp"

// Cancel requests on their way to a server. A query left running when the process quits at once
// (a second Ctrl-C) runs on at the server, holding its locks, until its own timeout: the quick
// exit waits, briefly, for these requests to be sent first.
namespace cutover {

class PendingCancels {
 public:
  // Called from any thread when a cancel request is queued to be sent.
  void add();

  // Called from any thread once that request was sent, or failed.
  void remove();

  // Called before quitting at once: blocks until every request queued so far was sent, or
  // `limit` passed. True when none is left.
  bool wait_for(Duration limit);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t in_flight_ = 0;
};

// The process's one set, which every run's database checks queue their requests in.
PendingCancels& pending_cancels();

}  // namespace cutover

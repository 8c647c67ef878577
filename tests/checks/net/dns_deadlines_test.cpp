#include "checks/net/dns_deadlines.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "checks/net/dns_request.hpp"

namespace cutover::dns::detail {
namespace {

using namespace std::chrono_literals;
using Clock = DeadlineHeap::Clock;

class DeadlineHeapTest : public ::testing::Test {
 protected:
  Request& request(Clock::duration after) {
    auto made = std::make_shared<Request>(io_, "example.test", false);
    made->deadline_ = start_ + after;
    requests_.push_back(made);
    return *made;
  }

  // Takes every request out, earliest first, and says after how long each was due.
  std::vector<Clock::duration> drain() {
    std::vector<Clock::duration> order;
    while (heap_.earliest_deadline() != Clock::time_point::max()) {
      Request& first = heap_.earliest();
      order.push_back(first.deadline_ - start_);
      heap_.remove(first);
    }
    return order;
  }

  boost::asio::io_context io_;
  const Clock::time_point start_ = Clock::now();
  std::vector<std::shared_ptr<Request>> requests_;
  DeadlineHeap heap_;
};

TEST_F(DeadlineHeapTest, AnEmptyHeapHasNoDeadline) {
  EXPECT_EQ(heap_.earliest_deadline(), Clock::time_point::max());
}

TEST_F(DeadlineHeapTest, GivesTheEarliestFirstWhateverTheOrderOfAdding) {
  for (const auto after : {5s, 1s, 9s, 3s, 7s, 2s})
    heap_.add(request(after));
  EXPECT_EQ(heap_.earliest_deadline(), start_ + 1s);
  EXPECT_EQ(drain(), (std::vector<Clock::duration>{1s, 2s, 3s, 5s, 7s, 9s}));
}

TEST_F(DeadlineHeapTest, ARequestThatSettlesLeavesTheHeap) {
  std::vector<Request*> added;
  for (const auto after : {4s, 1s, 6s, 2s, 5s, 3s}) {
    added.push_back(&request(after));
    heap_.add(*added.back());
  }
  added[0]->settle();  // 4s, from the middle
  added[1]->settle();  // 1s, the earliest
  EXPECT_EQ(added[0]->deadline_owner_, nullptr);
  EXPECT_EQ(drain(), (std::vector<Clock::duration>{2s, 3s, 5s, 6s}));
}

TEST_F(DeadlineHeapTest, ReleasingAllLetsEveryRequestGo) {
  Request& first = request(1s);
  Request& second = request(2s);
  heap_.add(first);
  heap_.add(second);
  heap_.release_all();
  EXPECT_EQ(heap_.earliest_deadline(), Clock::time_point::max());
  EXPECT_EQ(first.deadline_owner_, nullptr);
  second.settle();  // no longer in any heap: nothing to take out
  EXPECT_EQ(second.deadline_owner_, nullptr);
}

}  // namespace
}  // namespace cutover::dns::detail

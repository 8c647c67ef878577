#pragma once

#include <memory>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "checks/net/dns_client.hpp"

namespace cutover::dns::detail {

class Request;

// Query results on their way to their handlers. The results c-ares gives in one call reach their
// handlers together, from one handler posted for them all, rather than each from a handler of its
// own: that costs an allocation and a trip through the loop per query. A handler is still never
// run inside c-ares, and a request cancelled in the meantime is dropped.
class AnswerBatch : public std::enable_shared_from_this<AnswerBatch> {
 public:
  using Answered = std::vector<std::pair<std::shared_ptr<Request>, QueryResult>>;

  explicit AnswerBatch(boost::asio::io_context& io);
  ~AnswerBatch();
  AnswerBatch(const AnswerBatch&) = delete;
  AnswerBatch& operator=(const AnswerBatch&) = delete;

  // Called on the loop: settles `request`, whose handler gets `result` from the loop soon.
  void add(std::shared_ptr<Request> request, QueryResult result);

  // Called as the channel is destroyed: the results not delivered yet, for it to drop.
  Answered take_all() { return std::move(answered_); }

 private:
  void deliver();

  boost::asio::io_context& io_;
  Answered answered_;
  bool posted_ = false;  // a handler to deliver the batch is on its way
};

}  // namespace cutover::dns::detail

#include "checks/net/dns_answer_batch.hpp"

#include <boost/asio/post.hpp>

#include "checks/net/dns_request.hpp"

namespace cutover::dns::detail {

AnswerBatch::AnswerBatch(boost::asio::io_context& io) : io_(io) {}

AnswerBatch::~AnswerBatch() = default;

void AnswerBatch::add(std::shared_ptr<Request> request, QueryResult result) {
  request->settle();
  answered_.emplace_back(std::move(request), std::move(result));
  if (posted_) return;
  posted_ = true;
  boost::asio::post(io_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->deliver();
  });
}

void AnswerBatch::deliver() {
  posted_ = false;
  Answered batch;
  batch.swap(answered_);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    QueryHandler handler = std::exchange(batch[i].first->on_query_, nullptr);
    if (!handler) continue;
    try {
      handler(std::move(batch[i].second));
    } catch (...) {
      // A throwing handler is a bug, reported by whoever runs the loop; the other results
      // still reach their handlers, from the next turn.
      for (std::size_t rest = i + 1; rest < batch.size(); ++rest) {
        add(std::move(batch[rest].first), std::move(batch[rest].second));
      }
      throw;
    }
  }
  // The vector's room is kept for the next batch, unless one began meanwhile.
  batch.clear();
  if (answered_.empty()) answered_.swap(batch);
}

}  // namespace cutover::dns::detail

#include "checks/net/dns_server_query.hpp"

#include <utility>

#include <ares.h>

#include "checks/net/dns_message.hpp"

namespace cutover::dns {
namespace {

class ServerQuery : public PendingQuery, public std::enable_shared_from_this<ServerQuery> {
 public:
  ServerQuery(boost::asio::io_context& io, ResolverSettings settings, std::string name, int type,
              ServerQueryHandler handler, std::chrono::steady_clock::time_point deadline)
      : io_(io),
        settings_(std::move(settings)),
        name_(std::move(name)),
        type_(type),
        handler_(std::move(handler)),
        deadline_(deadline) {}

  void ask(bool tcp) {
    settings_.tcp = tcp;
    settings_.keep_truncated = !tcp;
    in_flight_ = async_query(
        io_, settings_, name_, type_,
        [self = shared_from_this()](QueryResult result) { self->on_answer(std::move(result)); },
        deadline_);
  }

  void cancel() override {
    if (in_flight_) in_flight_->cancel();
    in_flight_.reset();
  }

 private:
  void on_answer(QueryResult result) {
    in_flight_.reset();
    if (!result.error && !settings_.tcp && !answer_.truncated_udp) {
      auto message = parse_message(result.message);
      if (message && message.value().truncated) {
        answer_.truncated_udp = result.latency;
        return ask(true);
      }
    }
    answer_.result = std::move(result);
    auto handler = std::move(handler_);
    handler(std::move(answer_));
  }

  boost::asio::io_context& io_;
  ResolverSettings settings_;
  const std::string name_;
  const int type_;
  ServerQueryHandler handler_;
  const std::chrono::steady_clock::time_point deadline_;
  std::shared_ptr<PendingQuery> in_flight_;
  ServerQueryResult answer_;
};

}  // namespace

std::shared_ptr<PendingQuery> async_server_query(boost::asio::io_context& io,
                                                 ResolverSettings settings, std::string name,
                                                 int type, ServerQueryHandler handler,
                                                 std::chrono::steady_clock::time_point deadline) {
  const bool tcp = settings.tcp;
  auto query = std::make_shared<ServerQuery>(io, std::move(settings), std::move(name), type,
                                             std::move(handler), deadline);
  query->ask(tcp);
  return query;
}

std::string describe_server_error(const ServerQueryResult& answer, const std::string& no_answer) {
  const boost::system::error_code& error = answer.result.error;
  const bool refused = error == make_ares_error(ARES_ECONNREFUSED);
  const bool silent = error == make_ares_error(ARES_ETIMEOUT);
  if (!answer.truncated_udp) {
    // An ICMP port unreachable over UDP, or a TCP reset: nothing listens there.
    return refused ? "connection refused" : silent ? no_answer : error.message();
  }
  return "the answer over UDP is truncated (TC set), and TCP, where it was asked again, " +
         (refused  ? std::string("refused the connection")
          : silent ? "gave " + no_answer
                   : "failed: " + error.message());
}

}  // namespace cutover::dns

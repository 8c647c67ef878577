#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>

#include <ares.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "checks/net/dns_client.hpp"
#include "checks/net/dns_deadlines.hpp"

namespace cutover::dns::detail {

class AnswerBatch;
class Request;
class SocketWatcher;

// What a channel is for; each has channels of its own.
enum class Purpose {
  query,   // async_query: every answer is delivered, whatever its RCODE
  lookup,  // async_resolve: c-ares checks answers and moves on from a failing server
  local,   // async_resolve of localhost names: /etc/hosts only, never DNS
};

// One c-ares channel and the asio objects that drive it: its sockets are watched on the loop
// (SocketWatcher), an asio timer follows ares_timeout and the requests' deadlines
// (DeadlineHeap), and at most kMaxInFlightPerChannel queries are in flight, more wait in a
// queue. Lives until the service shuts down.
class Channel : public std::enable_shared_from_this<Channel> {
 public:
  using Clock = std::chrono::steady_clock;

  Channel(boost::asio::io_context& io, ResolverSettings settings, Purpose purpose);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Called once after construction; an ARES_ status.
  int init();

  // Called on the loop: sends the request now or, past the cap, when an earlier one finishes.
  void submit(std::shared_ptr<Request> request);

  // Whether the channel was made for `settings` and `purpose`.
  bool serves(const ResolverSettings& settings, Purpose purpose) const {
    return purpose_ == purpose && settings_ == settings;
  }

  // Called by the service as the io_context shuts down: c-ares answers every query with
  // ARES_EDESTRUCTION, which nobody hears, and lets go of its sockets.
  void destroy();

  std::size_t peak_in_flight() const { return peak_in_flight_; }

  // The servers c-ares asks, in order: the listed ones, or resolv.conf's (127.0.0.1 when it
  // lists none).
  std::size_t server_count() const;

 private:
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  void process(ares_socket_t read, ares_socket_t write);
  void on_timer();
  void after_call(Clock::time_point before);
  bool timer_covers(Clock::time_point before) const;
  void pump();
  void send(std::shared_ptr<Request> request);
  std::shared_ptr<Request> finish(Request* raw);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* answer, int length);
  static void on_addresses(void* arg, int status, int timeouts, ares_addrinfo* found);

  const ResolverSettings settings_;
  const Purpose purpose_;
  ares_channel handle_ = nullptr;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  std::shared_ptr<SocketWatcher> sockets_;  // from init()
  std::shared_ptr<AnswerBatch> answered_;   // query results to deliver
  std::deque<std::shared_ptr<Request>> queue_;
  Request* in_flight_ = nullptr;  // the requests c-ares holds, newest first
  DeadlineHeap deadlines_;        // the open requests with a deadline
  std::size_t in_flight_weight_ = 0;
  std::size_t peak_in_flight_ = 0;
  bool pumping_ = false;
  bool destroying_ = false;
};

}  // namespace cutover::dns::detail

#include "loopback/dns_servers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <deque>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "loopback/dns_answers.hpp"
#include "loopback/dns_records.hpp"
#include "loopback/dns_wire.hpp"

namespace cutover::loopback {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using namespace dns;

// RFC 1035 4.2.1: without EDNS a UDP answer holds at most 512 bytes.
constexpr std::size_t kPlainUdpLimit = 512;
constexpr std::size_t kTcpLimit = 65535;
constexpr int kPortAttempts = 100;

// The records and faults a test sets, read by the server thread for every query.
class Responder {
 public:
  struct Reply {
    std::optional<std::string> message;  // nothing: stay silent
    std::chrono::milliseconds delay{};
  };

  void set_records(std::vector<Record> records) {
    const std::lock_guard lock(mutex_);
    records_ = std::move(records);
  }
  void add_record(Record record) {
    const std::lock_guard lock(mutex_);
    records_.push_back(std::move(record));
  }
  void set_fault(const std::string& name, DnsFault fault) {
    const std::string key = name.empty() ? std::string() : name_key(parse_name(name));
    const std::lock_guard lock(mutex_);
    faults_[key] = fault;
  }
  void set_delay(std::chrono::milliseconds delay) {
    const std::lock_guard lock(mutex_);
    delay_ = delay;
  }

  Reply reply(std::string_view message, bool over_udp) const {
    const ParsedQuery parsed = parse_query(message);
    const std::lock_guard lock(mutex_);
    Reply reply;
    reply.delay = delay_;
    if (parsed.drop) return reply;
    Answer answer;
    answer.rcode = parsed.rcode;
    if (parsed.rcode == kRcodeNoError) {
      switch (fault_for(parsed.query.name)) {
        case DnsFault::none:
          answer = resolve(records_, parsed.query);
          break;
        case DnsFault::servfail:
          answer.rcode = kRcodeServFail;
          break;
        case DnsFault::refused:
          answer.rcode = kRcodeRefused;
          break;
        case DnsFault::silent:
          return reply;
        case DnsFault::truncate_udp:
          if (over_udp) {
            reply.message = build_message(parsed, answer, true);
            return reply;
          }
          answer = resolve(records_, parsed.query);
          break;
      }
    }
    std::size_t limit = kTcpLimit;
    if (over_udp) {
      limit = parsed.query.edns
                  ? std::clamp<std::size_t>(parsed.query.edns_size, kPlainUdpLimit, kEdnsLimit)
                  : kPlainUdpLimit;
    }
    reply.message = build_message(parsed, answer, false);
    if (reply.message->size() > limit) {
      if (over_udp) {
        reply.message = build_message(parsed, answer, true);
      } else {
        reply.message = build_message(
            parsed, Answer{.rcode = kRcodeServFail, .answers = {}, .authorities = {}}, false);
      }
    }
    return reply;
  }

 private:
  DnsFault fault_for(const Name& name) const {
    auto found = faults_.find(name_key(name));
    if (found == faults_.end()) found = faults_.find(std::string());
    return found == faults_.end() ? DnsFault::none : found->second;
  }

  mutable std::mutex mutex_;  // guards everything below
  std::vector<Record> records_;
  std::map<std::string, DnsFault> faults_;  // by name_key; "" for every name
  std::chrono::milliseconds delay_{};
};

// Runs `send` after `delay` on a timer, so other queries are served meanwhile.
template <typename Executor, typename Send>
void after(const Executor& executor, std::chrono::milliseconds delay, Send send) {
  if (delay.count() <= 0) {
    send();
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(executor, delay);
  timer->async_wait([timer, send = std::move(send)](boost::system::error_code error) {
    if (!error) send();
  });
}

// One TCP client: length-prefixed queries (RFC 1035 4.2.2), several per connection, answered
// in the order their delays end.
class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(tcp::socket socket, const Responder& responder, std::atomic<int>& queries)
      : socket_(std::move(socket)), responder_(responder), queries_(queries) {}

  void read_length() {
    asio::async_read(socket_, asio::buffer(length_),
                     [self = shared_from_this()](boost::system::error_code error, std::size_t) {
                       if (error) return;
                       self->read_message();
                     });
  }

 private:
  void read_message() {
    const std::size_t length = (static_cast<std::size_t>(length_[0]) << 8) | length_[1];
    message_.resize(length);
    asio::async_read(socket_, asio::buffer(message_),
                     [self = shared_from_this()](boost::system::error_code error, std::size_t) {
                       if (error) return;
                       ++self->queries_;
                       Responder::Reply reply = self->responder_.reply(self->message_, false);
                       if (reply.message) {
                         after(
                             self->socket_.get_executor(), reply.delay,
                             [self, message = std::move(*reply.message)] { self->send(message); });
                       }
                       self->read_length();
                     });
  }

  void send(const std::string& message) {
    std::string framed;
    framed += static_cast<char>((message.size() >> 8) & 0xFF);
    framed += static_cast<char>(message.size() & 0xFF);
    framed += message;
    outgoing_.push_back(std::move(framed));
    if (outgoing_.size() == 1) write_next();
  }

  void write_next() {
    asio::async_write(socket_, asio::buffer(outgoing_.front()),
                      [self = shared_from_this()](boost::system::error_code error, std::size_t) {
                        if (error) return;
                        self->outgoing_.pop_front();
                        if (!self->outgoing_.empty()) self->write_next();
                      });
  }

  tcp::socket socket_;
  const Responder& responder_;
  std::atomic<int>& queries_;
  std::array<unsigned char, 2> length_{};
  std::string message_;
  std::deque<std::string> outgoing_;  // the front one is being written
};

}  // namespace

std::string loopback_address(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

std::uint16_t bind_udp_and_tcp(udp::socket& udp_socket, tcp::acceptor& acceptor) {
  const auto loopback = asio::ip::address_v4::loopback();
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    udp_socket.open(udp::v4());
    udp_socket.bind(udp::endpoint(loopback, 0));
    const std::uint16_t port = udp_socket.local_endpoint().port();
    boost::system::error_code error;
    acceptor.open(tcp::v4());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(tcp::endpoint(loopback, port), error);
    if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (!error) return port;
    acceptor.close();
    udp_socket.close();
  }
  throw std::runtime_error("no free port of 127.0.0.1 for both UDP and TCP");
}

struct DnsTestServer::State {
  State();
  ~State();

  void receive_udp();
  void accept_tcp();

  Responder responder;
  std::atomic<int> udp_queries{0};
  std::atomic<int> tcp_queries{0};

  asio::io_context io;
  udp::socket udp_socket{io};
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::array<char, 65536> datagram{};
  udp::endpoint peer;
  std::thread thread;
};

DnsTestServer::State::State() {
  port = bind_udp_and_tcp(udp_socket, acceptor);
  receive_udp();
  accept_tcp();
  thread = std::thread([this] { io.run(); });
}

DnsTestServer::State::~State() {
  // Silent queries and open TCP connections never end by themselves: stop the loop; destroying
  // the io_context then frees every session.
  io.stop();
  thread.join();
}

void DnsTestServer::State::receive_udp() {
  udp_socket.async_receive_from(
      asio::buffer(datagram), peer, [this](boost::system::error_code error, std::size_t size) {
        if (error == asio::error::operation_aborted) return;
        if (!error) {
          ++udp_queries;
          Responder::Reply reply = responder.reply({datagram.data(), size}, true);
          if (reply.message) {
            after(io.get_executor(), reply.delay,
                  [this, to = peer, message = std::make_shared<std::string>(*reply.message)] {
                    udp_socket.async_send_to(asio::buffer(*message), to,
                                             [message](boost::system::error_code, std::size_t) {});
                  });
          }
        }
        receive_udp();
      });
}

void DnsTestServer::State::accept_tcp() {
  acceptor.async_accept([this](boost::system::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) {
      std::make_shared<TcpSession>(std::move(socket), responder, tcp_queries)->read_length();
    }
    accept_tcp();
  });
}

DnsTestServer::DnsTestServer(std::vector<DnsRecord> records) : state_(std::make_shared<State>()) {
  set_records(std::move(records));
}

DnsTestServer::~DnsTestServer() = default;

void DnsTestServer::set_records(std::vector<DnsRecord> records) {
  std::vector<Record> parsed;
  parsed.reserve(records.size());
  for (const DnsRecord& record : records)
    parsed.push_back(parse_record(record));
  state_->responder.set_records(std::move(parsed));
}

void DnsTestServer::add_record(DnsRecord record) {
  state_->responder.add_record(parse_record(record));
}

void DnsTestServer::set_fault(const std::string& name, DnsFault fault) {
  state_->responder.set_fault(name, fault);
}

void DnsTestServer::set_delay(std::chrono::milliseconds delay) {
  state_->responder.set_delay(delay);
}

void DnsTestServer::stop_tcp() {
  std::promise<void> closed;
  asio::post(state_->io, [this, &closed] {
    state_->acceptor.close();
    closed.set_value();
  });
  closed.get_future().wait();
}

std::uint16_t DnsTestServer::port() const {
  return state_->port;
}

std::string DnsTestServer::address() const {
  return loopback_address(state_->port);
}

int DnsTestServer::udp_queries() const {
  return state_->udp_queries;
}

int DnsTestServer::tcp_queries() const {
  return state_->tcp_queries;
}

}  // namespace cutover::loopback

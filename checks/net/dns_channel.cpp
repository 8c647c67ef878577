#include "checks/net/dns_channel.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "checks/net/dns_answer_batch.hpp"
#include "checks/net/dns_request.hpp"
#include "checks/net/dns_socket_watcher.hpp"

namespace cutover::dns::detail {

namespace net = boost::asio;

namespace {

// Hands the listed servers, in order, to c-ares.
int set_servers(ares_channel handle, const std::vector<ServerAddress>& servers) {
  std::vector<ares_addr_port_node> nodes(servers.size());
  for (std::size_t index = 0; index < nodes.size(); ++index) {
    const ServerAddress& server = servers[index];
    ares_addr_port_node& node = nodes[index];
    node.next = index + 1 < nodes.size() ? &nodes[index + 1] : nullptr;
    node.udp_port = node.tcp_port = server.port;
    if (server.address.is_v4()) {
      node.family = AF_INET;
      const auto bytes = server.address.to_v4().to_bytes();
      std::memcpy(&node.addr.addr4, bytes.data(), bytes.size());
    } else {
      node.family = AF_INET6;
      const auto bytes = server.address.to_v6().to_bytes();
      std::memcpy(&node.addr.addr6, bytes.data(), bytes.size());
    }
  }
  return ares_set_servers_ports(handle, nodes.data());
}

// The addresses ares_getaddrinfo found, in its order, with `port`.
Endpoints endpoints_of(const ares_addrinfo* found, std::uint16_t port) {
  Endpoints endpoints;
  for (const ares_addrinfo_node* node = found->nodes; node != nullptr; node = node->ai_next) {
    std::optional<net::ip::tcp::endpoint> endpoint;
    if (node->ai_family == AF_INET) {
      const auto* address = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
      net::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &address->sin_addr, bytes.size());
      endpoint.emplace(net::ip::address_v4(bytes), port);
    } else if (node->ai_family == AF_INET6) {
      const auto* address = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
      net::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &address->sin6_addr, bytes.size());
      endpoint.emplace(net::ip::address_v6(bytes, address->sin6_scope_id), port);
    }
    // /etc/hosts may list an address twice.
    if (endpoint && std::find(endpoints.begin(), endpoints.end(), *endpoint) == endpoints.end()) {
      endpoints.push_back(*endpoint);
    }
  }
  return endpoints;
}

}  // namespace

Channel::Channel(net::io_context& io, ResolverSettings settings, Purpose purpose)
    : settings_(std::move(settings)),
      purpose_(purpose),
      timer_(io),
      // The watcher is the channel's alone, and its sockets are forgotten when the channel is
      // destroyed: whenever it calls back, the channel is there.
      sockets_(std::make_shared<SocketWatcher>(
          io, [this](ares_socket_t read, ares_socket_t write) { process(read, write); })),
      answered_(std::make_shared<AnswerBatch>(io)) {}

Channel::~Channel() {
  if (handle_ != nullptr) destroy();
}

int Channel::init() {
  ares_options options{};
  int mask = ARES_OPT_SOCK_STATE_CB;
  options.sock_state_cb = &Channel::on_socket_state;
  options.sock_state_cb_data = this;
  mask |= ARES_OPT_FLAGS;
  options.flags = 0;
  // Queries: SERVFAIL, REFUSED and NOTIMP answers are delivered (the dns kind reports them),
  // where c-ares 1.18 would ask the next server and, with none left, report "connection
  // refused". Lookups go without it, so c-ares moves on from a failing server as it does for
  // any program. Either way c-ares 1.18 drops an answer to another question (same_questions()
  // in process_answer runs whatever the flags, although the manual says the flag keeps such
  // answers; a test shows it); the dns kind checks the question again.
  if (purpose_ == Purpose::query) options.flags |= ARES_FLAG_NOCHECKRESP;
  if (settings_.tcp) options.flags |= ARES_FLAG_USEVC;
  if (settings_.keep_truncated) options.flags |= ARES_FLAG_IGNTC;
  if (settings_.try_timeout.count() > 0) {
    mask |= ARES_OPT_TIMEOUTMS;
    options.timeout = static_cast<int>(settings_.try_timeout.count());
  }
  if (settings_.tries > 0) {
    mask |= ARES_OPT_TRIES;
    options.tries = settings_.tries;
  }
  char dns_only[] = "b";
  char files_only[] = "f";
  if (purpose_ == Purpose::local) {
    // Whatever nsswitch.conf or host.conf say ("hosts: dns files" would ask DNS first).
    mask |= ARES_OPT_LOOKUPS;
    options.lookups = files_only;
  } else if (!settings_.servers.empty()) {
    // Listed servers answer alone: no /etc/hosts, and no search domains from resolv.conf.
    mask |= ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS;
    options.lookups = dns_only;
    options.domains = nullptr;
    options.ndomains = 0;
  }
  if (const int status = ares_init_options(&handle_, &options, mask); status != ARES_SUCCESS) {
    handle_ = nullptr;
    return status;
  }
  if (settings_.servers.empty() || purpose_ == Purpose::local) return ARES_SUCCESS;
  return set_servers(handle_, settings_.servers);
}

void Channel::submit(std::shared_ptr<Request> request) {
  const auto before = Clock::now();
  if (request->deadline_ != Clock::time_point::max()) deadlines_.add(*request);
  queue_.push_back(std::move(request));
  after_call(before);
}

void Channel::destroy() {
  destroying_ = true;
  ares_destroy(handle_);
  handle_ = nullptr;
  // Handlers dropped below may end sessions that cancel other requests: they find the
  // channel destroying and the containers already emptied.
  std::vector<std::shared_ptr<Request>> in_flight;
  while (in_flight_ != nullptr)
    in_flight.push_back(finish(in_flight_));
  deadlines_.release_all();
  auto queue = std::move(queue_);
  auto answered = answered_->take_all();
  sockets_->forget_all();
  timer_.cancel();
  for (auto& request : in_flight)
    request->cancel();
  for (auto& request : queue)
    request->cancel();
  for (auto& [request, result] : answered)
    request->cancel();
}

std::size_t Channel::server_count() const {
  ares_addr_port_node* servers = nullptr;
  if (ares_get_servers_ports(handle_, &servers) != ARES_SUCCESS) return 0;
  std::size_t count = 0;
  for (const ares_addr_port_node* node = servers; node != nullptr; node = node->next)
    ++count;
  ares_free_data(servers);
  return count;
}

void Channel::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<Channel*>(data);
  // While the channel is destroyed, c-ares only lets go of its sockets.
  if (self->destroying_ && (readable != 0 || writable != 0)) return;
  self->sockets_->update(fd, readable != 0, writable != 0);
}

void Channel::process(ares_socket_t read, ares_socket_t write) {
  if (destroying_) return;
  const auto before = Clock::now();
  ares_process_fd(handle_, read, write);
  after_call(before);
}

void Channel::on_timer() {
  timer_armed_ = false;
  const auto before = Clock::now();
  // Requests past their deadline are answered first: c-ares may still be trying them.
  while (deadlines_.earliest_deadline() <= before) {
    Request& late = deadlines_.earliest();
    if (late.lookup_) {
      late.deliver(make_ares_error(ARES_ETIMEOUT), {});
    } else {
      answered_->add(late.shared_from_this(), QueryResult{.error = make_ares_error(ARES_ETIMEOUT)});
    }
  }
  ares_process_fd(handle_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  after_call(before);
}

// Called after every call into c-ares, which began at `before`: queued requests take the places
// answers freed, and the timer follows c-ares's next timeout.
void Channel::after_call(Clock::time_point before) {
  if (destroying_) return;
  pump();
  if (timer_covers(before)) return;
  timeval remaining{};
  auto deadline = Clock::time_point::max();
  if (ares_timeout(handle_, nullptr, &remaining) != nullptr) {
    // Rounded up to the millisecond: waking early only finds nothing timed out yet.
    deadline = Clock::now() + std::chrono::seconds(remaining.tv_sec) +
               std::chrono::microseconds(remaining.tv_usec) + std::chrono::milliseconds(1);
  }
  deadline = std::min(deadline, deadlines_.earliest_deadline());
  if (deadline == Clock::time_point::max()) {
    // Nothing in flight: no wait may keep the loop running.
    if (timer_armed_) timer_.cancel();
    timer_armed_ = false;
    return;
  }
  // An earlier wait is kept: it wakes, finds nothing due, and sets the timer again.
  if (timer_armed_ && timer_.expiry() <= deadline) return;
  timer_armed_ = true;
  timer_.expires_at(deadline);
  timer_.async_wait([weak = weak_from_this()](boost::system::error_code error) {
    if (error) return;
    if (auto self = weak.lock(); self && !self->destroying_) self->on_timer();
  });
}

// c-ares gives a query it sends (or sends again) at least the channel's try timeout, so nothing
// it scheduled since `before` is due before before + try_timeout. A wait set no later than that
// still wakes in time, and ares_timeout, which walks every query in flight, is spared: it would
// run twice per query.
bool Channel::timer_covers(Clock::time_point before) const {
  return timer_armed_ && timer_.expiry() <= deadlines_.earliest_deadline() &&
         in_flight_weight_ > 0 && settings_.try_timeout.count() > 0 &&
         timer_.expiry() <= before + settings_.try_timeout;
}

// Sends queued requests while the cap allows; callbacks of c-ares may come back in here.
void Channel::pump() {
  if (pumping_ || destroying_) return;
  pumping_ = true;
  while (!queue_.empty()) {
    std::shared_ptr<Request>& next = queue_.front();
    if (!next->open()) {
      queue_.pop_front();
      continue;
    }
    if (in_flight_weight_ > 0 && in_flight_weight_ + next->weight() > kMaxInFlightPerChannel) {
      break;
    }
    std::shared_ptr<Request> request = std::move(next);
    queue_.pop_front();
    send(std::move(request));
  }
  pumping_ = false;
}

void Channel::send(std::shared_ptr<Request> request) {
  Request* raw = request.get();
  raw->channel_ = this;
  in_flight_weight_ += raw->weight();
  peak_in_flight_ = std::max(peak_in_flight_, in_flight_weight_);
  raw->self_ = std::move(request);
  raw->next_ = in_flight_;
  if (in_flight_ != nullptr) in_flight_->previous_ = raw;
  in_flight_ = raw;
  raw->sent_ = Clock::now();
  if (!raw->lookup_) {
    unsigned char* query = nullptr;
    int length = 0;
    const int status =
        ares_create_query(raw->name_.c_str(), ns_c_in, raw->type_, 0, 1, &query, &length, 0);
    if (status != ARES_SUCCESS) {
      finish(raw)->fail(status);
      return;
    }
    ares_send(handle_, query, length, &Channel::on_answer, raw);
    ares_free_string(query);
  } else {
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = ARES_AI_NUMERICSERV;
    const std::string service = std::to_string(raw->port_);
    ares_getaddrinfo(handle_, raw->name_.c_str(), service.c_str(), &hints, &Channel::on_addresses,
                     raw);
  }
}

// The request c-ares is done with, out of the in-flight set.
std::shared_ptr<Request> Channel::finish(Request* raw) {
  (raw->previous_ != nullptr ? raw->previous_->next_ : in_flight_) = raw->next_;
  if (raw->next_ != nullptr) raw->next_->previous_ = raw->previous_;
  raw->previous_ = raw->next_ = nullptr;
  std::shared_ptr<Request> request = std::move(raw->self_);
  in_flight_weight_ -= request->weight();
  request->channel_ = nullptr;
  return request;
}

void Channel::on_answer(void* arg, int status, int /*timeouts*/, unsigned char* answer,
                        int length) {
  auto* raw = static_cast<Request*>(arg);
  Channel* self = raw->channel_;
  if (self->destroying_) return;  // ARES_EDESTRUCTION: the service is shutting down
  std::shared_ptr<Request> request = self->finish(raw);
  if (!request->open()) return;
  QueryResult result{.latency = Clock::now() - request->sent_};
  if (status == ARES_SUCCESS) {
    result.message.assign(answer, answer + length);
  } else {
    result.error = make_ares_error(status);
  }
  self->answered_->add(std::move(request), std::move(result));
}

void Channel::on_addresses(void* arg, int status, int /*timeouts*/, ares_addrinfo* found) {
  auto* raw = static_cast<Request*>(arg);
  Channel* self = raw->channel_;
  if (self->destroying_) {
    if (found != nullptr) ares_freeaddrinfo(found);
    return;
  }
  std::shared_ptr<Request> request = self->finish(raw);
  Endpoints endpoints;
  if (status == ARES_SUCCESS && found != nullptr) endpoints = endpoints_of(found, request->port_);
  if (found != nullptr) ares_freeaddrinfo(found);
  if (!request->open()) return;
  if (status == ARES_SUCCESS && endpoints.empty()) status = ARES_ENODATA;
  if (self->purpose_ == Purpose::local && status != ARES_SUCCESS) {
    // RFC 6761: localhost names are loopback, whether or not /etc/hosts lists them.
    endpoints = {net::ip::tcp::endpoint(net::ip::address_v6::loopback(), request->port_),
                 net::ip::tcp::endpoint(net::ip::address_v4::loopback(), request->port_)};
    status = ARES_SUCCESS;
  }
  // c-ares 1.18 reports a lookup that every server failed (SERVFAIL, REFUSED, NOTIMP) or
  // refused to connect as "connection refused".
  if (status == ARES_ECONNREFUSED) status = kNoServerAnswered;
  request->deliver(status == ARES_SUCCESS ? boost::system::error_code() : make_ares_error(status),
                   std::move(endpoints));
}

}  // namespace cutover::dns::detail

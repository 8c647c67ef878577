#include "checks/net/dns_client.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <utility>

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ares.h>
#include <fmt/format.h>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "checks/net/address.hpp"

namespace cutover::dns {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

std::string ServerAddress::label() const {
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), port);
  return fmt::format("{}:{}", address.to_string(), port);
}

std::optional<ServerAddress> parse_server(std::string_view text) {
  const auto split = split_host_port(text);
  if (!split) return std::nullopt;
  const auto& [host, port] = *split;
  const std::optional<net::ip::address> address = parse_ip_literal(host);
  if (!address) return std::nullopt;
  // c-ares 1.18 has no place for a scope id: "fe80::1%eth0" would silently lose its interface.
  if (address->is_v6() && address->to_v6().scope_id() != 0) return std::nullopt;
  return ServerAddress{.address = *address, .port = port.value_or(53)};
}

namespace {

class AresCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "c-ares"; }

  std::string message(int status) const override {
    switch (status) {
      case ARES_ENODATA:
        return "no A or AAAA record";
      case ARES_EFORMERR:
        return "the DNS server could not parse the query (FORMERR)";
      case ARES_ESERVFAIL:
        return "the DNS server failed to answer (SERVFAIL)";
      case ARES_ENOTFOUND:
        return "no such host";
      case ARES_ENOTIMP:
        return "the DNS server does not implement the query (NOTIMP)";
      case ARES_EREFUSED:
        return "the DNS server refused the query (REFUSED)";
      case ARES_EBADNAME:
        return "not a valid host name";
      case ARES_EBADRESP:
        return "malformed answer from the DNS server";
      case ARES_ECONNREFUSED:
        return "no DNS server could be reached (connection refused)";
      case kNoServerAnswered:
        return "no DNS server gave an answer (SERVFAIL, REFUSED or connection refused)";
      case ARES_ETIMEOUT:
        return "no answer (timed out)";
      case ARES_EFILE:
        return "could not read the resolver configuration";
      case ARES_ENOMEM:
        return "out of memory";
      case ARES_EDESTRUCTION:
        return "the resolver was shut down";
      case ARES_ECANCELLED:
        return "cancelled";
      default:
        return ares_strerror(status);
    }
  }
};

}  // namespace

const boost::system::error_category& ares_category() {
  static const AresCategory category;
  return category;
}

boost::system::error_code make_ares_error(int status) {
  return {status, ares_category()};
}

PendingQuery::~PendingQuery() = default;

namespace {

int library_status() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  return status;
}

// RFC 6761: "localhost" and names under it are never sent to DNS servers.
bool is_localhost(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  const auto equal = [](std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) == y;
    });
  };
  return equal(name, "localhost") ||
         (name.size() > 10 && equal(name.substr(name.size() - 10), ".localhost"));
}

// What a channel is for; each has channels of its own.
enum class Purpose {
  query,   // async_query: every answer is delivered, whatever its RCODE
  lookup,  // async_resolve: c-ares checks answers and moves on from a failing server
  local,   // async_resolve of localhost names: /etc/hosts only, never DNS
};

class Channel;

// One query or address lookup, from async_query/async_resolve to its handler.
class Request : public PendingQuery, public std::enable_shared_from_this<Request> {
 public:
  Request(net::io_context& io, std::string name, bool lookup)
      : io_(io), name_(std::move(name)), lookup_(lookup) {}

  void cancel() override {
    settle();
    // Moved out first: destroying a handler can end a session whose resolver cancels again.
    QueryHandler dropped_query = std::exchange(on_query_, nullptr);
    ResolveHandler dropped_resolve = std::exchange(on_resolve_, nullptr);
  }

  // Called on the loop: runs the handler later, from the loop, unless cancelled by then.
  void deliver(QueryResult result) {
    settle();
    net::post(io_, [self = shared_from_this(), result = std::move(result)]() mutable {
      if (QueryHandler handler = std::exchange(self->on_query_, nullptr)) {
        handler(std::move(result));
      }
    });
  }

  void deliver(boost::system::error_code error, Endpoints endpoints) {
    settle();
    net::post(io_, [self = shared_from_this(), error, endpoints = std::move(endpoints)]() mutable {
      if (ResolveHandler handler = std::exchange(self->on_resolve_, nullptr)) {
        handler(error, std::move(endpoints));
      }
    });
  }

  void fail(int status) {
    if (lookup_) {
      deliver(make_ares_error(status), {});
    } else {
      deliver(QueryResult{.error = make_ares_error(status)});
    }
  }

  bool cancelled() const { return !on_query_ && !on_resolve_; }

  // Whether a result may still be delivered: none was, and the request was not cancelled.
  bool open() const { return !settled_ && !cancelled(); }

  // The result is decided (delivered, or cancelled): its deadline no longer matters.
  void settle();

  // ares_getaddrinfo asks for A and AAAA at once: two queries on the wire.
  std::size_t weight() const { return lookup_ ? 2 : 1; }

  net::io_context& io_;
  const std::string name_;
  const bool lookup_;  // an address lookup (async_resolve), not a query
  int type_ = 0;       // the record type of a query
  std::uint16_t port_ = 0;
  QueryHandler on_query_;
  ResolveHandler on_resolve_;
  Channel* channel_ = nullptr;  // while c-ares holds the request
  Clock::time_point sent_{};
  bool settled_ = false;
  // Answered ARES_ETIMEOUT at this time unless settled before; max: c-ares's timeouts alone.
  Clock::time_point deadline_ = Clock::time_point::max();
  Channel* deadline_owner_ = nullptr;  // whose deadline heap holds the request
  std::size_t deadline_slot_ = 0;      // its place in that heap
  // While c-ares holds the request: the channel's list of them, which owns it through `self_`.
  std::shared_ptr<Request> self_;
  Request* previous_ = nullptr;
  Request* next_ = nullptr;
};

// A socket c-ares opened, watched for it by the loop.
struct Watch {
  Watch(net::io_context& io, ares_socket_t fd) : descriptor(io), fd(fd) {}

  net::posix::stream_descriptor descriptor;
  ares_socket_t fd;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;  // an async_wait is pending
  bool writing = false;
  bool closed = false;  // c-ares let go of the socket (it may already reuse the number)
};

// One c-ares channel and the asio objects that drive it. Lives until the service shuts down.
class Channel : public std::enable_shared_from_this<Channel> {
 public:
  Channel(net::io_context& io, ResolverSettings settings, Purpose purpose)
      : io_(io), settings_(std::move(settings)), purpose_(purpose), timer_(io) {}

  ~Channel() {
    if (handle_ != nullptr) destroy();
  }

  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Called once after construction; an ARES_ status.
  int init() {
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

    std::vector<ares_addr_port_node> nodes(settings_.servers.size());
    for (std::size_t index = 0; index < nodes.size(); ++index) {
      const ServerAddress& server = settings_.servers[index];
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
    return ares_set_servers_ports(handle_, nodes.data());
  }

  // Called on the loop: sends the request now or, past the cap, when an earlier one finishes.
  void submit(std::shared_ptr<Request> request) {
    const auto before = Clock::now();
    if (request->deadline_ != Clock::time_point::max()) watch_deadline(*request);
    queue_.push_back(std::move(request));
    after_call(before);
  }

  // Takes the request out of the deadline heap (it is settled).
  void forget_deadline(Request& request) {
    const std::size_t slot = request.deadline_slot_;
    request.deadline_owner_ = nullptr;
    Request* last = deadlines_.back();
    deadlines_.pop_back();
    if (last != &request) {
      deadlines_[slot] = last;
      last->deadline_slot_ = slot;
      restore_heap(slot);
    }
  }

  // Whether the channel was made for `settings` and `purpose`.
  bool serves(const ResolverSettings& settings, Purpose purpose) const {
    return purpose_ == purpose && settings_ == settings;
  }

  // Called by the service as the io_context shuts down: c-ares answers every query with
  // ARES_EDESTRUCTION, which nobody hears, and lets go of its sockets.
  void destroy() {
    destroying_ = true;
    ares_destroy(handle_);
    handle_ = nullptr;
    // Handlers dropped below may end sessions that cancel other requests: they find the
    // channel destroying and the containers already emptied.
    std::vector<std::shared_ptr<Request>> in_flight;
    while (in_flight_ != nullptr)
      in_flight.push_back(finish(in_flight_));
    for (Request* request : deadlines_)
      request->deadline_owner_ = nullptr;
    deadlines_.clear();
    auto queue = std::move(queue_);
    auto answered = std::move(answered_);
    auto watches = std::move(watches_);
    for (auto& [fd, watch] : watches)
      forget(*watch);
    timer_.cancel();
    for (auto& request : in_flight)
      request->cancel();
    for (auto& request : queue)
      request->cancel();
    for (auto& [request, result] : answered)
      request->cancel();
  }

  std::size_t peak_in_flight() const { return peak_in_flight_; }

  // The servers c-ares asks, in order: the listed ones, or resolv.conf's (127.0.0.1 when it
  // lists none).
  std::size_t server_count() const {
    ares_addr_port_node* servers = nullptr;
    if (ares_get_servers_ports(handle_, &servers) != ARES_SUCCESS) return 0;
    std::size_t count = 0;
    for (const ares_addr_port_node* node = servers; node != nullptr; node = node->next)
      ++count;
    ares_free_data(servers);
    return count;
  }

 private:
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    static_cast<Channel*>(data)->socket_state(fd, readable != 0, writable != 0);
  }

  void socket_state(ares_socket_t fd, bool readable, bool writable) {
    const auto found = watches_.find(fd);
    if (!readable && !writable) {
      if (found == watches_.end()) return;
      forget(*found->second);
      watches_.erase(found);
      return;
    }
    if (destroying_) return;
    std::shared_ptr<Watch> watch;
    if (found != watches_.end()) {
      watch = found->second;
    } else {
      watch = std::make_shared<Watch>(io_, fd);
      boost::system::error_code error;
      watch->descriptor.assign(fd, error);
      // Unwatched, the socket's queries end by c-ares's own timeout.
      if (error) return;
      watches_.emplace(fd, watch);
    }
    watch->want_read = readable;
    watch->want_write = writable;
    arm(watch);
  }

  // The descriptor is released, never closed: the socket is c-ares's to close.
  static void forget(Watch& watch) {
    watch.closed = true;
    boost::system::error_code ignored;
    watch.descriptor.cancel(ignored);
    watch.descriptor.release();
  }

  void arm(const std::shared_ptr<Watch>& watch) {
    if (watch->want_read && !watch->reading) {
      watch->reading = true;
      watch->descriptor.async_wait(
          net::posix::stream_descriptor::wait_read,
          [weak = weak_from_this(), watch](boost::system::error_code error) {
            watch->reading = false;
            if (auto self = weak.lock()) self->on_ready(watch, false, error);
          });
    }
    if (watch->want_write && !watch->writing) {
      watch->writing = true;
      watch->descriptor.async_wait(
          net::posix::stream_descriptor::wait_write,
          [weak = weak_from_this(), watch](boost::system::error_code error) {
            watch->writing = false;
            if (auto self = weak.lock()) self->on_ready(watch, true, error);
          });
    }
  }

  void on_ready(const std::shared_ptr<Watch>& watch, bool write, boost::system::error_code error) {
    // A socket c-ares closed, even if its number now belongs to a new one, is never processed.
    if (error || watch->closed || destroying_) return;
    // No longer wanted: c-ares asks again through the socket-state callback when it is.
    if (!(write ? watch->want_write : watch->want_read)) return;
    const auto before = Clock::now();
    ares_process_fd(handle_, write ? ARES_SOCKET_BAD : watch->fd,
                    write ? watch->fd : ARES_SOCKET_BAD);
    after_call(before);
    if (!watch->closed) arm(watch);
  }

  void on_timer() {
    timer_armed_ = false;
    const auto before = Clock::now();
    // Requests past their deadline are answered first: c-ares may still be trying them.
    while (!deadlines_.empty() && deadlines_.front()->deadline_ <= before) {
      Request& late = *deadlines_.front();
      if (late.lookup_) {
        late.deliver(make_ares_error(ARES_ETIMEOUT), {});
      } else {
        deliver_later(late.shared_from_this(),
                      QueryResult{.error = make_ares_error(ARES_ETIMEOUT)});
      }
    }
    ares_process_fd(handle_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    after_call(before);
  }

  // Called after every call into c-ares, which began at `before`: queued requests take the places
  // answers freed, and the timer follows c-ares's next timeout.
  void after_call(Clock::time_point before) {
    if (destroying_) return;
    pump();
    // c-ares gives a query it sends (or sends again) at least the channel's try timeout, so
    // nothing it scheduled since `before` is due before before + try_timeout. A wait set no later
    // than that still wakes in time, and ares_timeout, which walks every query in flight, is
    // spared: it would run twice per query.
    const bool deadlines_covered =
        deadlines_.empty() || timer_.expiry() <= deadlines_.front()->deadline_;
    if (timer_armed_ && deadlines_covered && in_flight_weight_ > 0 &&
        settings_.try_timeout.count() > 0 && timer_.expiry() <= before + settings_.try_timeout) {
      return;
    }
    timeval remaining{};
    auto deadline = Clock::time_point::max();
    if (ares_timeout(handle_, nullptr, &remaining) != nullptr) {
      // Rounded up to the millisecond: waking early only finds nothing timed out yet.
      deadline = Clock::now() + std::chrono::seconds(remaining.tv_sec) +
                 std::chrono::microseconds(remaining.tv_usec) + std::chrono::milliseconds(1);
    }
    if (!deadlines_.empty()) deadline = std::min(deadline, deadlines_.front()->deadline_);
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

  // Sends queued requests while the cap allows; callbacks of c-ares may come back in here.
  void pump() {
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

  void send(std::shared_ptr<Request> request) {
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
  std::shared_ptr<Request> finish(Request* raw) {
    (raw->previous_ != nullptr ? raw->previous_->next_ : in_flight_) = raw->next_;
    if (raw->next_ != nullptr) raw->next_->previous_ = raw->previous_;
    raw->previous_ = raw->next_ = nullptr;
    std::shared_ptr<Request> request = std::move(raw->self_);
    in_flight_weight_ -= request->weight();
    request->channel_ = nullptr;
    return request;
  }

  static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* answer,
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
    self->deliver_later(std::move(request), std::move(result));
  }

  // Query results reach their handlers together, from one handler posted for all those c-ares
  // gave in one call, rather than from a handler of each's own: that costs an allocation and a
  // trip through the loop per query. A handler is still never run inside c-ares, and a request
  // cancelled in the meantime is dropped.
  void deliver_later(std::shared_ptr<Request> request, QueryResult result) {
    request->settle();
    answered_.emplace_back(std::move(request), std::move(result));
    if (delivery_posted_) return;
    delivery_posted_ = true;
    net::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->deliver_answered();
    });
  }

  void deliver_answered() {
    delivery_posted_ = false;
    std::vector<std::pair<std::shared_ptr<Request>, QueryResult>> batch;
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
          deliver_later(std::move(batch[rest].first), std::move(batch[rest].second));
        }
        throw;
      }
    }
    // The vector's room is kept for the next batch, unless one began meanwhile.
    batch.clear();
    if (answered_.empty()) answered_.swap(batch);
  }

  static void on_addresses(void* arg, int status, int /*timeouts*/, ares_addrinfo* found) {
    auto* raw = static_cast<Request*>(arg);
    Channel* self = raw->channel_;
    if (self->destroying_) {
      if (found != nullptr) ares_freeaddrinfo(found);
      return;
    }
    std::shared_ptr<Request> request = self->finish(raw);
    Endpoints endpoints;
    if (status == ARES_SUCCESS && found != nullptr) {
      for (const ares_addrinfo_node* node = found->nodes; node != nullptr; node = node->ai_next) {
        std::optional<net::ip::tcp::endpoint> endpoint;
        if (node->ai_family == AF_INET) {
          const auto* address = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
          net::ip::address_v4::bytes_type bytes;
          std::memcpy(bytes.data(), &address->sin_addr, bytes.size());
          endpoint.emplace(net::ip::address_v4(bytes), request->port_);
        } else if (node->ai_family == AF_INET6) {
          const auto* address = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
          net::ip::address_v6::bytes_type bytes;
          std::memcpy(bytes.data(), &address->sin6_addr, bytes.size());
          endpoint.emplace(net::ip::address_v6(bytes, address->sin6_scope_id), request->port_);
        }
        // /etc/hosts may list an address twice.
        if (endpoint &&
            std::find(endpoints.begin(), endpoints.end(), *endpoint) == endpoints.end()) {
          endpoints.push_back(*endpoint);
        }
      }
    }
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

  void watch_deadline(Request& request) {
    request.deadline_owner_ = this;
    request.deadline_slot_ = deadlines_.size();
    deadlines_.push_back(&request);
    restore_heap(deadlines_.size() - 1);
  }

  // Moves the request at `slot` up or down to where the heap order wants it.
  void restore_heap(std::size_t slot) {
    const auto swap_slots = [this](std::size_t a, std::size_t b) {
      std::swap(deadlines_[a], deadlines_[b]);
      deadlines_[a]->deadline_slot_ = a;
      deadlines_[b]->deadline_slot_ = b;
    };
    while (slot > 0 && deadlines_[slot]->deadline_ < deadlines_[(slot - 1) / 2]->deadline_) {
      swap_slots(slot, (slot - 1) / 2);
      slot = (slot - 1) / 2;
    }
    while (true) {
      std::size_t first = slot;
      for (const std::size_t child : {2 * slot + 1, 2 * slot + 2}) {
        if (child < deadlines_.size() &&
            deadlines_[child]->deadline_ < deadlines_[first]->deadline_) {
          first = child;
        }
      }
      if (first == slot) return;
      swap_slots(slot, first);
      slot = first;
    }
  }

  net::io_context& io_;
  const ResolverSettings settings_;
  const Purpose purpose_;
  ares_channel handle_ = nullptr;
  net::steady_timer timer_;
  bool timer_armed_ = false;
  std::unordered_map<ares_socket_t, std::shared_ptr<Watch>> watches_;
  std::deque<std::shared_ptr<Request>> queue_;
  Request* in_flight_ = nullptr;  // the requests c-ares holds, newest first
  std::vector<std::pair<std::shared_ptr<Request>, QueryResult>> answered_;  // to deliver
  bool delivery_posted_ = false;
  std::vector<Request*> deadlines_;  // a heap of the open requests with a deadline, earliest first
  std::size_t in_flight_weight_ = 0;
  std::size_t peak_in_flight_ = 0;
  bool pumping_ = false;
  bool destroying_ = false;
};

void Request::settle() {
  settled_ = true;
  if (deadline_owner_ != nullptr) deadline_owner_->forget_deadline(*this);
}

// The channels of one io_context, created on first use and destroyed as it shuts down.
class DnsService : public net::execution_context::service {
 public:
  static net::execution_context::id id;

  explicit DnsService(net::io_context& io) : service(io), io_(io) {}

  // Called on the loop. The channel for `settings`, or null with the c-ares `status` that
  // prevented it.
  std::shared_ptr<Channel> channel(const ResolverSettings& settings, Purpose purpose, int& status) {
    // Looked up for every query: by a hash of the settings, without building a key.
    const std::size_t hash = channel_hash(settings, purpose);
    status = ARES_SUCCESS;
    for (auto [it, end] = channels_.equal_range(hash); it != end; ++it) {
      if (it->second->serves(settings, purpose)) return it->second;
    }
    status = shut_down_ ? ARES_EDESTRUCTION : library_status();
    if (status != ARES_SUCCESS) return nullptr;
    auto channel = std::make_shared<Channel>(io_, settings, purpose);
    status = channel->init();
    if (status != ARES_SUCCESS) return nullptr;
    channels_.emplace(hash, channel);
    return channel;
  }

  std::size_t peak_in_flight(const ResolverSettings& settings, Purpose purpose) {
    int status = ARES_SUCCESS;
    const auto found = channel(settings, purpose, status);
    return found ? found->peak_in_flight() : 0;
  }

  std::size_t server_count(const ResolverSettings& settings) {
    int status = ARES_SUCCESS;
    const auto found = channel(settings, Purpose::lookup, status);
    return found ? found->server_count() : 0;
  }

 private:
  void shutdown() override {
    shut_down_ = true;
    auto channels = std::move(channels_);
    for (auto& [key, channel] : channels)
      channel->destroy();
  }

  static std::size_t channel_hash(const ResolverSettings& settings, Purpose purpose) {
    std::size_t hash = static_cast<std::size_t>(purpose);
    const auto mix = [&hash](std::size_t value) {
      hash ^= value + 0x9e3779b97f4a7c15 + (hash << 6) + (hash >> 2);
    };
    mix(settings.tcp ? 1 : 0);
    mix(static_cast<std::size_t>(settings.try_timeout.count()));
    mix(static_cast<std::size_t>(settings.tries));
    for (const ServerAddress& server : settings.servers) {
      if (server.address.is_v4()) {
        mix(server.address.to_v4().to_uint());
      } else {
        for (const unsigned char byte : server.address.to_v6().to_bytes())
          mix(byte);
      }
      mix(server.port);
    }
    return hash;
  }

  net::io_context& io_;
  std::unordered_multimap<std::size_t, std::shared_ptr<Channel>> channels_;  // by channel_hash
  bool shut_down_ = false;
};

net::execution_context::id DnsService::id;

std::shared_ptr<PendingQuery> submit(net::io_context& io, const ResolverSettings& settings,
                                     Purpose purpose, std::shared_ptr<Request> request) {
  int status = ARES_SUCCESS;
  if (auto channel = net::use_service<DnsService>(io).channel(settings, purpose, status)) {
    channel->submit(request);
  } else {
    request->fail(status);
  }
  return request;
}

}  // namespace

std::shared_ptr<PendingQuery> async_query(net::io_context& io, const ResolverSettings& settings,
                                          std::string name, int type, QueryHandler handler,
                                          Clock::time_point deadline) {
  auto request = std::make_shared<Request>(io, std::move(name), false);
  request->type_ = type;
  request->on_query_ = std::move(handler);
  request->deadline_ = deadline;
  return submit(io, settings, Purpose::query, std::move(request));
}

std::shared_ptr<PendingQuery> async_resolve(net::io_context& io, const ResolverSettings& settings,
                                            std::string host, std::uint16_t port,
                                            ResolveHandler handler) {
  auto request = std::make_shared<Request>(io, std::move(host), true);
  request->port_ = port;
  request->on_resolve_ = std::move(handler);
  if (const auto address = parse_ip_literal(request->name_)) {
    request->deliver({}, Endpoints{net::ip::tcp::endpoint(*address, port)});
    return request;
  }
  // Localhost names go to a channel that reads /etc/hosts only, whatever the settings; what it
  // does not find is loopback.
  if (is_localhost(request->name_)) {
    return submit(io, ResolverSettings{}, Purpose::local, std::move(request));
  }
  return submit(io, settings, Purpose::lookup, std::move(request));
}

std::size_t server_count(net::io_context& io, const ResolverSettings& settings) {
  if (!settings.servers.empty()) return settings.servers.size();
  return net::use_service<DnsService>(io).server_count(settings);
}

namespace detail {

std::size_t peak_in_flight(net::io_context& io, const ResolverSettings& settings) {
  return net::use_service<DnsService>(io).peak_in_flight(settings, Purpose::query);
}

}  // namespace detail

}  // namespace cutover::dns

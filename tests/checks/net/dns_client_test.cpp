#include "checks/net/dns_client.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <ares.h>
#include <arpa/nameser.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "checks/net/dns_message.hpp"
#include "checks/net/resolver.hpp"
#include "loopback/dns_servers.hpp"
#include "loopback/tcp_servers.hpp"

namespace cutover::dns {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using loopback::DnsFault;
using loopback::DnsRecord;
using loopback::DnsTestServer;

const std::vector<DnsRecord> kRecords = {
    {"app.example.test.", "A", 60, "127.0.0.1"},
    {"app.example.test.", "AAAA", 60, "::1"},
    {"v4.example.test.", "A", 60, "127.0.0.2"},
    {"text.example.test.", "TXT", 60, "\"no addresses here\""},
};

ResolverSettings settings_for(const DnsTestServer& server) {
  return {.servers = {ServerAddress{.address = make_address("127.0.0.1"), .port = server.port()}},
          .try_timeout = 1s,
          .tries = 2};
}

// One query run to its end on a loop of its own.
struct Answered {
  std::optional<QueryResult> result;
  int calls = 0;
  Duration elapsed{};
};

Answered query(const ResolverSettings& settings, const std::string& name, int type) {
  boost::asio::io_context io;
  Answered answered;
  const auto started = Clock::now();
  async_query(io, settings, name, type, [&](QueryResult result) {
    ++answered.calls;
    answered.result = std::move(result);
  });
  EXPECT_EQ(answered.calls, 0) << "the handler must not run inside async_query";
  io.run();
  answered.elapsed = Clock::now() - started;
  return answered;
}

struct Resolved {
  boost::system::error_code error;
  Endpoints endpoints;
  int calls = 0;
};

Resolved resolve(const ResolverSettings& settings, const std::string& host, std::uint16_t port) {
  boost::asio::io_context io;
  Resolved resolved;
  async_resolve(io, settings, host, port, [&](boost::system::error_code error, Endpoints found) {
    ++resolved.calls;
    resolved.error = error;
    resolved.endpoints = std::move(found);
  });
  EXPECT_EQ(resolved.calls, 0) << "the handler must not run inside async_resolve";
  io.run();
  EXPECT_EQ(resolved.calls, 1);
  return resolved;
}

Message parsed(const Answered& answered) {
  EXPECT_EQ(answered.calls, 1);
  if (!answered.result) return {};
  EXPECT_FALSE(answered.result->error) << answered.result->error.message();
  auto message = parse_message(answered.result->message);
  EXPECT_TRUE(message) << (message ? "" : message.error().message);
  return message ? message.value() : Message{};
}

std::vector<std::string> sorted(const Endpoints& endpoints) {
  std::vector<std::string> texts;
  for (const tcp::endpoint& endpoint : endpoints) {
    const std::string address = endpoint.address().to_string();
    texts.push_back((endpoint.address().is_v6() ? "[" + address + "]" : address) + ":" +
                    std::to_string(endpoint.port()));
  }
  std::sort(texts.begin(), texts.end());
  return texts;
}

TEST(DnsClient, ParsesServerAddresses) {
  const auto parse = [](std::string_view text) -> std::string {
    const auto server = parse_server(text);
    return server ? server->label() : "none";
  };
  EXPECT_EQ(parse("10.0.0.53"), "10.0.0.53:53");
  EXPECT_EQ(parse("10.0.0.53:5353"), "10.0.0.53:5353");
  EXPECT_EQ(parse("::1"), "[::1]:53");
  EXPECT_EQ(parse("[::1]"), "[::1]:53");
  EXPECT_EQ(parse("[2001:db8::53]:5353"), "[2001:db8::53]:5353");
  EXPECT_EQ(parse(""), "none");
  EXPECT_EQ(parse("dns.example.test"), "none");
  EXPECT_EQ(parse("dns.example.test:53"), "none");
  EXPECT_EQ(parse("10.0.0.53:0"), "none");
  EXPECT_EQ(parse("10.0.0.53:65536"), "none");
  EXPECT_EQ(parse("10.0.0.53:"), "none");
  EXPECT_EQ(parse("[10.0.0.53]:53"), "none");
  EXPECT_EQ(parse("[::1]53"), "none");
  EXPECT_EQ(parse("[::1"), "none");
  EXPECT_EQ(parse("fe80::1%lo"), "none");
  EXPECT_EQ(parse(" 10.0.0.53"), "none");
}

TEST(DnsClient, ErrorMessagesSayWhatHappened) {
  EXPECT_EQ(make_ares_error(ARES_ETIMEOUT).message(), "no answer (timed out)");
  EXPECT_EQ(make_ares_error(ARES_ENOTFOUND).message(), "no such host");
  EXPECT_EQ(make_ares_error(ARES_ENODATA).message(), "no A or AAAA record");
  EXPECT_EQ(make_ares_error(ARES_ESERVFAIL).message(),
            "the DNS server failed to answer (SERVFAIL)");
  EXPECT_EQ(make_ares_error(ARES_EREFUSED).message(), "the DNS server refused the query (REFUSED)");
  EXPECT_EQ(make_ares_error(ARES_ECONNREFUSED).message(),
            "no DNS server could be reached (connection refused)");
  EXPECT_EQ(make_ares_error(kNoServerAnswered).message(),
            "no DNS server gave an answer (SERVFAIL, REFUSED or connection refused)");
  EXPECT_EQ(make_ares_error(ARES_EBADNAME).message(), "not a valid host name");
  EXPECT_STREQ(ares_category().name(), "c-ares");
}

TEST(DnsClient, AnswerIsDeliveredRawWithItsLatency) {
  DnsTestServer server(kRecords);
  const Answered answered = query(settings_for(server), "v4.example.test", ns_t_a);
  const Message message = parsed(answered);
  EXPECT_EQ(message.rcode, static_cast<int>(ns_r_noerror));
  ASSERT_EQ(message.answers.size(), 1u);
  EXPECT_EQ(message.answers[0].name, "v4.example.test");
  EXPECT_EQ(message.answers[0].data, "127.0.0.2");
  EXPECT_EQ(message.answers[0].ttl, 60u);
  EXPECT_GT(answered.result->latency, Duration::zero());
  EXPECT_LE(answered.result->latency, answered.elapsed);
  EXPECT_EQ(server.udp_queries(), 1);
  EXPECT_EQ(server.tcp_queries(), 0);
}

TEST(DnsClient, LoopIsFreeOnceTheAnswerIsIn) {
  // c-ares's own default timeout is seconds long: neither its timer nor its socket may keep the
  // loop running after the answer.
  DnsTestServer server(kRecords);
  ResolverSettings settings = settings_for(server);
  settings.try_timeout = 5s;
  const Answered answered = query(settings, "v4.example.test", ns_t_a);
  EXPECT_EQ(parsed(answered).answers.size(), 1u);
  EXPECT_LT(answered.elapsed, 1s);
}

TEST(DnsClient, ServfailAndRefusedAreDeliveredNotRetriedElsewhere) {
  for (const auto& [fault, rcode] :
       {std::pair{DnsFault::servfail, ns_r_servfail}, std::pair{DnsFault::refused, ns_r_refused}}) {
    DnsTestServer failing(kRecords);
    failing.set_fault("", fault);
    DnsTestServer healthy(kRecords);
    ResolverSettings settings = settings_for(failing);
    settings.servers.push_back(*parse_server(healthy.address()));
    const Message message = parsed(query(settings, "v4.example.test", ns_t_a));
    EXPECT_EQ(message.rcode, static_cast<int>(rcode));
    EXPECT_TRUE(message.answers.empty());
    EXPECT_EQ(failing.udp_queries(), 1);
    EXPECT_EQ(healthy.udp_queries(), 0) << "the answer of the first server counts";
  }
}

TEST(DnsClient, NxdomainIsDeliveredAsAMessage) {
  DnsTestServer server(kRecords);
  const Message message = parsed(query(settings_for(server), "missing.example.test", ns_t_a));
  EXPECT_EQ(message.rcode, static_cast<int>(ns_r_nxdomain));
  EXPECT_TRUE(message.answers.empty());
  EXPECT_EQ(server.udp_queries(), 1);
}

TEST(DnsClient, SilentServerTimesOutWithinTheSettings) {
  DnsTestServer server(kRecords);
  server.set_fault("", DnsFault::silent);
  ResolverSettings settings = settings_for(server);
  settings.try_timeout = 100ms;
  settings.tries = 2;
  const Answered answered = query(settings, "v4.example.test", ns_t_a);
  ASSERT_EQ(answered.calls, 1);
  EXPECT_EQ(answered.result->error, make_ares_error(ARES_ETIMEOUT));
  EXPECT_EQ(answered.result->error.message(), "no answer (timed out)");
  EXPECT_TRUE(answered.result->message.empty());
  // 100ms, then 200ms: c-ares doubles the timeout after each round.
  EXPECT_GE(answered.elapsed, 290ms);
  EXPECT_LT(answered.elapsed, 600ms);
  EXPECT_EQ(server.udp_queries(), 2);
}

TEST(DnsClient, ClosedPortIsConnectionRefused) {
  const std::uint16_t port = loopback::unused_port();
  ResolverSettings settings{
      .servers = {ServerAddress{.address = make_address("127.0.0.1"), .port = port}},
      .try_timeout = 2s,
      .tries = 1};
  const Answered answered = query(settings, "v4.example.test", ns_t_a);
  ASSERT_EQ(answered.calls, 1);
  // The ICMP port unreachable comes back at once, well before the timeout.
  EXPECT_EQ(answered.result->error, make_ares_error(ARES_ECONNREFUSED));
  EXPECT_LT(answered.elapsed, 1s);
}

TEST(DnsClient, TruncatedUdpAnswerIsAskedAgainOverTcp) {
  DnsTestServer server(kRecords);
  server.set_fault("", DnsFault::truncate_udp);
  const Message message = parsed(query(settings_for(server), "v4.example.test", ns_t_a));
  EXPECT_FALSE(message.truncated);
  ASSERT_EQ(message.answers.size(), 1u);
  EXPECT_EQ(message.answers[0].data, "127.0.0.2");
  EXPECT_EQ(server.udp_queries(), 1);
  EXPECT_EQ(server.tcp_queries(), 1);
}

TEST(DnsClient, TcpSettingAsksOverTcpOnly) {
  DnsTestServer server(kRecords);
  ResolverSettings settings = settings_for(server);
  settings.tcp = true;
  const Message message = parsed(query(settings, "v4.example.test", ns_t_a));
  ASSERT_EQ(message.answers.size(), 1u);
  EXPECT_EQ(server.udp_queries(), 0);
  EXPECT_EQ(server.tcp_queries(), 1);
}

TEST(DnsClient, InvalidNameIsAnErrorWithoutAQuery) {
  DnsTestServer server(kRecords);
  const Answered answered =
      query(settings_for(server), std::string(64, 'a') + ".example.test", ns_t_a);
  ASSERT_EQ(answered.calls, 1);
  EXPECT_EQ(answered.result->error, make_ares_error(ARES_EBADNAME));
  EXPECT_EQ(server.udp_queries(), 0);
}

TEST(DnsClient, CancelledQueryNeverCallsItsHandler) {
  DnsTestServer server(kRecords);
  server.set_delay(100ms);
  boost::asio::io_context io;
  int calls = 0;
  auto pending = async_query(io, settings_for(server), "v4.example.test", ns_t_a,
                             [&](QueryResult) { ++calls; });
  io.run_for(20ms);
  pending->cancel();
  io.run();
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(server.udp_queries(), 1) << "the query was sent before it was cancelled";
  pending->cancel();  // twice is harmless
}

TEST(DnsClient, CancelledBeforeAPostedDeliveryRunsNeverCallsItsHandler) {
  // Both fail or finish without waiting for a server: their delivery is already queued.
  DnsTestServer server(kRecords);
  boost::asio::io_context io;
  int calls = 0;
  auto bad_name = async_query(io, settings_for(server), std::string(64, 'a') + ".example.test",
                              ns_t_a, [&](QueryResult) { ++calls; });
  auto literal = async_resolve(io, settings_for(server), "127.0.0.1", 80,
                               [&](boost::system::error_code, Endpoints) { ++calls; });
  bad_name->cancel();
  literal->cancel();
  io.run();
  EXPECT_EQ(calls, 0);
}

// The name and the address of the index-th of many records. fmt, not std::string's operator+:
// GCC 12 at -O3 reports a -Wrestrict false positive on "literal" + std::string.
std::string numbered_name(int index) {
  return fmt::format("n{}.example.test", index);
}
std::string numbered_address(int index) {
  return fmt::format("10.1.{}.{}", index / 256, index % 256);
}

TEST(DnsClient, ThousandsOfQueriesAreAllAnsweredWithAtMostTheCapInFlight) {
  constexpr int kQueries = 2000;
  std::vector<DnsRecord> records;
  for (int index = 0; index < kQueries; ++index) {
    records.push_back({numbered_name(index) + ".", "A", 60, numbered_address(index)});
  }
  DnsTestServer server(records);
  server.set_delay(10ms);  // answers pile up, so the cap is reached
  boost::asio::io_context io;
  // A third try for the rare answer a loaded machine drops from a full receive buffer.
  ResolverSettings settings = settings_for(server);
  settings.tries = 3;
  int answered = 0;
  int wrong = 0;
  for (int index = 0; index < kQueries; ++index) {
    async_query(io, settings, numbered_name(index), ns_t_a, [&, index](QueryResult result) {
      ++answered;
      auto message = parse_message(result.message);
      const std::string expected = numbered_address(index);
      if (result.error || !message || message.value().answers.size() != 1 ||
          message.value().answers[0].data != expected) {
        if (++wrong <= 5) ADD_FAILURE() << index << ": " << result.error.message();
      }
    });
  }
  io.run();
  EXPECT_EQ(answered, kQueries);
  EXPECT_EQ(wrong, 0);
  EXPECT_GE(server.udp_queries(), kQueries);
  EXPECT_EQ(detail::peak_in_flight(io, settings), kMaxInFlightPerChannel);
}

TEST(DnsClient, CancelledQueuedQueryIsNeverSent) {
  DnsTestServer server(kRecords);
  server.set_delay(50ms);
  boost::asio::io_context io;
  const ResolverSettings settings = settings_for(server);
  int calls = 0;
  for (std::size_t index = 0; index < kMaxInFlightPerChannel; ++index) {
    async_query(io, settings, "v4.example.test", ns_t_a, [&](QueryResult) { ++calls; });
  }
  int queued_calls = 0;
  auto queued =
      async_query(io, settings, "app.example.test", ns_t_a, [&](QueryResult) { ++queued_calls; });
  queued->cancel();
  io.run();
  EXPECT_EQ(calls, static_cast<int>(kMaxInFlightPerChannel));
  EXPECT_EQ(queued_calls, 0);
  EXPECT_EQ(server.udp_queries(), static_cast<int>(kMaxInFlightPerChannel));
}

TEST(DnsClient, DestroyingTheLoopWithQueriesInFlightCallsNoHandler) {
  DnsTestServer silent(kRecords);
  silent.set_fault("", DnsFault::silent);
  DnsTestServer slow(kRecords);
  slow.set_delay(500ms);
  int calls = 0;
  std::shared_ptr<PendingQuery> survivor;
  {
    boost::asio::io_context io;
    for (int index = 0; index < 300; ++index) {  // some in flight, some queued
      async_query(io, settings_for(silent), "v4.example.test", ns_t_a,
                  [&](QueryResult) { ++calls; });
    }
    async_query(io, settings_for(slow), "v4.example.test", ns_t_a, [&](QueryResult) { ++calls; });
    ResolverSettings over_tcp = settings_for(slow);
    over_tcp.tcp = true;
    async_resolve(io, over_tcp, "app.example.test", 80,
                  [&](boost::system::error_code, Endpoints) { ++calls; });
    survivor = async_resolve(io, settings_for(slow), "app.example.test", 80,
                             [&](boost::system::error_code, Endpoints) { ++calls; });
    io.run_for(50ms);
  }
  EXPECT_EQ(calls, 0);
  survivor->cancel();  // after the loop is gone: harmless
  EXPECT_EQ(calls, 0);
}

TEST(DnsClient, DestroyingALoopThatNeverRanCallsNoHandler) {
  DnsTestServer server(kRecords);
  int calls = 0;
  {
    boost::asio::io_context io;
    async_query(io, settings_for(server), "v4.example.test", ns_t_a, [&](QueryResult) { ++calls; });
    async_resolve(io, settings_for(server), "127.0.0.1", 80,
                  [&](boost::system::error_code, Endpoints) { ++calls; });
  }
  EXPECT_EQ(calls, 0);
}

TEST(DnsClient, ResolvesANameThroughTheListedServer) {
  DnsTestServer server(kRecords);
  const Resolved resolved = resolve(settings_for(server), "app.example.test", 8443);
  EXPECT_FALSE(resolved.error) << resolved.error.message();
  EXPECT_EQ(sorted(resolved.endpoints), (std::vector<std::string>{"127.0.0.1:8443", "[::1]:8443"}));
  EXPECT_EQ(server.udp_queries(), 2);  // A and AAAA
}

TEST(DnsClient, ResolvesOverTcpOnlyWhenAsked) {
  DnsTestServer server(kRecords);
  ResolverSettings settings = settings_for(server);
  settings.tcp = true;
  const Resolved resolved = resolve(settings, "v4.example.test", 80);
  EXPECT_FALSE(resolved.error) << resolved.error.message();
  EXPECT_EQ(sorted(resolved.endpoints), std::vector<std::string>{"127.0.0.2:80"});
  EXPECT_EQ(server.udp_queries(), 0);
  EXPECT_EQ(server.tcp_queries(), 2);
}

TEST(DnsClient, UnknownNameIsNoSuchHost) {
  DnsTestServer server(kRecords);
  const Resolved resolved = resolve(settings_for(server), "missing.example.test", 80);
  EXPECT_EQ(resolved.error, make_ares_error(ARES_ENOTFOUND));
  EXPECT_EQ(resolved.error.message(), "no such host");
  EXPECT_TRUE(resolved.endpoints.empty());
}

TEST(DnsClient, NameWithoutAddressesIsAnError) {
  DnsTestServer server(kRecords);
  const Resolved resolved = resolve(settings_for(server), "text.example.test", 80);
  EXPECT_EQ(resolved.error.message(), "no A or AAAA record");
  EXPECT_TRUE(resolved.endpoints.empty());
}

constexpr std::string_view kNoServerAnsweredText =
    "no DNS server gave an answer (SERVFAIL, REFUSED or connection refused)";

TEST(DnsClient, ServfailOrRefusedFromTheFirstServerMovesOnToTheNext) {
  for (const DnsFault fault : {DnsFault::servfail, DnsFault::refused}) {
    DnsTestServer failing(kRecords);
    failing.set_fault("", fault);
    DnsTestServer healthy(kRecords);
    ResolverSettings settings = settings_for(failing);
    settings.servers.push_back(*parse_server(healthy.address()));
    const Resolved resolved = resolve(settings, "app.example.test", 80);
    EXPECT_FALSE(resolved.error) << resolved.error.message();
    EXPECT_EQ(sorted(resolved.endpoints), (std::vector<std::string>{"127.0.0.1:80", "[::1]:80"}));
    EXPECT_EQ(failing.udp_queries(), 2);  // A and AAAA once: passed over in the second try
    EXPECT_EQ(healthy.udp_queries(), 2);
  }
}

TEST(DnsClient, ServfailOrRefusedFromEveryServerIsNoServerAnswered) {
  for (const auto& [first, second] : {std::pair{DnsFault::servfail, DnsFault::servfail},
                                      std::pair{DnsFault::refused, DnsFault::refused},
                                      std::pair{DnsFault::servfail, DnsFault::refused}}) {
    DnsTestServer one(kRecords);
    one.set_fault("", first);
    DnsTestServer two(kRecords);
    two.set_fault("", second);
    ResolverSettings settings = settings_for(one);
    settings.servers.push_back(*parse_server(two.address()));
    const auto started = Clock::now();
    const Resolved resolved = resolve(settings, "app.example.test", 80);
    EXPECT_EQ(resolved.error, make_ares_error(kNoServerAnswered));
    EXPECT_EQ(resolved.error.message(), kNoServerAnsweredText);
    EXPECT_TRUE(resolved.endpoints.empty());
    EXPECT_EQ(one.udp_queries(), 2);
    EXPECT_EQ(two.udp_queries(), 2);
    EXPECT_LT(Clock::now() - started, 500ms) << "no timeout is waited for";
  }
}

TEST(DnsClient, ALoneServerAnsweringServfailOrRefusedIsAskedEveryTry) {
  for (const DnsFault fault : {DnsFault::servfail, DnsFault::refused}) {
    DnsTestServer failing(kRecords);
    failing.set_fault("", fault);
    const Resolved resolved = resolve(settings_for(failing), "app.example.test", 80);
    EXPECT_EQ(resolved.error.message(), kNoServerAnsweredText);
    EXPECT_EQ(failing.udp_queries(), 4);  // A and AAAA, in each of the 2 tries
  }
}

TEST(DnsClient, ClosedPortWhileResolvingIsNoServerAnsweredOverTcp) {
  const std::uint16_t port = loopback::unused_port();
  ResolverSettings settings{
      .servers = {ServerAddress{.address = make_address("127.0.0.1"), .port = port}},
      .tcp = true,
      .try_timeout = 1s,
      .tries = 1};
  auto started = Clock::now();
  const Resolved over_tcp = resolve(settings, "app.example.test", 80);
  EXPECT_EQ(over_tcp.error, make_ares_error(kNoServerAnswered));
  EXPECT_EQ(over_tcp.error.message(), kNoServerAnsweredText);
  EXPECT_LT(Clock::now() - started, 500ms);
  // Over UDP, c-ares 1.18 sends A and AAAA on one socket: the port unreachable error fails one
  // of them, the other waits for its timeout, and the lookup ends with the last to finish.
  settings.tcp = false;
  started = Clock::now();
  const Resolved over_udp = resolve(settings, "app.example.test", 80);
  EXPECT_EQ(over_udp.error.message(), "no answer (timed out)");
  EXPECT_GE(Clock::now() - started, 1s);
}

TEST(DnsClient, ResolvingAgainstASilentServerTimesOut) {
  DnsTestServer server(kRecords);
  server.set_fault("", DnsFault::silent);
  ResolverSettings settings = settings_for(server);
  settings.try_timeout = 100ms;
  settings.tries = 1;
  const auto started = Clock::now();
  const Resolved resolved = resolve(settings, "app.example.test", 80);
  EXPECT_EQ(resolved.error.message(), "no answer (timed out)");
  EXPECT_LT(Clock::now() - started, 500ms);
}

TEST(DnsClient, IpLiteralsResolveWithoutAQuery) {
  DnsTestServer server(kRecords);
  EXPECT_EQ(sorted(resolve(settings_for(server), "127.0.0.1", 80).endpoints),
            std::vector<std::string>{"127.0.0.1:80"});
  EXPECT_EQ(sorted(resolve(settings_for(server), "[::1]", 443).endpoints),
            std::vector<std::string>{"[::1]:443"});
  EXPECT_EQ(sorted(resolve(settings_for(server), "::1", 443).endpoints),
            std::vector<std::string>{"[::1]:443"});
  EXPECT_EQ(server.udp_queries(), 0);
  EXPECT_EQ(server.tcp_queries(), 0);
}

TEST(DnsClient, LocalhostComesFromEtcHostsWithTheSystemSettings) {
  const Resolved resolved = resolve(ResolverSettings{}, "localhost", 5432);
  EXPECT_FALSE(resolved.error) << resolved.error.message();
  const std::vector<std::string> found = sorted(resolved.endpoints);
  EXPECT_NE(std::find(found.begin(), found.end(), "127.0.0.1:5432"), found.end())
      << ::testing::PrintToString(found);
}

TEST(DnsClient, LocalhostIsNeverSentToListedServers) {
  DnsTestServer server(kRecords);
  const Resolved resolved = resolve(settings_for(server), "localhost", 5432);
  EXPECT_FALSE(resolved.error) << resolved.error.message();
  const std::vector<std::string> found = sorted(resolved.endpoints);
  EXPECT_NE(std::find(found.begin(), found.end(), "127.0.0.1:5432"), found.end())
      << ::testing::PrintToString(found);
  EXPECT_EQ(server.udp_queries(), 0);
}

TEST(DnsClient, NamesUnderLocalhostAreLoopbackWithoutAQuery) {
  DnsTestServer server(kRecords);
  for (const std::string name : {"db.localhost", "a.b.LOCALHOST.", "localhost."}) {
    const Resolved resolved = resolve(settings_for(server), name, 8080);
    EXPECT_FALSE(resolved.error) << name << ": " << resolved.error.message();
    const std::vector<std::string> found = sorted(resolved.endpoints);
    EXPECT_NE(std::find(found.begin(), found.end(), "127.0.0.1:8080"), found.end())
        << name << ": " << ::testing::PrintToString(found);
  }
  // Not under localhost: asked.
  EXPECT_EQ(resolve(settings_for(server), "localhost.example.test", 80).error.message(),
            "no such host");
  EXPECT_EQ(server.udp_queries(), 2);
}

TEST(DnsClient, ListedServersIgnoreEtcHosts) {
  // A name from /etc/hosts other than localhost; the test server does not know it.
  std::ifstream hosts("/etc/hosts");
  std::string line, name;
  while (name.empty() && std::getline(hosts, line)) {
    std::istringstream fields(line.substr(0, line.find('#')));
    std::string address, alias;
    fields >> address;
    while (name.empty() && fields >> alias) {
      if (alias != "localhost" && !alias.ends_with(".localhost")) name = alias;
    }
  }
  if (name.empty()) GTEST_SKIP() << "/etc/hosts names nothing but localhost";
  const Resolved from_hosts = resolve(ResolverSettings{}, name, 80);
  EXPECT_FALSE(from_hosts.error) << name << ": " << from_hosts.error.message();

  DnsTestServer server(kRecords);
  const Resolved resolved = resolve(settings_for(server), name, 80);
  EXPECT_EQ(resolved.error.message(), "no such host") << name;
  EXPECT_EQ(server.udp_queries(), 2);  // A and AAAA, as written: no search domains
}

TEST(DnsClient, ResolverFacadeCancelGivesOperationAborted) {
  DnsTestServer server(kRecords);
  server.set_delay(100ms);
  boost::asio::io_context io;
  Resolver resolver(io, settings_for(server));
  std::vector<boost::system::error_code> errors;
  resolver.async_resolve(
      "app.example.test", 80,
      [&](boost::system::error_code error, Resolver::Endpoints) { errors.push_back(error); });
  io.run_for(10ms);
  resolver.cancel();
  EXPECT_TRUE(errors.empty()) << "the handler must not run inside cancel()";
  io.run();
  EXPECT_EQ(errors, std::vector<boost::system::error_code>{boost::asio::error::operation_aborted});
}

// Resolves app.example.test through the Resolver facade with an attempt's `budget`, and says
// how long the lookup took to end.
std::pair<boost::system::error_code, Duration> resolve_through_facade(ResolverSettings settings,
                                                                      Duration budget) {
  boost::asio::io_context io;
  Resolver resolver(io, std::move(settings), budget);
  boost::system::error_code error;
  Duration elapsed{};
  const auto started = Clock::now();
  resolver.async_resolve("app.example.test", 80,
                         [&](boost::system::error_code found, Resolver::Endpoints) {
                           error = found;
                           elapsed = Clock::now() - started;
                         });
  io.run();
  return {error, elapsed};
}

TEST(DnsClient, ResolverFacadeEndsItsTriesJustAfterTheBudget) {
  DnsTestServer server(kRecords);
  server.set_fault("", DnsFault::silent);
  const auto [error, elapsed] =
      resolve_through_facade(ResolverSettings{.servers = {*parse_server(server.address())}}, 150ms);
  EXPECT_EQ(error.message(), "no answer (timed out)");
  // Two rounds, 55ms then 110ms: just past the budget, not c-ares's default of 75s.
  EXPECT_GE(elapsed, 160ms);
  EXPECT_LT(elapsed, 600ms);
  EXPECT_EQ(server.udp_queries(), 4);  // A and AAAA, twice
}

TEST(DnsClient, ResolverFacadeFitsEveryServersTriesIntoTheBudget) {
  DnsTestServer one(kRecords);
  one.set_fault("", DnsFault::silent);
  DnsTestServer two(kRecords);
  two.set_fault("", DnsFault::silent);
  const auto [error, elapsed] = resolve_through_facade(
      ResolverSettings{.servers = {*parse_server(one.address()), *parse_server(two.address())}},
      150ms);
  EXPECT_EQ(error.message(), "no answer (timed out)");
  // Two rounds over both servers, 30ms each then 60ms each: 180ms.
  EXPECT_GE(elapsed, 180ms);
  EXPECT_LT(elapsed, 600ms);
  EXPECT_EQ(one.udp_queries(), 4);
  EXPECT_EQ(two.udp_queries(), 4);
}

TEST(DnsClient, ServerCountIsTheChannelsOwn) {
  boost::asio::io_context io;
  EXPECT_EQ(server_count(io, ResolverSettings{.servers = {*parse_server("127.0.0.1:5353"),
                                                          *parse_server("[::1]:5353")}}),
            2u);
  // The system's: as many as resolv.conf lists (read here, nothing is sent), else 127.0.0.1.
  std::ifstream resolv_conf("/etc/resolv.conf");
  std::size_t listed = 0;
  for (std::string line; std::getline(resolv_conf, line);) {
    std::istringstream fields(line);
    std::string keyword;
    if (fields >> keyword && keyword == "nameserver") ++listed;
  }
  EXPECT_EQ(server_count(io, ResolverSettings{}), std::max<std::size_t>(listed, 1));
}

TEST(DnsClient, ResolverFacadeResolvesThroughItsSettings) {
  DnsTestServer server(kRecords);
  boost::asio::io_context io;
  Resolver resolver(io, settings_for(server));
  std::vector<std::string> found;
  int calls = 0;
  resolver.async_resolve("v4.example.test", 5432,
                         [&](boost::system::error_code error, Resolver::Endpoints endpoints) {
                           ++calls;
                           EXPECT_FALSE(error);
                           found = sorted(endpoints);
                         });
  io.run();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(found, std::vector<std::string>{"127.0.0.2:5432"});
}

}  // namespace
}  // namespace cutover::dns

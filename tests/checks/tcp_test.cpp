#include "checks/tcp.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "checks/builtin.hpp"
#include "checks/net/resolver.hpp"
#include "harness/registry.hpp"
#include "harness/suite.hpp"
#include "loopback/dns_servers.hpp"
#include "loopback/process.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/check_runner.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::FieldMap;

// Short enough to keep the suite fast; the check's own budget is 270ms of it.
constexpr Duration kShortTimeout = 300ms;
constexpr Duration kTimeout = 5s;

FieldMap target(std::string host, std::uint16_t port, std::string expect = "open") {
  return {{"host", std::move(host)}, {"port", std::int64_t{port}}, {"expect", std::move(expect)}};
}

using test::Completed;
using test::expect_result;
using test::expect_result_matching;
using test::find_measurement;
using test::make_fields;
using test::run_check;

std::unique_ptr<TcpCheck> make_check(FieldMap values) {
  return test::make_check<TcpCheck>(std::move(values));
}

std::vector<std::string> construction_errors(FieldMap values) {
  return test::construction_errors<TcpCheck>(std::move(values));
}

Completed run_check(FieldMap values, Duration timeout = kTimeout) {
  return run_check(*make_check(std::move(values)), timeout);
}

std::string port_text(std::uint16_t port) {
  return std::to_string(port);
}

constexpr const char* kLatency = R"(\d+\.\d{1,2}ms)";

TEST(TcpCheck, OpenPortPassesAndMeasuresConnectTime) {
  loopback::AcceptingServer server;
  const Completed run = run_check(target("127.0.0.1", server.port()));
  expect_result_matching(
      run, Outcome::passed,
      R"(connected to 127\.0\.0\.1:)" + port_text(server.port()) + " in " + kLatency);
  const Measurement* connect = find_measurement(run.result, "connect_ms");
  ASSERT_NE(connect, nullptr);
  EXPECT_EQ(connect->unit, "ms");
  EXPECT_GE(connect->value, 0);
}

TEST(TcpCheck, RefusedPortFailsExpectOpen) {
  const std::uint16_t port = loopback::unused_port();
  const Completed run = run_check(target("127.0.0.1", port));
  expect_result(
      run, Outcome::failed,
      "expected open, got refused: 127.0.0.1:" + port_text(port) + " refused the connection");
  EXPECT_NE(find_measurement(run.result, "connect_ms"), nullptr);
}

TEST(TcpCheck, RefusedPortPassesExpectClosedAndRefused) {
  const std::uint16_t port = loopback::unused_port();
  const std::string refused = "127.0.0.1:" + port_text(port) + " refused the connection";
  expect_result(run_check(target("127.0.0.1", port, "closed")), Outcome::passed, refused);
  expect_result(run_check(target("127.0.0.1", port, "refused")), Outcome::passed, refused);
}

TEST(TcpCheck, RefusedPortFailsExpectFiltered) {
  const std::uint16_t port = loopback::unused_port();
  expect_result(
      run_check(target("127.0.0.1", port, "filtered")), Outcome::failed,
      "expected filtered, got refused: 127.0.0.1:" + port_text(port) + " refused the connection");
}

TEST(TcpCheck, OpenPortFailsExpectClosed) {
  loopback::AcceptingServer server;
  expect_result_matching(run_check(target("127.0.0.1", server.port(), "closed")), Outcome::failed,
                         R"(expected closed, got open: connected to 127\.0\.0\.1:)" +
                             port_text(server.port()) + " in " + kLatency);
  expect_result_matching(run_check(target("127.0.0.1", server.port(), "refused")), Outcome::failed,
                         R"(expected refused, got open: connected to 127\.0\.0\.1:)" +
                             port_text(server.port()) + " in " + kLatency);
}

TEST(TcpCheck, UnansweredConnectIsAnErrorForExpectOpen) {
  loopback::UnansweringServer server;
  const Completed run = run_check(target("127.0.0.1", server.port()), kShortTimeout);
  // 300ms timeout, minus a tenth so the check answers before the scheduler's watchdog.
  expect_result(run, Outcome::error,
                "timed out after 270ms connecting to 127.0.0.1:" + port_text(server.port()) +
                    ", expected open");
  EXPECT_EQ(find_measurement(run.result, "connect_ms"), nullptr);
  EXPECT_GE(run.elapsed, 270ms);
  EXPECT_LT(run.elapsed, 1s) << "the check must not wait for SYN retransmissions";
}

TEST(TcpCheck, UnansweredConnectPassesExpectFilteredAndClosed) {
  loopback::UnansweringServer server;
  const std::string filtered =
      "no answer from 127.0.0.1:" + port_text(server.port()) + " within 270ms (filtered)";
  expect_result(run_check(target("127.0.0.1", server.port(), "filtered"), kShortTimeout),
                Outcome::passed, filtered);
  expect_result(run_check(target("127.0.0.1", server.port(), "closed"), kShortTimeout),
                Outcome::passed, filtered);
}

TEST(TcpCheck, UnansweredConnectFailsExpectRefused) {
  loopback::UnansweringServer server;
  expect_result(
      run_check(target("127.0.0.1", server.port(), "refused"), kShortTimeout), Outcome::failed,
      "expected refused, got filtered: no answer from 127.0.0.1:" + port_text(server.port()) +
          " within 270ms");
}

TEST(TcpCheck, BudgetMarginIsAtMostATenthOfASecond) {
  loopback::UnansweringServer server;
  auto check = make_check(target("127.0.0.1", server.port(), "filtered"));
  expect_result(run_check(*check, 1200ms), Outcome::passed,
                "no answer from 127.0.0.1:" + port_text(server.port()) + " within 1.1s (filtered)");
}

TEST(TcpCheck, CancellationEndsTheAttemptPromptlyAndOnce) {
  loopback::UnansweringServer server;
  auto check = make_check(target("127.0.0.1", server.port(), "filtered"));
  const Completed run = run_check(*check, kTimeout, 50ms);
  expect_result(run, Outcome::error,
                "cancelled while checking 127.0.0.1:" + port_text(server.port()));
  EXPECT_LT(run.elapsed, 1s);
}

TEST(TcpCheck, CancelledBeforeStartStillCompletesOnce) {
  loopback::AcceptingServer server;
  auto check = make_check(target("127.0.0.1", server.port()));
  const test::CancelledBeforeStart cancelled = test::run_cancelled_before_start(*check);
  EXPECT_EQ(cancelled.completions_inside_start, 0) << "done must not run inside start()";
  EXPECT_EQ(cancelled.run.completions, 1);
  EXPECT_EQ(cancelled.run.result.outcome, Outcome::error);
}

TEST(TcpCheck, Ipv6Loopback) {
  if (!loopback::ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  loopback::AcceptingServer server(boost::asio::ip::address_v6::loopback());
  const std::string label = R"(\[::1\]:)" + port_text(server.port());
  expect_result_matching(run_check(target("::1", server.port())), Outcome::passed,
                         "connected to " + label + " in " + kLatency);
  expect_result_matching(run_check(target("[::1]", server.port())), Outcome::passed,
                         "connected to " + label + " in " + kLatency);
}

TEST(TcpCheck, Ipv6RefusedPort) {
  if (!loopback::ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  const std::uint16_t port = loopback::unused_port(boost::asio::ip::address_v6::loopback());
  expect_result(run_check(target("[::1]", port, "refused")), Outcome::passed,
                "[::1]:" + port_text(port) + " refused the connection");
}

TEST(TcpCheck, HostNameGoesThroughTheResolver) {
  loopback::AcceptingServer server;
  // The message names the address that accepted; localhost may list ::1 first, which refuses.
  expect_result_matching(
      run_check(target("localhost", server.port())), Outcome::passed,
      "connected to localhost:" + port_text(server.port()) + R"( \(127\.0\.0\.1\) in )" + kLatency);
}

TEST(TcpCheck, UnresolvableNameIsAnError) {
  // A 64-character label is longer than DNS allows, so c-ares fails it without sending a query
  // to the system's resolvers: the test stays on this machine.
  const std::string host = std::string(64, 'a') + ".invalid";
  const Completed run = run_check(target(host, 443));
  expect_result(run, Outcome::error, "could not resolve " + host + ": not a valid host name");
}

TEST(TcpCheck, HostNameResolvesThroughTheCheckResolver) {
  loopback::AcceptingServer server;
  loopback::DnsTestServer dns({{"db.example.test.", "A", 60, "127.0.0.1"}});
  FieldMap values = target("db.example.test", server.port());
  values["resolver"] = json{{"servers", {dns.address()}}};
  expect_result_matching(run_check(std::move(values)), Outcome::passed,
                         "connected to db\\.example\\.test:" + port_text(server.port()) +
                             R"( \(127\.0\.0\.1\) in )" + kLatency);
  EXPECT_EQ(dns.udp_queries(), 2);  // A and AAAA
  EXPECT_EQ(dns.tcp_queries(), 0);
}

TEST(TcpCheck, CheckResolverOverTcp) {
  loopback::AcceptingServer server;
  loopback::DnsTestServer dns({{"db.example.test.", "A", 60, "127.0.0.1"}});
  FieldMap values = target("db.example.test", server.port());
  values["resolver"] = json{{"servers", {"127.0.0.1:" + port_text(dns.port())}}, {"tcp", true}};
  EXPECT_EQ(run_check(std::move(values)).result.outcome, Outcome::passed);
  EXPECT_EQ(dns.udp_queries(), 0);
  EXPECT_EQ(dns.tcp_queries(), 2);
}

TEST(TcpCheck, NameTheCheckResolverDoesNotKnowIsAnError) {
  loopback::DnsTestServer dns({{"db.example.test.", "A", 60, "127.0.0.1"}});
  FieldMap values = target("old-db.example.test", 5432, "closed");
  values["resolver"] = json{{"servers", {dns.address()}}};
  expect_result(run_check(std::move(values)), Outcome::error,
                "could not resolve old-db.example.test: no such host");
}

// The DNS-budget rule: a lookup that never ends is the check's error, within its budget, and
// names the DNS stage.
TEST(TcpCheck, SilentResolverTimesOutInTheDnsStageWithinTheBudget) {
  loopback::DnsTestServer dns;
  dns.set_fault("", loopback::DnsFault::silent);
  FieldMap values = target("db.example.test", 5432, "closed");
  values["resolver"] = json{{"servers", {dns.address()}}};
  const Completed run = run_check(std::move(values), kShortTimeout);
  expect_result(run, Outcome::error, "timed out after 270ms resolving db.example.test");
  EXPECT_GE(run.elapsed, 270ms);
  EXPECT_LT(run.elapsed, 1s);
  // A and AAAA at once, again after 95ms (270ms / 3, plus 5ms); the last try would end at 285ms.
  EXPECT_EQ(dns.udp_queries(), 4);
}

TEST(TcpCheck, ResolverWhereNoServerAnswersIsAnError) {
  for (const loopback::DnsFault fault :
       {loopback::DnsFault::servfail, loopback::DnsFault::refused}) {
    loopback::DnsTestServer dns({{"db.example.test.", "A", 60, "127.0.0.1"}});
    dns.set_fault("", fault);
    FieldMap values = target("db.example.test", 5432, "closed");
    values["resolver"] = json{{"servers", {dns.address()}}};
    expect_result(run_check(std::move(values)), Outcome::error,
                  "could not resolve db.example.test: no DNS server gave an answer (SERVFAIL, "
                  "REFUSED or connection refused)");
  }
}

TEST(TcpCheck, ResolverMovesOnFromAFailingServerToTheNext) {
  loopback::AcceptingServer server;
  loopback::DnsTestServer failing({{"db.example.test.", "A", 60, "127.0.0.1"}});
  failing.set_fault("", loopback::DnsFault::servfail);
  loopback::DnsTestServer dns({{"db.example.test.", "A", 60, "127.0.0.1"}});
  FieldMap values = target("db.example.test", server.port());
  values["resolver"] = json{{"servers", {failing.address(), dns.address()}}};
  expect_result_matching(run_check(std::move(values)), Outcome::passed,
                         "connected to db\\.example\\.test:" + port_text(server.port()) +
                             R"( \(127\.0\.0\.1\) in )" + kLatency);
  EXPECT_EQ(failing.udp_queries(), 2);  // A and AAAA, once
  EXPECT_EQ(dns.udp_queries(), 2);
}

TEST(TcpCheck, ResolverFieldMistakesAreFieldErrors) {
  const auto errors = [](json resolver) {
    FieldMap values = target("db.example.test", 5432);
    values["resolver"] = std::move(resolver);
    return construction_errors(std::move(values));
  };
  EXPECT_EQ(errors(json{{"servers", {"10.0.0.53"}}, {"tpc", true}}),
            std::vector<std::string>{
                "suite.yaml:7:5: error: resolver: unknown key 'tpc' (did you mean 'tcp'?)"});
  EXPECT_EQ(errors(json{{"servers", {"10.0.0.53"}}, {"search", "example.test"}}),
            std::vector<std::string>{"suite.yaml:7:5: error: resolver: unknown key 'search' "
                                     "(expected one of: servers, tcp)"});
  EXPECT_EQ(errors(json{{"servers", {"10.0.0.53", "dns.example.test", "10.0.0.54:0"}}}),
            (std::vector<std::string>{
                "suite.yaml:7:5: error: resolver: servers: expected an IP address with an "
                "optional port (10.0.0.53, 10.0.0.53:5353, [::1]:5353), got \"dns.example.test\"",
                "suite.yaml:7:5: error: resolver: servers: expected an IP address with an "
                "optional port (10.0.0.53, 10.0.0.53:5353, [::1]:5353), got \"10.0.0.54:0\""}));
  EXPECT_EQ(errors(json{{"servers", json::array()}}),
            std::vector<std::string>{"suite.yaml:7:5: error: resolver: servers: expected one or "
                                     "more DNS server addresses, got an empty list"});
  EXPECT_EQ(errors(json{{"tcp", true}}),
            std::vector<std::string>{"suite.yaml:7:5: error: resolver: servers: missing: list the "
                                     "DNS servers to ask, like servers: [\"10.0.0.53\"]"});
  EXPECT_EQ(errors(json{{"servers", {53}}, {"tcp", "yes"}}),
            (std::vector<std::string>{
                "suite.yaml:7:5: error: resolver: tcp: expected true or false, got \"yes\"",
                "suite.yaml:7:5: error: resolver: servers: expected an IP address with an "
                "optional port (10.0.0.53, 10.0.0.53:5353, [::1]:5353), got 53"}));
  EXPECT_EQ(errors(json{{"servers", json::array({json{{"address", "10.0.0.53"}}})}}),
            std::vector<std::string>{
                "suite.yaml:7:5: error: resolver: servers: expected an IP address with an "
                "optional port (10.0.0.53, 10.0.0.53:5353, [::1]:5353), got a mapping"});
  EXPECT_EQ(errors(json("10.0.0.53")),
            std::vector<std::string>{"suite.yaml:7:5: error: resolver: expected a mapping like "
                                     "{servers: [\"10.0.0.53\"]}, got \"10.0.0.53\""});
  EXPECT_EQ(errors(json{{"servers", "10.0.0.53:5353"}, {"tcp", false}}), std::vector<std::string>{})
      << "a single server may be written without a list";
}

TEST(TcpCheck, ResolverFieldReadsServersInOrder) {
  FieldMap values = target("db.example.test", 5432);
  values["resolver"] = json{{"servers", {"10.0.0.53", "[::1]:5353", "10.0.0.54:5353"}}};
  Fields fields = make_fields(std::move(values));
  const dns::ResolverSettings settings = read_resolver_field(fields);
  EXPECT_TRUE(fields.take_diagnostics().empty());
  std::vector<std::string> labels;
  for (const dns::ServerAddress& server : settings.servers)
    labels.push_back(server.label());
  EXPECT_EQ(labels, (std::vector<std::string>{"10.0.0.53:53", "[::1]:5353", "10.0.0.54:5353"}));
  EXPECT_FALSE(settings.tcp);
  Fields absent = make_fields(target("db.example.test", 5432));
  EXPECT_EQ(read_resolver_field(absent), dns::ResolverSettings{});
}

// In a network namespace of its own, even loopback is down: the runner has no route at all.
// "expect: closed" must not pass because the runner is cut off.
TEST(TcpCheck, NoRouteFromTheRunnerIsAnErrorNotAClosedPort) {
  if (loopback::run_command({"/usr/bin/unshare", "-n", "/bin/true"}).exit_code != 0) {
    GTEST_SKIP() << "needs root to create a network namespace";
  }
  loopback::TempDir dir;
  const auto suite =
      dir.write("suite.yaml",
                "suite: s\nchecks:\n"
                "  - { name: a, kind: tcp, host: 127.0.0.1, port: 1, expect: closed }\n");
  const loopback::ProcessResult result =
      loopback::run_command({"/usr/bin/unshare", "-n", CUTOVER_BINARY, "run", suite.string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_TRUE(result.out.starts_with("ERROR a (")) << result.out;
  EXPECT_NE(
      result.out.find("ms): cannot reach 127.0.0.1:1 from this runner: Network is unreachable\n"),
      std::string::npos)
      << result.out;
}

TEST(TcpCheck, MaxLatencyHolds) {
  loopback::AcceptingServer server;
  FieldMap values = target("127.0.0.1", server.port());
  values["max_latency"] = Duration(10s);
  expect_result_matching(
      run_check(std::move(values)), Outcome::passed,
      R"(connected to 127\.0\.0\.1:)" + port_text(server.port()) + " in " + kLatency);
}

TEST(TcpCheck, MaxLatencyExceededFails) {
  loopback::AcceptingServer server;
  FieldMap values = target("127.0.0.1", server.port());
  values["max_latency"] = Duration(1ns);
  const Completed run = run_check(std::move(values));
  expect_result_matching(run, Outcome::failed,
                         R"(connected to 127\.0\.0\.1:)" + port_text(server.port()) + " in " +
                             kLatency + ", expected at most 1ns");
  EXPECT_NE(find_measurement(run.result, "connect_ms"), nullptr);
}

TEST(TcpCheck, Describe) {
  EXPECT_EQ(make_check(target("127.0.0.1", 8443))->describe(), "127.0.0.1:8443 expect open");
  EXPECT_EQ(make_check(target("[::1]", 5432, "filtered"))->describe(),
            "[::1]:5432 expect filtered");
  EXPECT_EQ(make_check(target("::1", 5432, "closed"))->describe(), "[::1]:5432 expect closed");
  FieldMap values = target("db.internal", 5432);
  values["max_latency"] = Duration(10ms);
  EXPECT_EQ(make_check(std::move(values))->describe(), "db.internal:5432 expect open within 10ms");
  values = target("db.internal", 5432);
  values["resolver"] = json{{"servers", {"10.0.0.53"}}};
  EXPECT_EQ(make_check(std::move(values))->describe(), "db.internal:5432 expect open");
}

TEST(TcpCheck, ExpectDefaultsToOpen) {
  EXPECT_EQ(
      make_check({{"host", std::string("10.0.0.1")}, {"port", std::int64_t{5432}}})->describe(),
      "10.0.0.1:5432 expect open");
}

TEST(TcpCheck, MaxLatencyWithAnotherExpectIsAFieldError) {
  FieldMap values = target("127.0.0.1", 8443, "closed");
  values["max_latency"] = Duration(10ms);
  EXPECT_EQ(construction_errors(std::move(values)),
            std::vector<std::string>{
                "suite.yaml:7:5: error: max_latency applies to expect open only, this check "
                "expects closed"});
}

TEST(TcpCheck, PortOutOfRangeIsAFieldError) {
  EXPECT_EQ(test::load_errors("tcp", {"host: 127.0.0.1", "port: 0"}),
            std::vector<std::string>{
                "suite.yaml:6:11: error: port: expected an integer from 1 to 65535, got '0'"});
  EXPECT_EQ(test::load_errors("tcp", {"host: 127.0.0.1", "port: 70000"}),
            std::vector<std::string>{
                "suite.yaml:6:11: error: port: expected an integer from 1 to 65535, got '70000'"});
}

TEST(TcpCheck, MalformedHostsAreFieldErrors) {
  EXPECT_EQ(
      construction_errors(target("[10.0.0.1]", 80)),
      std::vector<std::string>{
          R"(suite.yaml:7:5: error: expected an IPv6 address inside brackets, got "[10.0.0.1]")"});
  EXPECT_EQ(
      construction_errors(target("db.internal:5432", 5432)),
      std::vector<std::string>{
          R"(suite.yaml:7:5: error: expected a host name or IP address, got "db.internal:5432" (the port goes in `port`))"});
  EXPECT_EQ(test::load_errors("tcp", {"host: ''", "port: 80"}),
            std::vector<std::string>{
                "suite.yaml:5:11: error: host: expected a non-empty string, got ''"});
}

TEST(TcpCheck, SpecDeclaresFieldsForValidation) {
  const KindSpec spec = TcpCheck::spec();
  ASSERT_EQ(spec.fields.size(), 5u);
  EXPECT_EQ(spec.fields[0].name, "host");
  EXPECT_TRUE(spec.fields[0].required);
  const FieldSpec& port = spec.fields[1];
  EXPECT_EQ(port.name, "port");
  EXPECT_EQ(port.type, FieldType::integer);
  EXPECT_TRUE(port.required);
  EXPECT_EQ(port.min, 1);
  EXPECT_EQ(port.max, 65535);
  const FieldSpec& expect = spec.fields[2];
  EXPECT_EQ(expect.type, FieldType::choice);
  EXPECT_EQ(expect.choices, (std::vector<std::string>{"open", "closed", "refused", "filtered"}));
  EXPECT_EQ(expect.default_value, "open");
  EXPECT_EQ(spec.fields[3].name, "max_latency");
  EXPECT_EQ(spec.fields[3].type, FieldType::duration);
  EXPECT_EQ(spec.fields[4].name, "resolver");
  EXPECT_EQ(spec.fields[4].type, FieldType::object);
  EXPECT_FALSE(spec.fields[4].required);
}

TEST(BuiltinChecks, RegistersTcp) {
  Registry registry;
  register_builtin_checks(registry);
  const Kind* kind = registry.find("tcp");
  ASSERT_NE(kind, nullptr);
  Fields fields = make_fields(target("127.0.0.1", 8443));
  EXPECT_EQ(kind->factory(fields)->describe(), "127.0.0.1:8443 expect open");
}

TEST(Resolver, LiteralsResolveWithoutALookupAndNeverInline) {
  boost::asio::io_context io;
  Resolver resolver(io);
  int calls = 0;
  resolver.async_resolve(
      "[::1]", 5432, [&](boost::system::error_code error, Resolver::Endpoints endpoints) {
        ++calls;
        EXPECT_FALSE(error);
        ASSERT_EQ(endpoints.size(), 1u);
        EXPECT_EQ(endpoints[0],
                  boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v6::loopback(), 5432));
      });
  EXPECT_EQ(calls, 0);
  io.run();
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace cutover

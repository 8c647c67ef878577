#include "checks/dns.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>

#include "checks/builtin.hpp"
#include "harness/registry.hpp"
#include "harness/suite.hpp"
#include "loopback/dns_servers.hpp"
#include "loopback/nsd_server.hpp"
#include "loopback/process.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/check_runner.hpp"
#include "tests/support/dns_wire.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;
using loopback::DnsFault;
using loopback::DnsRecord;
using loopback::DnsTestServer;
using test::Completed;
using test::expect_result;
using test::FieldMap;
using test::find_measurement;
using Strings = std::vector<std::string>;
using namespace test::wire;
using boost::asio::ip::tcp;
using boost::asio::ip::udp;

// Short enough to keep the suite fast; the check's own budget is 270ms of it.
constexpr Duration kShortTimeout = 300ms;
constexpr Duration kTimeout = 2s;

std::vector<loopback::DnsRecord> example_records() {
  return {
      {"app.example.test.", "A", 60, "10.0.0.1"},
      {"app.example.test.", "A", 60, "10.0.0.2"},
      {"app.example.test.", "MX", 300, "10 mail.example.test."},
      {"www.example.test.", "CNAME", 300, "edge.example.test."},
      {"edge.example.test.", "CNAME", 120, "app.example.test."},
      {"dangling.example.test.", "CNAME", 300, "gone.example.test."},
      {"v6.example.test.", "AAAA", 60, "2001:db8::1"},
      {"1.0.0.127.in-addr.arpa.", "PTR", 300, "host.example.test."},
  };
}

FieldMap query(std::string name, const std::vector<std::string>& servers, std::string type = "A") {
  return {{"query", std::move(name)}, {"type", std::move(type)}, {"servers", servers}};
}

std::unique_ptr<DnsCheck> make_check(FieldMap values, Duration timeout = kTimeout) {
  return test::make_check<DnsCheck>(std::move(values), timeout);
}

Completed run_check(FieldMap values, Duration timeout = kTimeout) {
  return test::run_check(*make_check(std::move(values), timeout), timeout);
}

Strings construction_errors(FieldMap values) {
  return test::construction_errors<DnsCheck>(std::move(values));
}

std::string error_line(const std::string& message) {
  return "suite.yaml:7:5: error: " + message;
}

class DnsCheckTest : public ::testing::Test {
 protected:
  loopback::DnsTestServer server_{example_records()};
  const std::string address_ = server_.address();

  FieldMap ask(std::string name, std::string type = "A") {
    return query(std::move(name), {address_}, std::move(type));
  }
};

TEST_F(DnsCheckTest, PassesWithAnswersAndMeasuresThem) {
  const Completed run = run_check(ask("app.example.test"));
  expect_result(run, Outcome::passed,
                "A app.example.test from " + address_ + ": [10.0.0.1, 10.0.0.2]");
  const Measurement* answers = find_measurement(run.result, "answers");
  ASSERT_NE(answers, nullptr);
  EXPECT_EQ(answers->value, 2);
  const Measurement* ttl = find_measurement(run.result, "min_ttl_s");
  ASSERT_NE(ttl, nullptr);
  EXPECT_EQ(ttl->value, 60);
  EXPECT_EQ(ttl->unit, "s");
  const Measurement* latency = find_measurement(run.result, "latency_ms@" + address_);
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->unit, "ms");
  EXPECT_GT(latency->value, 0);
  EXPECT_TRUE(std::regex_match(
      run.result.details, std::regex(address_ + R"(: NOERROR in \d+\.\d{1,2}ms\n)"
                                                R"(  app\.example\.test 60 A 10\.0\.0\.(1|2)\n)"
                                                R"(  app\.example\.test 60 A 10\.0\.0\.(1|2)\n)")))
      << run.result.details;
  EXPECT_EQ(server_.udp_queries(), 1);
  EXPECT_EQ(server_.tcp_queries(), 0);
}

TEST_F(DnsCheckTest, NoAnswersFailsWithoutAnAssertion) {
  expect_result(run_check(ask("app.example.test", "AAAA")), Outcome::failed,
                address_ + ": expected at least 1 AAAA record, got none");
}

TEST_F(DnsCheckTest, ExpectIsTheAnswerSet) {
  FieldMap values = ask("app.example.test");
  values["expect"] = Strings{"10.0.0.2", "10.0.0.1"};
  expect_result(run_check(values), Outcome::passed,
                "A app.example.test from " + address_ + ": [10.0.0.1, 10.0.0.2]");

  values["expect"] = Strings{"10.0.0.1"};
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected [10.0.0.1], got [10.0.0.1, 10.0.0.2]");
  values["expect"] = Strings{"10.0.0.1", "10.0.0.2", "10.0.0.3"};
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected [10.0.0.1, 10.0.0.2, 10.0.0.3], got [10.0.0.1, 10.0.0.2]");
}

TEST_F(DnsCheckTest, ExpectNoneNeedsNoRecords) {
  FieldMap values = ask("app.example.test", "AAAA");
  values["expect"] = Strings{};
  expect_result(run_check(values), Outcome::passed,
                "AAAA app.example.test from " + address_ + ": no AAAA records");
  values = ask("app.example.test");
  values["expect"] = Strings{};
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected no A records, got [10.0.0.1, 10.0.0.2]");
}

TEST_F(DnsCheckTest, ExpectComparesNormalisedValues) {
  FieldMap values = ask("v6.example.test", "AAAA");
  values["expect"] = Strings{"2001:DB8:0:0::1"};
  expect_result(run_check(values), Outcome::passed,
                "AAAA v6.example.test from " + address_ + ": [2001:db8::1]");

  values = ask("App.Example.Test.", "MX");
  values["expect"] = Strings{"10  MAIL.example.test."};
  expect_result(run_check(values), Outcome::passed,
                "MX app.example.test from " + address_ + ": [10 mail.example.test]");
}

TEST_F(DnsCheckTest, ExpectContains) {
  FieldMap values = ask("app.example.test");
  values["expect_contains"] = Strings{"10.0.0.2"};
  expect_result(run_check(values), Outcome::passed,
                "A app.example.test from " + address_ + ": [10.0.0.1, 10.0.0.2]");
  values["expect_contains"] = Strings{"10.0.0.2", "10.0.0.3", "10.0.0.4"};
  expect_result(run_check(values), Outcome::failed,
                address_ +
                    ": expected the answers to include 10.0.0.3, 10.0.0.4, got [10.0.0.1, "
                    "10.0.0.2]");
}

TEST_F(DnsCheckTest, ExpectNotContains) {
  FieldMap values = ask("app.example.test");
  values["expect_not_contains"] = Strings{"10.0.0.9"};
  expect_result(run_check(values), Outcome::passed,
                "A app.example.test from " + address_ + ": [10.0.0.1, 10.0.0.2]");
  values["expect_not_contains"] = Strings{"10.0.0.9", "10.0.0.1"};
  expect_result(
      run_check(values), Outcome::failed,
      address_ + ": expected the answers not to include 10.0.0.1, got [10.0.0.1, 10.0.0.2]");
}

TEST_F(DnsCheckTest, ExpectNotContainsStillNeedsAnAnswer) {
  // "The old address is gone" must not pass because the name has no address at all.
  FieldMap values = ask("app.example.test", "AAAA");
  values["expect_not_contains"] = Strings{"2001:db8::99"};
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected at least 1 AAAA record, got none");
}

TEST_F(DnsCheckTest, ExpectCnameThroughAChain) {
  FieldMap values = ask("www.example.test");
  values["expect_cname"] = std::string("App.Example.Test.");
  expect_result(run_check(values), Outcome::passed,
                "A www.example.test from " + address_ +
                    ": [10.0.0.1, 10.0.0.2] via CNAME edge.example.test -> app.example.test");
  values["expect_cname"] = std::string("edge.example.test");
  EXPECT_EQ(run_check(values).result.outcome, Outcome::passed);

  values["expect_cname"] = std::string("lb.example.test");
  expect_result(run_check(values), Outcome::failed,
                address_ +
                    ": expected a CNAME chain through lb.example.test, got www.example.test -> "
                    "edge.example.test -> app.example.test");

  values = ask("app.example.test");
  values["expect_cname"] = std::string("lb.example.test");
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected a CNAME chain through lb.example.test, got no CNAME");
}

TEST_F(DnsCheckTest, CnameQueryAnswersTheFirstLink) {
  FieldMap values = ask("www.example.test", "CNAME");
  values["expect"] = Strings{"edge.example.test"};
  values["expect_cname"] = std::string("edge.example.test");
  expect_result(run_check(values), Outcome::passed,
                "CNAME www.example.test from " + address_ + ": [edge.example.test]");
}

TEST_F(DnsCheckTest, NxdomainExpected) {
  FieldMap values = ask("gone.example.test");
  values["nxdomain"] = true;
  expect_result(run_check(values), Outcome::passed,
                "A gone.example.test from " + address_ + ": NXDOMAIN");

  values = ask("app.example.test");
  values["nxdomain"] = true;
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected NXDOMAIN, got NOERROR with [10.0.0.1, 10.0.0.2]");
  // The name exists with other types: NODATA is not NXDOMAIN.
  values["type"] = std::string("AAAA");
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected NXDOMAIN, got NOERROR with no AAAA records");
}

TEST_F(DnsCheckTest, NxdomainNotExpectedFailsNamingIt) {
  expect_result(run_check(ask("gone.example.test")), Outcome::failed,
                address_ + ": gone.example.test does not exist (NXDOMAIN)");
  FieldMap values = ask("gone.example.test");
  values["nxdomain"] = false;
  values["min_answers"] = std::int64_t{0};
  expect_result(run_check(values), Outcome::failed,
                address_ + ": gone.example.test does not exist (NXDOMAIN)");
  // Through a CNAME, the name that does not exist is the chain's end.
  expect_result(run_check(ask("dangling.example.test")), Outcome::failed,
                address_ + ": gone.example.test does not exist (NXDOMAIN)");
}

TEST_F(DnsCheckTest, NxdomainForADanglingCnameIsNotAMissingName) {
  // The NXDOMAIN is for the chain's end: the name asked exists, as a CNAME.
  FieldMap values = ask("dangling.example.test");
  values["nxdomain"] = true;
  expect_result(run_check(values), Outcome::failed,
                address_ +
                    ": dangling.example.test exists (CNAME to gone.example.test; the NXDOMAIN is "
                    "for gone.example.test)");
  server_.add_record({"far.example.test.", "CNAME", 300, "dangling.example.test."});
  values = ask("far.example.test");
  values["nxdomain"] = true;
  expect_result(run_check(values), Outcome::failed,
                address_ +
                    ": far.example.test exists (CNAME to dangling.example.test -> "
                    "gone.example.test; the NXDOMAIN is for gone.example.test)");
}

TEST_F(DnsCheckTest, MaxTtlCoversTheChain) {
  FieldMap values = ask("www.example.test");
  values["max_ttl"] = Duration(5min);
  expect_result(run_check(values), Outcome::passed,
                "A www.example.test from " + address_ +
                    ": [10.0.0.1, 10.0.0.2] via CNAME edge.example.test -> app.example.test");
  EXPECT_EQ(find_measurement(run_check(values).result, "min_ttl_s")->value, 60);

  values["max_ttl"] = Duration(2min);
  expect_result(run_check(values), Outcome::failed,
                address_ +
                    ": expected TTLs of at most 2m, got 300s on www.example.test CNAME "
                    "edge.example.test");
  values["max_ttl"] = Duration(59s);
  expect_result(run_check(values), Outcome::failed,
                address_ +
                    ": expected TTLs of at most 59s, got 300s on www.example.test CNAME "
                    "edge.example.test, 120s on edge.example.test CNAME app.example.test, 60s "
                    "on app.example.test A 10.0.0.1, 60s on app.example.test A 10.0.0.2");
}

TEST_F(DnsCheckTest, MinAnswers) {
  FieldMap values = ask("app.example.test");
  values["min_answers"] = std::int64_t{2};
  expect_result(run_check(values), Outcome::passed,
                "A app.example.test from " + address_ + ": [10.0.0.1, 10.0.0.2]");
  values["min_answers"] = std::int64_t{3};
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected at least 3 A records, got 2: [10.0.0.1, 10.0.0.2]");
  // Zero: the name must exist, records of the type or not.
  values = ask("app.example.test", "AAAA");
  values["min_answers"] = std::int64_t{0};
  expect_result(run_check(values), Outcome::passed,
                "AAAA app.example.test from " + address_ + ": no AAAA records");
}

TEST_F(DnsCheckTest, EveryFailureIsReported) {
  FieldMap values = ask("www.example.test");
  values["expect"] = Strings{"10.0.0.1"};
  values["expect_not_contains"] = Strings{"10.0.0.2"};
  values["max_ttl"] = Duration(2min);
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected [10.0.0.1], got [10.0.0.1, 10.0.0.2]; " + address_ +
                    ": expected the answers not to include 10.0.0.2, got [10.0.0.1, 10.0.0.2]; " +
                    address_ +
                    ": expected TTLs of at most 2m, got 300s on www.example.test CNAME "
                    "edge.example.test");
}

TEST_F(DnsCheckTest, ReverseLookupOfAnAddress) {
  FieldMap values = ask("127.0.0.1", "PTR");
  values["expect"] = Strings{"host.example.test."};
  expect_result(run_check(values), Outcome::passed,
                "PTR 1.0.0.127.in-addr.arpa from " + address_ + ": [host.example.test]");
  values["expect"] = Strings{"other.example.test"};
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected [other.example.test], got [host.example.test]");
}

TEST_F(DnsCheckTest, ServfailAndRefusedAreErrors) {
  server_.set_fault("app.example.test.", loopback::DnsFault::servfail);
  expect_result(run_check(ask("app.example.test")), Outcome::error,
                address_ + ": answered SERVFAIL");
  server_.set_fault("app.example.test.", loopback::DnsFault::refused);
  FieldMap values = ask("app.example.test");
  values["nxdomain"] = true;
  expect_result(run_check(values), Outcome::error, address_ + ": answered REFUSED");
}

TEST_F(DnsCheckTest, SilentServerIsAnErrorWithinTheTimeout) {
  server_.set_fault("", loopback::DnsFault::silent);
  const Completed run = run_check(ask("app.example.test"), kShortTimeout);
  expect_result(run, Outcome::error, address_ + ": no answer within 270ms");
  EXPECT_GE(run.elapsed, 200ms);
  EXPECT_LT(run.elapsed, 400ms);
  EXPECT_EQ(server_.udp_queries(), 2) << "tries: 2 by default";
  EXPECT_EQ(find_measurement(run.result, "answers"), nullptr);
  EXPECT_EQ(find_measurement(run.result, "latency_ms@" + address_), nullptr);
  EXPECT_EQ(run.result.details, address_ + ": no answer within 270ms\n");
}

TEST_F(DnsCheckTest, TriesAllFitInTheTimeout) {
  server_.set_fault("", loopback::DnsFault::silent);
  FieldMap values = ask("app.example.test");
  values["tries"] = std::int64_t{3};
  const Completed run = run_check(values, 800ms);
  expect_result(run, Outcome::error, address_ + ": no answer within 720ms");
  EXPECT_LT(run.elapsed, 800ms);
  EXPECT_EQ(server_.udp_queries(), 3);
}

TEST_F(DnsCheckTest, SlowAnswerWithinTheTimeoutPasses) {
  server_.set_delay(60ms);
  const Completed run = run_check(ask("app.example.test"), 1s);
  expect_result(run, Outcome::passed,
                "A app.example.test from " + address_ + ": [10.0.0.1, 10.0.0.2]");
  EXPECT_GE(find_measurement(run.result, "latency_ms@" + address_)->value, 60);
}

TEST_F(DnsCheckTest, TruncatedUdpAnswerIsAskedAgainOverTcp) {
  server_.set_fault("", loopback::DnsFault::truncate_udp);
  expect_result(run_check(ask("app.example.test")), Outcome::passed,
                "A app.example.test from " + address_ + ": [10.0.0.1, 10.0.0.2]");
  EXPECT_EQ(server_.udp_queries(), 1);
  EXPECT_EQ(server_.tcp_queries(), 1);
}

// Issue 15: with nothing listening on TCP this said only "connection refused".
TEST_F(DnsCheckTest, TruncatedUdpAnswerWithTcpRefusedSaysBoth) {
  server_.set_fault("", loopback::DnsFault::truncate_udp);
  server_.stop_tcp();
  expect_result(run_check(ask("app.example.test")), Outcome::error,
                address_ +
                    ": the answer over UDP is truncated (TC set), and TCP, where it was asked "
                    "again, refused the connection");
  EXPECT_EQ(server_.udp_queries(), 1);
}

TEST_F(DnsCheckTest, TcpAsksOverTcpOnly) {
  FieldMap values = ask("app.example.test");
  values["tcp"] = true;
  expect_result(run_check(values), Outcome::passed,
                "A app.example.test from " + address_ + ": [10.0.0.1, 10.0.0.2]");
  EXPECT_EQ(server_.udp_queries(), 0);
  EXPECT_EQ(server_.tcp_queries(), 1);
}

TEST_F(DnsCheckTest, LargeTxtRecord) {
  // 3000 bytes in strings of 250: too large for a UDP answer without EDNS, so it comes over TCP.
  std::string text;
  std::string zone_data;
  for (int i = 0; i < 12; ++i) {
    const std::string part(250, static_cast<char>('a' + i));
    text += part;
    zone_data += (i ? " \"" : "\"") + part + "\"";
  }
  server_.add_record({"big.example.test.", "TXT", 300, zone_data});
  FieldMap values = ask("big.example.test", "TXT");
  values["expect"] = Strings{text};
  const Completed run = run_check(values);
  expect_result(run, Outcome::passed,
                "TXT big.example.test from " + address_ + ": [\"" + std::string(120, 'a') +
                    "\"... (3000 bytes)]");
  EXPECT_EQ(server_.tcp_queries(), 1);

  values["expect"] = Strings{text + "z"};
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected [\"" + std::string(120, 'a') +
                    "\"... (3001 bytes)], got [\"" + std::string(120, 'a') + "\"... (3000 bytes)]");
}

TEST_F(DnsCheckTest, TxtValuesAreQuotedInMessages) {
  server_.add_record({"example.test.", "TXT", 300, R"("v=spf1 " "-all")"});
  server_.add_record({"example.test.", "TXT", 300, R"("say \"hi\"")"});
  FieldMap values = ask("example.test", "TXT");
  values["expect_contains"] = Strings{"v=spf1 -all"};
  expect_result(run_check(values), Outcome::passed,
                "TXT example.test from " + address_ + R"(: ["say \"hi\"", "v=spf1 -all"])");
  values["expect_contains"] = Strings{"v=spf1 ~all"};
  expect_result(
      run_check(values), Outcome::failed,
      address_ +
          R"(: expected the answers to include "v=spf1 ~all", got ["say \"hi\"", "v=spf1 -all"])");
}

TEST_F(DnsCheckTest, CancellationEndsTheAttemptPromptlyAndOnce) {
  server_.set_fault("", loopback::DnsFault::silent);
  auto check = make_check(ask("app.example.test"), 5s);
  const Completed run = test::run_check(*check, 5s, 50ms);
  expect_result(run, Outcome::error, "cancelled while checking A app.example.test @" + address_);
  EXPECT_LT(run.elapsed, 1s);
}

TEST_F(DnsCheckTest, CancelledBeforeStartStillCompletesOnce) {
  auto check = make_check(ask("app.example.test"));
  const test::CancelledBeforeStart cancelled = test::run_cancelled_before_start(*check);
  EXPECT_EQ(cancelled.completions_inside_start, 0) << "done must not run inside start()";
  EXPECT_EQ(cancelled.run.completions, 1);
  EXPECT_EQ(cancelled.run.result.outcome, Outcome::error);
  EXPECT_EQ(server_.udp_queries(), 0);
}

// A UDP port of 127.0.0.1 that nothing listens on.
std::uint16_t unused_udp_port() {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket socket(
      io, boost::asio::ip::udp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  return socket.local_endpoint().port();
}

TEST(DnsCheck, NothingListeningIsConnectionRefused) {
  // Loopback answers a datagram to a closed port with ICMP port unreachable, which the socket
  // reports as refused: the check says so at once instead of waiting for the timeout.
  const std::string address = "127.0.0.1:" + std::to_string(unused_udp_port());
  const Completed run = run_check(query("app.example.test", {address}), kTimeout);
  expect_result(run, Outcome::error, address + ": connection refused");
  EXPECT_LT(run.elapsed, 500ms);
}

// Answers every query, over UDP and over TCP on the same port of 127.0.0.1, with what
// `responder` makes of the query's bytes: answers no real server gives, built byte by byte.
class RawDnsServer {
 public:
  using Responder = std::function<Bytes(const Bytes& query)>;

  explicit RawDnsServer(Responder responder)
      : responder_(std::move(responder)), socket_(io_), acceptor_(io_) {
    loopback::bind_udp_and_tcp(socket_, acceptor_);
    receive();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RawDnsServer() {
    io_.stop();
    thread_.join();
  }
  RawDnsServer(const RawDnsServer&) = delete;
  RawDnsServer& operator=(const RawDnsServer&) = delete;

  std::string address() const {
    return "127.0.0.1:" + std::to_string(socket_.local_endpoint().port());
  }

 private:
  void receive() {
    socket_.async_receive_from(
        boost::asio::buffer(buffer_), peer_,
        [this](boost::system::error_code error, std::size_t size) {
          if (error) return;
          const Bytes answer = responder_(
              Bytes(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(size)));
          boost::system::error_code ignored;
          socket_.send_to(boost::asio::buffer(answer), peer_, 0, ignored);
          receive();
        });
  }

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error) return;
      serve(std::make_shared<tcp::socket>(std::move(socket)));
      accept();
    });
  }

  // One length-prefixed query after another on a TCP connection.
  void serve(std::shared_ptr<tcp::socket> socket) {
    auto length = std::make_shared<std::array<unsigned char, 2>>();
    boost::asio::async_read(
        *socket, boost::asio::buffer(*length),
        [this, socket, length](boost::system::error_code error, std::size_t) {
          if (error) return;
          auto query =
              std::make_shared<Bytes>(static_cast<std::size_t>((*length)[0] << 8 | (*length)[1]));
          boost::asio::async_read(
              *socket, boost::asio::buffer(*query),
              [this, socket, query](boost::system::error_code error, std::size_t) {
                if (error) return;
                const Bytes answer = responder_(*query);
                auto out = std::make_shared<Bytes>(
                    Bytes{static_cast<unsigned char>(answer.size() >> 8),
                          static_cast<unsigned char>(answer.size() & 0xFF)});
                out->insert(out->end(), answer.begin(), answer.end());
                boost::asio::async_write(
                    *socket, boost::asio::buffer(*out),
                    [this, socket, out](boost::system::error_code error, std::size_t) {
                      if (!error) serve(socket);
                    });
              });
        });
  }

  Responder responder_;
  boost::asio::io_context io_;
  udp::socket socket_;
  tcp::acceptor acceptor_;
  udp::endpoint peer_;
  std::array<unsigned char, 512> buffer_{};
  std::thread thread_;
};

Bytes wire_question(std::string_view name, unsigned type, unsigned klass = 1) {
  Bytes out = wire_name(name);
  for (const Bytes& part : {u16(type), u16(klass)})
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

// A resource record of class IN.
Bytes wire_record(std::string_view owner, unsigned type, std::uint32_t ttl, const Bytes& data) {
  Bytes out = wire_name(owner);
  for (const Bytes& part : {u16(type), u16(1), u32(ttl), u16(data.size()), data})
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes soa_data() {
  Bytes out = wire_name("ns1.example.test");
  for (const Bytes& part :
       {wire_name("hostmaster.example.test"), u32(1), u32(3600), u32(600), u32(86400), u32(300)})
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

constexpr unsigned kAa = 0x0400;
constexpr unsigned kTc = 0x0200;
constexpr unsigned kNxdomain = 3;
constexpr unsigned kTypeA = 1;
constexpr unsigned kTypeNs = 2;
constexpr unsigned kTypeCname = 5;
constexpr unsigned kTypeSoa = 6;
constexpr unsigned kTypeAaaa = 28;

struct RawAnswer {
  unsigned flags = 0;               // AA, TC, RCODE; QR, RD and RA are added
  std::optional<Bytes> question{};  // the query's own when not given; empty for none
  std::vector<Bytes> answers{};     // wire_record()s
  std::vector<Bytes> authority{};
};

// `answer` as a response to `query`: its ID, and its question unless the answer has one.
Bytes respond(const Bytes& query, const RawAnswer& answer) {
  std::size_t question_end = 12;
  while (question_end < query.size() && query[question_end] != 0)
    question_end += query[question_end] + 1u;
  question_end += 5;
  const Bytes question = answer.question.value_or(
      Bytes(query.begin() + 12, query.begin() + static_cast<std::ptrdiff_t>(question_end)));
  Bytes out{query[0], query[1]};
  for (const Bytes& part :
       {u16(0x8180 | answer.flags), u16(question.empty() ? 0 : 1), u16(answer.answers.size()),
        u16(answer.authority.size()), u16(0), question})
    out.insert(out.end(), part.begin(), part.end());
  for (const auto* section : {&answer.answers, &answer.authority}) {
    for (const Bytes& record : *section)
      out.insert(out.end(), record.begin(), record.end());
  }
  return out;
}

RawDnsServer::Responder always(RawAnswer answer) {
  return [answer = std::move(answer)](const Bytes& query) { return respond(query, answer); };
}

TEST(DnsCheck, MalformedAnswerIsAnError) {
  // One A record owned by the question's name, with 5 bytes of data.
  RawDnsServer server([](const Bytes& query) {
    Bytes answer = respond(query, {.flags = kAa});
    answer[7] = 1;  // one answer
    for (unsigned char byte : {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 10, 0, 0, 1, 5})
      answer.push_back(byte);
    return answer;
  });
  expect_result(run_check(query("app.example.test", {server.address()})), Outcome::error,
                server.address() +
                    ": malformed answer: answer 1 (app.example.test A): expected 4 bytes of "
                    "address, got 5");
}

TEST(DnsCheck, AnAnswerToAnotherQuestionNeverPasses) {
  FieldMap values = query("app.example.test", {});
  values["nxdomain"] = true;
  {
    // The server's own question: the NXDOMAIN is for the name asked.
    RawDnsServer server(always({.flags = kAa | kNxdomain}));
    values["servers"] = Strings{server.address()};
    expect_result(run_check(values), Outcome::passed,
                  "A app.example.test from " + server.address() + ": NXDOMAIN");
  }
  {
    // Names compare case-insensitively: a server may echo the question in another case.
    RawDnsServer server(
        always({.flags = kAa | kNxdomain, .question = wire_question("App.EXAMPLE.test", kTypeA)}));
    values["servers"] = Strings{server.address()};
    expect_result(run_check(values), Outcome::passed,
                  "A app.example.test from " + server.address() + ": NXDOMAIN");
  }
  // c-ares 1.18 matches an answer to its query by ID and question even with
  // ARES_FLAG_NOCHECKRESP, so an answer to another name, type or class, or without the question,
  // is dropped: the server did not answer. (The kind checks the question again in case a c-ares
  // lets one through.)
  for (const Bytes& question :
       {wire_question("other.example.test", kTypeA), wire_question("app.example.test", kTypeAaaa),
        wire_question("app.example.test", kTypeA, 3), Bytes{}}) {
    RawDnsServer server(always({.flags = kAa | kNxdomain, .question = question}));
    values["servers"] = Strings{server.address()};
    expect_result(run_check(values, kShortTimeout), Outcome::error,
                  server.address() + ": no answer within 270ms");
  }
}

TEST(DnsCheck, NoRecordsNeedAnSoaOrAa) {
  FieldMap values = query("app.example.test", {});
  values["expect"] = Strings{};
  {
    // A lame or non-recursive server: no answer, NS records of the zone, AA not set.
    RawDnsServer server(always(
        {.authority = {wire_record("example.test", kTypeNs, 300, wire_name("ns1.example.test")),
                       wire_record("example.test", kTypeNs, 300, wire_name("ns2.example.test"))}}));
    values["servers"] = Strings{server.address()};
    expect_result(run_check(values), Outcome::error,
                  server.address() +
                      ": referral to other servers (NS records for example.test in the authority "
                      "section), not an answer");
    FieldMap with_minimum = values;
    with_minimum.erase("expect");
    with_minimum["min_answers"] = std::int64_t{0};
    expect_result(run_check(with_minimum), Outcome::error,
                  server.address() +
                      ": referral to other servers (NS records for example.test in the authority "
                      "section), not an answer");
  }
  {
    RawDnsServer server(always({}));
    values["servers"] = Strings{server.address()};
    expect_result(run_check(values), Outcome::error,
                  server.address() +
                      ": no A records for app.example.test, without AA set or an SOA in the "
                      "authority section to show that there are none");
  }
  {
    // A resolver's NODATA: not authoritative, but the zone's SOA shows it.
    RawDnsServer server(
        always({.authority = {wire_record("example.test", kTypeSoa, 300, soa_data())}}));
    values["servers"] = Strings{server.address()};
    expect_result(run_check(values), Outcome::passed,
                  "A app.example.test from " + server.address() + ": no A records");
  }
  {
    RawDnsServer server(always({.flags = kAa}));
    values["servers"] = Strings{server.address()};
    expect_result(run_check(values), Outcome::passed,
                  "A app.example.test from " + server.address() + ": no A records");
  }
  {
    // AA covers the queried name, not the end of a chain that may leave the server's zone.
    RawDnsServer server(always({.flags = kAa,
                                .answers = {wire_record("app.example.test", kTypeCname, 300,
                                                        wire_name("app.other.test"))}}));
    values["servers"] = Strings{server.address()};
    expect_result(run_check(values), Outcome::error,
                  server.address() +
                      ": no A records for app.other.test at the end of the CNAME chain, and no "
                      "SOA in the authority section to show that there are none");
  }
  {
    RawDnsServer server(always(
        {.flags = kAa,
         .answers = {wire_record("app.example.test", kTypeCname, 300, wire_name("app.other.test"))},
         .authority = {wire_record("other.test", kTypeSoa, 300, soa_data())}}));
    values["servers"] = Strings{server.address()};
    expect_result(
        run_check(values), Outcome::passed,
        "A app.example.test from " + server.address() + ": no A records via CNAME app.other.test");
  }
}

TEST(DnsCheck, CnameLoopIsAnError) {
  RawDnsServer server(always(
      {.flags = kAa,
       .answers = {wire_record("a.example.test", kTypeCname, 300, wire_name("b.example.test")),
                   wire_record("b.example.test", kTypeCname, 300, wire_name("a.example.test"))},
       .authority = {wire_record("example.test", kTypeSoa, 300, soa_data())}}));
  FieldMap values = query("a.example.test", {server.address()});
  values["expect"] = Strings{};
  expect_result(
      run_check(values), Outcome::error,
      server.address() + ": CNAME loop: a.example.test -> b.example.test -> a.example.test");
  values.erase("expect");
  values["min_answers"] = std::int64_t{0};
  expect_result(
      run_check(values), Outcome::error,
      server.address() + ": CNAME loop: a.example.test -> b.example.test -> a.example.test");

  RawDnsServer self(always(
      {.flags = kAa,
       .answers = {wire_record("a.example.test", kTypeCname, 300, wire_name("a.example.test"))}}));
  expect_result(run_check(query("a.example.test", {self.address()})), Outcome::error,
                self.address() + ": CNAME loop: a.example.test -> a.example.test");
}

TEST(DnsCheck, TruncatedAnswerOverTcpIsAnError) {
  RawDnsServer server(always({.flags = kAa | kTc}));
  FieldMap values = query("app.example.test", {server.address()});
  values["tcp"] = true;
  expect_result(run_check(values), Outcome::error,
                server.address() + ": the answer is truncated (TC set), even over TCP");
}

class TwoServers : public ::testing::Test {
 protected:
  loopback::DnsTestServer first_{example_records()};
  loopback::DnsTestServer second_{example_records()};
  const std::string a_ = first_.address();
  const std::string b_ = second_.address();

  FieldMap ask(std::string name) { return query(std::move(name), {a_, b_}); }
};

TEST_F(TwoServers, AgreeingServersPass) {
  FieldMap values = ask("app.example.test");
  values["agree"] = true;
  const Completed run = run_check(values);
  expect_result(run, Outcome::passed,
                "A app.example.test from " + a_ + ", " + b_ + ": [10.0.0.1, 10.0.0.2]");
  ASSERT_EQ(run.result.measurements.size(), 4u);
  EXPECT_EQ(run.result.measurements[0].name, "answers");
  EXPECT_EQ(run.result.measurements[0].value, 2);
  EXPECT_EQ(run.result.measurements[0].unit, "");
  EXPECT_EQ(run.result.measurements[1].name, "min_ttl_s");
  EXPECT_EQ(run.result.measurements[1].value, 60);
  EXPECT_EQ(run.result.measurements[1].unit, "s");
  for (const std::string& server : {a_, b_}) {
    const Measurement* latency = find_measurement(run.result, "latency_ms@" + server);
    ASSERT_NE(latency, nullptr) << server;
    EXPECT_EQ(latency->unit, "ms");
    EXPECT_GT(latency->value, 0);
    EXPECT_LT(latency->value, 2000);
  }
  EXPECT_EQ(first_.udp_queries(), 1);
  EXPECT_EQ(second_.udp_queries(), 1);
}

TEST_F(TwoServers, DisagreeingServersFailListingEach) {
  second_.set_records({{"app.example.test.", "A", 60, "10.0.0.9"}});
  FieldMap values = ask("app.example.test");
  values["agree"] = true;
  const Completed run = run_check(values);
  expect_result(run, Outcome::failed,
                "servers disagree: " + a_ + " [10.0.0.1, 10.0.0.2]; " + b_ + " [10.0.0.9]");
  EXPECT_EQ(find_measurement(run.result, "answers")->value, 1) << "the fewest of any server";
  // Without agree, different answers that each pass are fine, and shown per server.
  values.erase("agree");
  expect_result(
      run_check(values), Outcome::passed,
      "A app.example.test from " + a_ + ": [10.0.0.1, 10.0.0.2]; from " + b_ + ": [10.0.0.9]");
}

TEST_F(TwoServers, AgreeComparesTheCnameChain) {
  // The same addresses, reached through a different chain: the servers do not agree.
  second_.set_records({{"www.example.test.", "CNAME", 300, "app.example.test."},
                       {"app.example.test.", "A", 60, "10.0.0.1"},
                       {"app.example.test.", "A", 60, "10.0.0.2"}});
  FieldMap values = ask("www.example.test");
  values["agree"] = true;
  expect_result(run_check(values), Outcome::failed,
                "servers disagree: " + a_ +
                    " [10.0.0.1, 10.0.0.2] via CNAME edge.example.test -> app.example.test; " + b_ +
                    " [10.0.0.1, 10.0.0.2] via CNAME app.example.test");
  values.erase("agree");
  expect_result(run_check(values), Outcome::passed,
                "A www.example.test from " + a_ +
                    ": [10.0.0.1, 10.0.0.2] via CNAME edge.example.test -> app.example.test; "
                    "from " +
                    b_ + ": [10.0.0.1, 10.0.0.2] via CNAME app.example.test");

  second_.set_records(example_records());
  values["agree"] = true;
  expect_result(run_check(values), Outcome::passed,
                "A www.example.test from " + a_ + ", " + b_ +
                    ": [10.0.0.1, 10.0.0.2] via CNAME edge.example.test -> app.example.test");
}

TEST_F(TwoServers, AgreeComparesNxdomainToo) {
  second_.set_records({});
  FieldMap values = ask("app.example.test");
  values["agree"] = true;
  expect_result(run_check(values), Outcome::failed,
                b_ + ": app.example.test does not exist (NXDOMAIN); servers disagree: " + a_ +
                    " [10.0.0.1, 10.0.0.2]; " + b_ + " NXDOMAIN");
}

TEST_F(TwoServers, EveryAssertionHoldsForEveryServer) {
  // One resolver still answers the old address: the check fails, naming it.
  second_.set_records({{"app.example.test.", "A", 60, "10.0.0.9"}});
  FieldMap values = ask("app.example.test");
  values["expect"] = Strings{"10.0.0.1", "10.0.0.2"};
  expect_result(run_check(values), Outcome::failed,
                b_ + ": expected [10.0.0.1, 10.0.0.2], got [10.0.0.9]");
}

TEST_F(TwoServers, AnErrorOnAnyServerIsAnErrorListingEach) {
  first_.set_fault("", loopback::DnsFault::servfail);
  second_.set_records({{"app.example.test.", "A", 60, "10.0.0.9"}});
  FieldMap values = ask("app.example.test");
  values["expect"] = Strings{"10.0.0.1", "10.0.0.2"};
  expect_result(
      run_check(values), Outcome::error,
      a_ + ": answered SERVFAIL; " + b_ + ": expected [10.0.0.1, 10.0.0.2], got [10.0.0.9]");

  second_.set_fault("", loopback::DnsFault::silent);
  expect_result(run_check(values, kShortTimeout), Outcome::error,
                a_ + ": answered SERVFAIL; " + b_ + ": no answer within 270ms");
}

TEST_F(TwoServers, ServersAreAskedAtOnce) {
  first_.set_delay(300ms);
  second_.set_delay(300ms);
  const Completed run = run_check(ask("app.example.test"), 2s);
  EXPECT_EQ(run.result.outcome, Outcome::passed) << run.result.message;
  EXPECT_LT(run.elapsed, 590ms);  // one after the other would take 600ms
}

constexpr const char* kZone = R"($ORIGIN example.test.
$TTL 300
@          IN SOA   ns1.example.test. hostmaster.example.test. 2026112601 3600 600 86400 300
@          IN NS    ns1.example.test.
@          IN MX    10 mail.example.test.
@          IN TXT   "v=spf1 " "-all"
@          IN CAA   0 issue "letsencrypt.org"
ns1        IN A     127.0.0.1
mail       IN A     10.0.0.25
app     60 IN A     10.0.0.1
app     60 IN A     10.0.0.2
app     60 IN AAAA  2001:db8::1
www        IN CNAME app
_sip._tcp  IN SRV   10 5 5060 sip.example.test.
ptr        IN PTR   app.example.test.
)";

class NsdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!loopback::NsdServer::available()) GTEST_SKIP() << "NSD is not installed";
    nsd_ = std::make_unique<loopback::NsdServer>("example.test.", kZone);
    address_ = nsd_->address();
  }

  FieldMap ask(std::string name, std::string type, Strings expect) {
    FieldMap values = query(std::move(name), {address_}, std::move(type));
    values["expect"] = std::move(expect);
    return values;
  }

  std::unique_ptr<loopback::NsdServer> nsd_;
  std::string address_;
};

TEST_F(NsdTest, EveryTypePasses) {
  const auto passes = [&](std::string name, std::string type, Strings expect, std::string found) {
    expect_result(run_check(ask(name, type, std::move(expect))), Outcome::passed,
                  type + " " + name + " from " + address_ + ": " + found);
  };
  passes("app.example.test", "A", {"10.0.0.1", "10.0.0.2"}, "[10.0.0.1, 10.0.0.2]");
  passes("app.example.test", "AAAA", {"2001:db8::1"}, "[2001:db8::1]");
  passes("www.example.test", "CNAME", {"app.example.test"}, "[app.example.test]");
  passes("www.example.test", "A", {"10.0.0.1", "10.0.0.2"},
         "[10.0.0.1, 10.0.0.2] via CNAME app.example.test");
  passes("example.test", "MX", {"10 mail.example.test"}, "[10 mail.example.test]");
  passes("example.test", "TXT", {"v=spf1 -all"}, R"(["v=spf1 -all"])");
  passes("_sip._tcp.example.test", "SRV", {"10 5 5060 sip.example.test"},
         "[10 5 5060 sip.example.test]");
  passes("example.test", "NS", {"ns1.example.test"}, "[ns1.example.test]");
  passes("example.test", "SOA",
         {"ns1.example.test hostmaster.example.test 2026112601 3600 600 86400 300"},
         "[ns1.example.test hostmaster.example.test 2026112601 3600 600 86400 300]");
  passes("example.test", "CAA", {"0 issue letsencrypt.org"}, R"([0 issue "letsencrypt.org"])");
  passes("ptr.example.test", "PTR", {"app.example.test"}, "[app.example.test]");
}

TEST_F(NsdTest, AssertionsFail) {
  expect_result(run_check(ask("app.example.test", "A", {"10.0.0.1"})), Outcome::failed,
                address_ + ": expected [10.0.0.1], got [10.0.0.1, 10.0.0.2]");

  FieldMap values = query("www.example.test", {address_});
  values["max_ttl"] = Duration(1min);
  expect_result(run_check(values), Outcome::failed,
                address_ +
                    ": expected TTLs of at most 1m, got 300s on www.example.test CNAME "
                    "app.example.test");

  values = query("example.test", {address_}, "MX");
  values["min_answers"] = std::int64_t{2};
  expect_result(run_check(values), Outcome::failed,
                address_ + ": expected at least 2 MX records, got 1: [10 mail.example.test]");

  values = query("nothing.example.test", {address_});
  values["nxdomain"] = true;
  expect_result(run_check(values), Outcome::passed,
                "A nothing.example.test from " + address_ + ": NXDOMAIN");
  expect_result(run_check(query("nothing.example.test", {address_})), Outcome::failed,
                address_ + ": nothing.example.test does not exist (NXDOMAIN)");
}

TEST_F(NsdTest, RefusesNamesOutsideItsZone) {
  expect_result(run_check(query("app.other.test", {address_})), Outcome::error,
                address_ + ": answered REFUSED");
}

TEST(DnsCheck, Describe) {
  FieldMap values = query("App.Example.Test.", {"127.0.0.1:5300", "127.0.0.1:5301"});
  values["expect"] = Strings{"10.0.0.1"};
  EXPECT_EQ(make_check(values)->describe(),
            "A app.example.test @127.0.0.1:5300,127.0.0.1:5301 expect 10.0.0.1");

  values = query("example.test", {"[::1]:5353"}, "TXT");
  values["tcp"] = true;
  values["expect_contains"] = Strings{"v=spf1 -all"};
  values["expect_not_contains"] = Strings{"old"};
  values["max_ttl"] = Duration(5min);
  values["min_answers"] = std::int64_t{2};
  EXPECT_EQ(make_check(values)->describe(),
            R"(TXT example.test @[::1]:5353 tcp expect_contains "v=spf1 -all" )"
            R"(expect_not_contains "old" max_ttl 5m min_answers 2)");

  values = {{"query", std::string("www.example.test")}, {"expect_cname", std::string("lb.test")}};
  EXPECT_EQ(make_check(values)->describe(), "A www.example.test expect_cname lb.test");

  values = query("127.0.0.1", {"10.0.0.53", "10.0.0.54"}, "PTR");
  values["expect"] = Strings{};
  values["agree"] = true;
  EXPECT_EQ(make_check(values)->describe(),
            "PTR 1.0.0.127.in-addr.arpa @10.0.0.53:53,10.0.0.54:53 expect none agree");

  values = query("gone.example.test", {"10.0.0.53"});
  values["nxdomain"] = true;
  EXPECT_EQ(make_check(values)->describe(), "A gone.example.test @10.0.0.53:53 nxdomain");
}

TEST(DnsCheck, QueryErrors) {
  EXPECT_EQ(test::load_errors("dns", {"type: A"}),
            Strings{"suite.yaml:3:5: error: check 'c': missing required field 'query' of kind "
                    "'dns'"});
  EXPECT_EQ(test::load_errors("dns", {"query: ''"}),
            Strings{"suite.yaml:5:12: error: query: expected a non-empty string, got ''"});
  EXPECT_EQ(construction_errors({{"query", std::string("a..example.test")}}),
            Strings{error_line(R"(query: "a..example.test" is not a domain name: empty label)")});
  EXPECT_EQ(
      construction_errors({{"query", std::string("app example.test")}}),
      Strings{error_line(
          R"(query: "app example.test" is not a domain name: contains a space or control character)")});
  EXPECT_EQ(
      construction_errors({{"query", std::string("10.0.0.1")}}),
      Strings{error_line(
          R"(query: "10.0.0.1" is an IP address; type PTR looks one up in reverse, type A needs a name)")});
  EXPECT_EQ(test::load_errors("dns", {"query: app.example.test", "type: ANY"}),
            Strings{"suite.yaml:6:11: error: type: expected one of A, AAAA, CNAME, MX, TXT, SRV, "
                    "NS, SOA, CAA, PTR, got 'ANY'"});
}

TEST(DnsCheck, ServerErrors) {
  EXPECT_EQ(
      construction_errors(
          query("app.example.test", {"dns.example.test", "127.0.0.1:99999", "::1:53"})),
      (Strings{
          error_line(
              R"(servers: expected ADDRESS or ADDRESS:PORT (an IPv6 address in brackets: [::1]:5353), got "dns.example.test")"),
          error_line(
              R"(servers: expected ADDRESS or ADDRESS:PORT (an IPv6 address in brackets: [::1]:5353), got "127.0.0.1:99999")")}));
  EXPECT_EQ(construction_errors(query("app.example.test", {"127.0.0.1", "127.0.0.1:53"})),
            Strings{error_line("servers: 127.0.0.1:53 is listed twice")});
  EXPECT_EQ(construction_errors(query("app.example.test", {})),
            Strings{error_line("servers: expected at least one server (leave servers out to ask "
                               "the system's resolvers)")});
}

TEST(DnsCheck, ValueErrors) {
  FieldMap values = query("app.example.test", {"127.0.0.1"});
  values["expect"] = Strings{"abc", "10.0.0.1"};
  values["expect_contains"] = Strings{"::1"};
  values["expect_not_contains"] = Strings{"10.0.0.256"};
  values["expect_cname"] = std::string("a..b");
  EXPECT_EQ(
      construction_errors(values),
      (Strings{error_line(R"(expect: "abc" is not an IPv4 address (type A))"),
               error_line(R"(expect_contains: "::1" is not an IPv4 address (type A))"),
               error_line(R"(expect_not_contains: "10.0.0.256" is not an IPv4 address (type A))"),
               error_line(R"(expect_cname: "a..b" is not a domain name: empty label)")}));

  values = query("example.test", {"127.0.0.1"}, "MX");
  values["expect"] = Strings{"mail.example.test"};
  EXPECT_EQ(
      construction_errors(values),
      Strings{error_line(
          R"(expect: "mail.example.test" is not an MX value: expected PREFERENCE NAME, like "10 mail.example.test" (type MX))")});

  values = query("app.example.test", {"127.0.0.1"});
  values["expect_contains"] = Strings{"10.0.0.1"};
  values["expect_not_contains"] = Strings{"10.0.0.1"};
  EXPECT_EQ(construction_errors(values),
            Strings{error_line("expect_not_contains: 10.0.0.1 is also in expect_contains")});
}

TEST(DnsCheck, NxdomainExcludesRecordAssertions) {
  FieldMap values = query("gone.example.test", {"127.0.0.1"});
  values["nxdomain"] = true;
  values["expect"] = Strings{"10.0.0.1"};
  values["expect_contains"] = Strings{"10.0.0.1"};
  values["expect_not_contains"] = Strings{"10.0.0.2"};
  values["expect_cname"] = std::string("lb.example.test");
  values["max_ttl"] = Duration(5min);
  values["min_answers"] = std::int64_t{1};
  const std::string why =
      ": cannot be combined with nxdomain: true (a name that does not exist "
      "has no records)";
  EXPECT_EQ(construction_errors(values),
            (Strings{error_line("expect" + why), error_line("expect_contains" + why),
                     error_line("expect_not_contains" + why), error_line("expect_cname" + why),
                     error_line("max_ttl" + why), error_line("min_answers" + why)}));
}

TEST(DnsCheck, AgreeNeedsTwoServers) {
  FieldMap values = query("app.example.test", {"127.0.0.1"});
  values["agree"] = true;
  EXPECT_EQ(construction_errors(values),
            Strings{error_line("agree: needs at least two servers to compare, got 1")});
  values.erase("servers");
  EXPECT_EQ(construction_errors(values),
            Strings{error_line("agree: needs at least two servers to compare, got none (the "
                               "system's configuration)")});
}

TEST(DnsCheck, RangeErrors) {
  EXPECT_EQ(
      test::load_errors("dns", {"query: app.example.test", "tries: 0", "min_answers: -1"}),
      (Strings{
          "suite.yaml:6:12: error: tries: expected an integer from 1 to 10, got '0'",
          "suite.yaml:7:18: error: min_answers: expected an integer from 0 to 65535, got '-1'"}));
  EXPECT_EQ(
      test::load_errors("dns", {"query: app.example.test", "tries: 11", "min_answers: 65536"}),
      (Strings{"suite.yaml:6:12: error: tries: expected an integer from 1 to 10, got '11'",
               "suite.yaml:7:18: error: min_answers: expected an integer from 0 to 65535, "
               "got '65536'"}));
  EXPECT_EQ(test::load_errors("dns", {"query: app.example.test", "servers: ['127.0.0.1', '']"}),
            Strings{"suite.yaml:6:14: error: servers: expected non-empty strings, got ''"});
}

TEST(DnsCheck, SpecDeclaresFieldsForValidation) {
  const KindSpec spec = DnsCheck::spec();
  Strings names;
  for (const FieldSpec& field : spec.fields)
    names.push_back(field.name);
  EXPECT_EQ(names, (Strings{"query", "type", "servers", "tcp", "tries", "expect", "expect_contains",
                            "expect_not_contains", "expect_cname", "nxdomain", "max_ttl",
                            "min_answers", "agree"}));
  EXPECT_TRUE(spec.fields[0].required);
  EXPECT_EQ(spec.fields[1].type, FieldType::choice);
  EXPECT_EQ(spec.fields[1].default_value, "A");
  EXPECT_EQ(spec.fields[1].choices,
            (Strings{"A", "AAAA", "CNAME", "MX", "TXT", "SRV", "NS", "SOA", "CAA", "PTR"}));
  EXPECT_EQ(spec.fields[4].min, 1);
  EXPECT_EQ(spec.fields[4].max, 10);
  EXPECT_EQ(spec.fields[10].type, FieldType::seconds);
}

TEST(BuiltinChecks, RegistersDns) {
  Registry registry;
  register_builtin_checks(registry);
  const Kind* kind = registry.find("dns");
  ASSERT_NE(kind, nullptr);
  Fields fields = test::make_fields(query("app.example.test", {"127.0.0.1:5300"}));
  EXPECT_EQ(kind->factory(fields)->describe(), "A app.example.test @127.0.0.1:5300");
}

TEST(DnsCheck, RunsFromASuiteFile) {
  loopback::DnsTestServer server(example_records());
  loopback::TempDir dir;
  const auto suite = dir.write(
      "suite.yaml",
      "suite: s\nchecks:\n"
      "  - name: app moved\n    kind: dns\n    query: app.example.test\n"
      "    servers: [\"${RESOLVER}\"]\n    expect: [10.0.0.1, 10.0.0.2]\n    max_ttl: 300\n"
      "  - name: old gone\n    kind: dns\n    query: old.example.test\n    nxdomain: true\n"
      "    servers: \"${RESOLVER}\"\n");
  // Times vary, and with them the order of the slowest checks and the padding that aligns their
  // times; everything else is exact. One check at a time, so that they finish, and are printed,
  // in the file's order.
  const auto without_times = [](const std::string& out) {
    std::string text = std::regex_replace(out, std::regex(R"(\n *\d+(\.\d+)?m?s  )"), "\n  Nms  ");
    text = std::regex_replace(text, std::regex(R"(\d+(\.\d+)?m?s\b)"), "Nms");
    return std::regex_replace(text, std::regex("  Nms  old gone\n  Nms  app moved\n"),
                              "  Nms  app moved\n  Nms  old gone\n");
  };
  const std::string address = server.address();
  loopback::ProcessResult result =
      test::run_cutover({"run", suite.string(), "--concurrency", "1"}, {{"RESOLVER", address}});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(without_times(result.out),
            "PASS  app moved (Nms): A app.example.test from " + address +
                ": [10.0.0.1, 10.0.0.2]\nPASS  old gone (Nms): A old.example.test from " + address +
                ": NXDOMAIN\n\n2 checks: 2 passed, 0 failed, 0 error, 0 skipped\nSlowest:\n"
                "  Nms  app moved\n  Nms  old gone\nWall time: Nms\nPASSED\n");

  server.add_record({"old.example.test.", "A", 60, "10.0.0.9"});
  result =
      test::run_cutover({"run", suite.string(), "--concurrency", "1"}, {{"RESOLVER", address}});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_EQ(without_times(result.out),
            "PASS  app moved (Nms): A app.example.test from " + address +
                ": [10.0.0.1, 10.0.0.2]\nFAIL  old gone (Nms): " + address +
                ": expected NXDOMAIN, got NOERROR with [10.0.0.9]\n\n2 checks: 1 passed, 1 "
                "failed, 0 error, 0 skipped\nSlowest:\n  Nms  app moved\n  Nms  old gone\n"
                "Wall time: Nms\nFAILED\n");
}

TEST(DnsCheck, MaxTtlTakesSecondsOrADuration) {
  loopback::TempDir dir;
  const auto suite = dir.write("suite.yaml",
                               "suite: s\nchecks:\n"
                               "  - { name: a, kind: dns, query: a.example.test, max_ttl: 300 }\n"
                               "  - { name: b, kind: dns, query: b.example.test, max_ttl: 5m }\n"
                               "  - { name: c, kind: dns, query: c.example.test, max_ttl: soon }\n"
                               "  - { name: d, kind: dns, query: d.example.test, max_ttl: -1 }\n");
  const loopback::ProcessResult result = test::run_cutover({"run", suite.string(), "--dry-run"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            suite.string() +
                ":5:59: error: max_ttl: expected whole seconds (300) or a duration like 5m, got "
                "'soon'\n" +
                suite.string() +
                ":6:59: error: max_ttl: expected whole seconds (300) or a duration like 5m, got "
                "'-1'\ncutover: 2 errors in the suite files; nothing was run\n");
}

}  // namespace
}  // namespace cutover

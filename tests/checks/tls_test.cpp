#include "checks/tls.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "checks/builtin.hpp"
#include "checks/net/tls_client.hpp"
#include "harness/registry.hpp"
#include "harness/suite.hpp"
#include "loopback/certificates.hpp"
#include "loopback/dns_servers.hpp"
#include "loopback/http_servers.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/check_runner.hpp"
#include "tests/support/garbage_server.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;
using test::FieldMap;

// Short enough to keep the suite fast; the check's own budget is 270ms of it.
constexpr Duration kShortTimeout = 300ms;
constexpr Duration kTimeout = 5s;

// The name tests put on certificates and reach through connect_to, as a team reaches the new
// environment under its production name.
const std::string kHost = "api.example.test";

using test::Completed;
using test::expect_result;
using test::find_measurement;
using test::run_check;

std::unique_ptr<TlsCheck> make_check(FieldMap values) {
  return test::make_check<TlsCheck>(std::move(values));
}

std::vector<std::string> construction_errors(FieldMap values) {
  return test::construction_errors<TlsCheck>(std::move(values));
}

Completed run_check(FieldMap values, Duration timeout = kTimeout) {
  return run_check(*make_check(std::move(values)), timeout);
}

// As the check prints notAfter dates.
std::string format_date(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", parts.tm_year + 1900,
                     parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
}

std::int64_t days_left(std::chrono::system_clock::time_point not_after) {
  return std::chrono::floor<std::chrono::days>(not_after - std::chrono::system_clock::now())
      .count();
}

// The server's connections once each handshake has ended on its side: the check closes its end
// as soon as its own handshake ends, possibly before the server thread has recorded it.
std::vector<loopback::HttpConnection> settled_connections(const loopback::HttpServer& server) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (true) {
    std::vector<loopback::HttpConnection> connections = server.connections();
    const bool settled =
        std::all_of(connections.begin(), connections.end(), [](const auto& connection) {
          return connection.handshake_completed || !connection.handshake_error.empty();
        });
    if (settled || std::chrono::steady_clock::now() > deadline) return connections;
    std::this_thread::sleep_for(5ms);
  }
}

// A CA, a certificate for kHost and 127.0.0.1, and the checks' fields aimed at a server.
class TlsCheckTest : public ::testing::Test {
 protected:
  loopback::Certificate issue(loopback::CertificateSpec spec = {}) {
    if (spec.dns_names.empty() && spec.ip_addresses.empty()) {
      spec.dns_names = {kHost};
      spec.ip_addresses = {"127.0.0.1"};
    }
    return ca_.issue(spec);
  }

  std::unique_ptr<loopback::HttpServer> serve(loopback::TlsServerOptions options) {
    if (options.certificate.certificate_file.empty()) options.certificate = issue();
    return std::make_unique<loopback::HttpServer>(options);
  }

  // kHost on the server's port, connected through 127.0.0.1, trusting the test CA.
  FieldMap target(const loopback::HttpServer& server) const {
    return {{"host", kHost},
            {"port", std::int64_t{server.port()}},
            {"connect_to", std::string("127.0.0.1")},
            {"ca_file", ca_.ca_file().string()}};
  }

  std::string label(const loopback::HttpServer& server) const {
    return fmt::format("{}:{} via 127.0.0.1:{}", kHost, server.port(), server.port());
  }

  std::string passed(const loopback::HttpServer& server, const loopback::Certificate& certificate,
                     std::string_view protocol = "TLSv1.3",
                     std::string_view cipher = "TLS_AES_256_GCM_SHA384") const {
    return fmt::format("{}: {} {}, certificate {} verified, {} days left", label(server), protocol,
                       cipher, certificate.subject, days_left(certificate.not_after));
  }

  loopback::TempDir dir_;
  loopback::TestCa ca_{dir_};
};

TEST_F(TlsCheckTest, ValidCertificatePassesAndIsDescribed) {
  const loopback::Certificate certificate = issue();
  auto server = serve({.certificate = certificate});
  const Completed run = run_check(target(*server));
  expect_result(run, Outcome::passed, passed(*server, certificate));
  for (const char* name : {"connect_ms", "handshake_ms", "days_left", "key_bits"}) {
    EXPECT_NE(find_measurement(run.result, name), nullptr) << name;
  }
  EXPECT_EQ(find_measurement(run.result, "key_bits")->value, 2048);
  const std::string& details = run.result.details;
  EXPECT_NE(details.find("subject: " + certificate.subject + "\n"), std::string::npos) << details;
  EXPECT_NE(details.find("names: api.example.test, 127.0.0.1\n"), std::string::npos) << details;
  EXPECT_NE(details.find("issuer: " + certificate.issuer + "\n"), std::string::npos) << details;
  EXPECT_NE(details.find("not_after: " + format_date(certificate.not_after) + "\n"),
            std::string::npos)
      << details;
  EXPECT_NE(details.find("key: RSA 2048 bits\n"), std::string::npos) << details;
  EXPECT_NE(details.find("verification: ok\n"), std::string::npos) << details;
}

TEST_F(TlsCheckTest, IpAddressHostIsVerifiedAgainstTheCertificateAddress) {
  const loopback::Certificate certificate = issue();
  auto server = serve({.certificate = certificate});
  const Completed run = run_check({{"host", std::string("127.0.0.1")},
                                   {"port", std::int64_t{server->port()}},
                                   {"ca_file", ca_.ca_file().string()}});
  expect_result(run, Outcome::passed,
                fmt::format("127.0.0.1:{}: TLSv1.3 TLS_AES_256_GCM_SHA384, certificate {} "
                            "verified, {} days left",
                            server->port(), certificate.subject, days_left(certificate.not_after)));
  // RFC 6066: no SNI for an address.
  ASSERT_EQ(settled_connections(*server).size(), 1u);
  EXPECT_EQ(settled_connections(*server)[0].server_name, "");
}

TEST_F(TlsCheckTest, ChainThroughAnIntermediateVerifies) {
  loopback::TestCa intermediate = ca_.intermediate("Cutover Intermediate CA");
  const loopback::Certificate certificate = intermediate.issue({.dns_names = {kHost}});
  auto server = serve({.certificate = certificate});
  expect_result(run_check(target(*server)), Outcome::passed, passed(*server, certificate));
}

TEST_F(TlsCheckTest, ExpiredCertificateFails) {
  const loopback::Certificate certificate = issue({.days_valid = -1, .days_before_now = 30});
  auto server = serve({.certificate = certificate});
  const Completed run = run_check(target(*server));
  expect_result(run, Outcome::failed,
                "certificate does not verify: certificate has expired (notAfter " +
                    format_date(certificate.not_after) + ")");
  // Measured all the same.
  EXPECT_NE(find_measurement(run.result, "days_left"), nullptr);
  EXPECT_LT(find_measurement(run.result, "days_left")->value, 0);
}

TEST_F(TlsCheckTest, WrongNameFailsListingTheCertificateNames) {
  const loopback::Certificate certificate =
      issue({.dns_names = {"other.example.test", "www.other.example.test"}});
  auto server = serve({.certificate = certificate});
  expect_result(run_check(target(*server)), Outcome::failed,
                "certificate does not verify: certificate is for other.example.test, "
                "www.other.example.test, not api.example.test");
}

TEST_F(TlsCheckTest, SelfSignedCertificateFails) {
  const loopback::Certificate certificate = issue({.dns_names = {kHost}, .self_signed = true});
  auto server = serve({.certificate = certificate});
  expect_result(run_check(target(*server)), Outcome::failed,
                "certificate does not verify: self-signed certificate (" + certificate.subject +
                    "), not signed by a trusted CA");
}

TEST_F(TlsCheckTest, UnknownCaFailsNamingTheIssuer) {
  const loopback::Certificate certificate = issue();
  auto server = serve({.certificate = certificate});
  loopback::TestCa other(dir_, "Other CA");
  FieldMap values = target(*server);
  values["ca_file"] = other.ca_file().string();
  expect_result(run_check(std::move(values)), Outcome::failed,
                "certificate does not verify: unable to get local issuer certificate: issuer " +
                    certificate.issuer + " is not a trusted CA");
}

TEST_F(TlsCheckTest, VerifyFalseReportsWithoutAsserting) {
  const loopback::Certificate certificate = issue({.dns_names = {"other.example.test"}});
  auto server = serve({.certificate = certificate});
  FieldMap values = target(*server);
  values["verify"] = false;
  const Completed run = run_check(std::move(values));
  expect_result(run, Outcome::passed,
                fmt::format("{}: TLSv1.3 TLS_AES_256_GCM_SHA384, certificate {} not verified "
                            "(verify: false), {} days left",
                            label(*server), certificate.subject, days_left(certificate.not_after)));
  EXPECT_NE(run.result.details.find("verification: certificate is for other.example.test, not "
                                    "api.example.test\n"),
            std::string::npos)
      << run.result.details;
}

TEST_F(TlsCheckTest, MinDaysValid) {
  const loopback::Certificate certificate = issue({.days_valid = 10});
  auto server = serve({.certificate = certificate});
  FieldMap values = target(*server);
  values["min_days_valid"] = std::int64_t{5};
  expect_result(run_check(values), Outcome::passed, passed(*server, certificate));
  values["min_days_valid"] = std::int64_t{30};
  expect_result(run_check(values), Outcome::failed,
                fmt::format("expected at least 30 days of validity left, got 9 (notAfter {})",
                            format_date(certificate.not_after)));
}

TEST_F(TlsCheckTest, MinDaysValidOfAnExpiredCertificate) {
  const loopback::Certificate certificate = issue({.days_valid = -2, .days_before_now = 30});
  auto server = serve({.certificate = certificate});
  FieldMap values = target(*server);
  values["verify"] = false;
  values["min_days_valid"] = std::int64_t{0};
  expect_result(run_check(values), Outcome::failed,
                "expected at least 0 days of validity left, the certificate expired on " +
                    format_date(certificate.not_after));
}

TEST_F(TlsCheckTest, MinVersionPassesWhenOlderVersionsAreRefused) {
  const loopback::Certificate certificate = issue();
  auto server = serve({.certificate = certificate, .min_version = TLS1_2_VERSION});
  FieldMap values = target(*server);
  values["min_version"] = std::string("TLSv1.2");
  const Completed run = run_check(values);
  expect_result(run, Outcome::passed, passed(*server, certificate));
  EXPECT_NE(run.result.details.find("probe TLSv1.0: refused: "), std::string::npos)
      << run.result.details;
  EXPECT_NE(run.result.details.find("probe TLSv1.1: refused: "), std::string::npos)
      << run.result.details;
}

TEST_F(TlsCheckTest, MinVersionFailsWhenTheServerAlsoAcceptsAnOlderVersion) {
  // Prefers TLS 1.3, as the main handshake shows, but still accepts TLS 1.1 from old clients.
  auto server = serve({.min_version = TLS1_1_VERSION, .legacy = true});
  FieldMap values = target(*server);
  values["min_version"] = std::string("TLSv1.2");
  const Completed run = run_check(values);
  expect_result(run, Outcome::failed, "expected TLSv1.2 or newer, the server also accepts TLSv1.1");
  EXPECT_NE(run.result.details.find("protocol: TLSv1.3\n"), std::string::npos)
      << run.result.details;
  EXPECT_NE(run.result.details.find("probe TLSv1.1: accepted: TLSv1.1 "), std::string::npos)
      << run.result.details;
}

TEST_F(TlsCheckTest, MinVersionTls13FailsOnATls12Server) {
  auto server = serve({.min_version = TLS1_2_VERSION});
  FieldMap values = target(*server);
  values["min_version"] = std::string("TLSv1.3");
  expect_result(run_check(values), Outcome::failed,
                "expected TLSv1.3 or newer, the server also accepts TLSv1.2");
}

TEST_F(TlsCheckTest, LegacyOnlyServerFailsNamingTheVersions) {
  auto server = serve({.max_version = TLS1_1_VERSION, .legacy = true});
  FieldMap values = target(*server);
  values["min_version"] = std::string("TLSv1.2");
  const Completed run = run_check(values);
  EXPECT_EQ(run.completions, 1);
  EXPECT_EQ(run.result.outcome, Outcome::failed) << run.result.message;
  // The main handshake, at OpenSSL's default security level, cannot agree on anything older.
  EXPECT_EQ(run.result.message,
            "handshake failed: the server chose TLSv1.1, whose SHA-1 handshake signatures this "
            "client refuses (legacy sigalg disallowed or unsupported); expected TLSv1.2 or newer, "
            "the server also accepts TLSv1.0, TLSv1.1");
  EXPECT_NE(run.result.details.find("probe TLSv1.0: accepted: TLSv1.0 "), std::string::npos)
      << run.result.details;
}

TEST_F(TlsCheckTest, ForbiddenCipherOfferedAloneIsFound) {
  // The server would pick AES-GCM with a modern client, but still accepts AES-CBC-SHA1.
  auto server = serve({.max_version = TLS1_2_VERSION,
                       .cipher_list = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA"});
  FieldMap values = target(*server);
  values["forbidden_ciphers"] = std::vector<std::string>{"ECDHE-RSA-AES128-SHA", "aNULL"};
  const Completed run = run_check(values);
  expect_result(run, Outcome::failed,
                "the server accepts forbidden cipher ECDHE-RSA-AES128-SHA with TLSv1.2 when "
                "offered only forbidden ciphers");
  EXPECT_NE(run.result.details.find("cipher: ECDHE-RSA-AES256-GCM-SHA384\n"), std::string::npos)
      << run.result.details;
}

TEST_F(TlsCheckTest, ForbiddenCipherNegotiated) {
  auto server =
      serve({.max_version = TLS1_2_VERSION, .cipher_list = "ECDHE-RSA-AES256-GCM-SHA384"});
  FieldMap values = target(*server);
  values["forbidden_ciphers"] = std::vector<std::string>{"ECDHE-RSA-AES256-GCM-SHA384"};
  expect_result(run_check(values), Outcome::failed,
                "negotiated forbidden cipher ECDHE-RSA-AES256-GCM-SHA384; the server accepts "
                "forbidden cipher ECDHE-RSA-AES256-GCM-SHA384 with TLSv1.2 when offered only "
                "forbidden ciphers");
}

TEST_F(TlsCheckTest, ForbiddenCiphersRefusedPass) {
  const loopback::Certificate certificate = issue();
  auto server = serve({.certificate = certificate});
  FieldMap values = target(*server);
  values["forbidden_ciphers"] =
      std::vector<std::string>{"aNULL", "eNULL", "TLS_AES_128_CCM_SHA256"};
  expect_result(run_check(values), Outcome::passed, passed(*server, certificate));
}

TEST_F(TlsCheckTest, AnonymousForbiddenCipherAcceptedWithoutACertificateIsFound) {
  // Offered only aNULL ciphers, the server picks one and sends no certificate at all.
  auto server = serve({.max_version = TLS1_2_VERSION,
                       .legacy = true,
                       .cipher_list = "ECDHE-RSA-AES256-GCM-SHA384:AECDH-AES256-SHA:@SECLEVEL=0"});
  FieldMap values = target(*server);
  values["forbidden_ciphers"] = std::vector<std::string>{"aNULL"};
  const Completed run = run_check(values);
  expect_result(run, Outcome::failed,
                "the server accepts forbidden cipher AECDH-AES256-SHA with TLSv1.2 when offered "
                "only forbidden ciphers");
  EXPECT_NE(run.result.details.find("probe forbidden ciphers (TLS 1.2 and older): accepted: "
                                    "TLSv1.2 AECDH-AES256-SHA (no certificate)\n"),
            std::string::npos)
      << run.result.details;
}

TEST_F(TlsCheckTest, OlderVersionAcceptedOnlyWithAnAnonymousCipherFailsMinVersion) {
  // TLS 1.3 for modern clients; TLS 1.0 only with an anonymous cipher, so no certificate.
  auto server = serve({.min_version = TLS1_VERSION,
                       .legacy = true,
                       .cipher_list = "ECDHE-RSA-AES256-GCM-SHA384:AECDH-AES256-SHA:@SECLEVEL=0"});
  FieldMap values = target(*server);
  values["min_version"] = std::string("TLSv1.2");
  const Completed run = run_check(values);
  expect_result(run, Outcome::failed,
                "expected TLSv1.2 or newer, the server also accepts TLSv1.0, TLSv1.1");
  EXPECT_NE(run.result.details.find("probe TLSv1.0: accepted: TLSv1.0 AECDH-AES256-SHA "
                                    "(no certificate)\n"),
            std::string::npos)
      << run.result.details;
}

TEST_F(TlsCheckTest, AllowedCiphers) {
  const loopback::Certificate certificate = issue();
  auto server = serve({.certificate = certificate,
                       .max_version = TLS1_2_VERSION,
                       .cipher_list = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA"});
  FieldMap values = target(*server);
  values["allowed_ciphers"] =
      std::vector<std::string>{"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA"};
  expect_result(run_check(values), Outcome::passed,
                passed(*server, certificate, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"));

  values["allowed_ciphers"] = std::vector<std::string>{"ECDHE-RSA-AES256-GCM-SHA384"};
  expect_result(run_check(values), Outcome::failed,
                "the server accepts cipher ECDHE-RSA-AES128-SHA with TLSv1.2, which "
                "allowed_ciphers does not list");

  values["allowed_ciphers"] = std::vector<std::string>{"ECDHE-RSA-AES128-SHA"};
  expect_result(run_check(values), Outcome::failed,
                "expected a cipher from allowed_ciphers (ECDHE-RSA-AES128-SHA), negotiated "
                "ECDHE-RSA-AES256-GCM-SHA384; the server accepts cipher "
                "ECDHE-RSA-AES256-GCM-SHA384 with TLSv1.2, which allowed_ciphers does not list");
}

TEST_F(TlsCheckTest, MinKeyBits) {
  const loopback::Certificate certificate = issue();
  auto server = serve({.certificate = certificate});
  FieldMap values = target(*server);
  values["min_key_bits"] = std::int64_t{2048};
  expect_result(run_check(values), Outcome::passed, passed(*server, certificate));
  values["min_key_bits"] = std::int64_t{3072};
  expect_result(run_check(values), Outcome::failed,
                "expected a key of at least 3072 bits, got RSA 2048 bits");
}

TEST_F(TlsCheckTest, WeakKeyFailsMinKeyBits) {
  auto server = serve({.certificate = issue({.rsa_bits = 1024}), .legacy = true});
  FieldMap values = target(*server);
  values["verify"] = false;
  values["min_key_bits"] = std::int64_t{2048};
  const Completed run = run_check(values);
  expect_result(run, Outcome::failed, "expected a key of at least 2048 bits, got RSA 1024 bits");
  values.erase("verify");
  expect_result(run_check(values), Outcome::failed,
                "certificate does not verify: EE certificate key too weak (RSA 1024 bits); "
                "expected a key of at least 2048 bits, got RSA 1024 bits");
}

TEST_F(TlsCheckTest, IssuerMatches) {
  const loopback::Certificate certificate = issue();
  auto server = serve({.certificate = certificate});
  FieldMap values = target(*server);
  values["issuer_matches"] = std::string("CN=Cutover Test CA");
  expect_result(run_check(values), Outcome::passed, passed(*server, certificate));
  values["issuer_matches"] = std::string("O=Let's Encrypt");
  expect_result(
      run_check(values), Outcome::failed,
      "expected an issuer matching \"O=Let's Encrypt\", got \"" + certificate.issuer + "\"");
}

TEST_F(TlsCheckTest, ConnectToSendsTheHostNameAsSni) {
  const loopback::Certificate certificate = issue();
  auto server = serve({.certificate = certificate});
  FieldMap values = target(*server);
  values["min_version"] = std::string("TLSv1.2");
  expect_result(run_check(values), Outcome::passed, passed(*server, certificate));
  const std::vector<loopback::HttpConnection> connections = settled_connections(*server);
  ASSERT_FALSE(connections.empty());
  // The main handshake and every probe.
  for (const loopback::HttpConnection& connection : connections)
    EXPECT_EQ(connection.server_name, kHost);
}

TEST_F(TlsCheckTest, SniOverridesTheNameSentAndVerified) {
  const loopback::Certificate certificate = issue({.dns_names = {"alt.example.test"}});
  auto server = serve({.certificate = certificate});
  FieldMap values = target(*server);
  values["sni"] = std::string("alt.example.test");
  const Completed run = run_check(values);
  expect_result(run, Outcome::passed,
                fmt::format("{}: TLSv1.3 TLS_AES_256_GCM_SHA384, certificate {} verified, {} days "
                            "left",
                            label(*server), certificate.subject, days_left(certificate.not_after)));
  ASSERT_EQ(settled_connections(*server).size(), 1u);
  EXPECT_EQ(settled_connections(*server)[0].server_name, "alt.example.test");
}

TEST_F(TlsCheckTest, HostNameResolvesThroughTheCheckResolver) {
  const loopback::Certificate certificate = issue();
  auto server = serve({.certificate = certificate});
  loopback::DnsTestServer dns({{kHost + ".", "A", 60, "127.0.0.1"}});
  FieldMap values = target(*server);
  values.erase("connect_to");
  values["resolver"] = nlohmann::json{{"servers", {dns.address()}}};
  expect_result(
      run_check(values), Outcome::passed,
      fmt::format("{}:{}: TLSv1.3 TLS_AES_256_GCM_SHA384, certificate {} verified, {} "
                  "days left",
                  kHost, server->port(), certificate.subject, days_left(certificate.not_after)));
  EXPECT_EQ(dns.udp_queries(), 2);
}

TEST_F(TlsCheckTest, NameTheCheckResolverDoesNotKnowIsAnError) {
  loopback::DnsTestServer dns({{"other.example.test.", "A", 60, "127.0.0.1"}});
  expect_result(
      run_check({{"host", kHost}, {"resolver", nlohmann::json{{"servers", {dns.address()}}}}}),
      Outcome::error, "could not resolve api.example.test: no such host");
}

TEST_F(TlsCheckTest, ResolverWhereNoServerAnswersIsAnError) {
  loopback::DnsTestServer dns({{kHost + ".", "A", 60, "127.0.0.1"}});
  dns.set_fault("", loopback::DnsFault::refused);
  expect_result(
      run_check({{"host", kHost}, {"resolver", nlohmann::json{{"servers", {dns.address()}}}}}),
      Outcome::error,
      "could not resolve api.example.test: no DNS server gave an answer (SERVFAIL, REFUSED or "
      "connection refused)");
}

TEST_F(TlsCheckTest, SilentResolverTimesOutInTheDnsStageWithinTheDeadline) {
  loopback::DnsTestServer dns;
  dns.set_fault("", loopback::DnsFault::silent);
  const Completed run = run_check(
      {{"host", kHost}, {"resolver", nlohmann::json{{"servers", {dns.address()}}}}}, kShortTimeout);
  expect_result(run, Outcome::error, "timed out after 270ms resolving api.example.test");
  EXPECT_LT(run.elapsed, kShortTimeout);
}

TEST_F(TlsCheckTest, RefusedConnectionIsAnError) {
  const std::uint16_t port = loopback::unused_port();
  expect_result(run_check({{"host", std::string("127.0.0.1")}, {"port", std::int64_t{port}}}),
                Outcome::error,
                fmt::format("could not connect to 127.0.0.1:{}: Connection refused", port));
}

// Issue 15: `tls` and `http` share one rule. A server that answers, but not with TLS, failed.
TEST_F(TlsCheckTest, AnAnswerThatIsNotTlsFails) {
  test::GarbageServer garbage;
  const Completed run =
      run_check({{"host", std::string("127.0.0.1")}, {"port", std::int64_t{garbage.port()}}});
  EXPECT_EQ(run.result.outcome, Outcome::failed) << run.result.message;
  EXPECT_EQ(run.result.message.rfind("handshake failed: ", 0), 0u) << run.result.message;
}

// ... and one that closes without a word gave nothing to judge: an error.
TEST_F(TlsCheckTest, AConnectionClosedWithoutAnswerIsAnError) {
  loopback::AcceptingServer closing;
  const Completed run =
      run_check({{"host", std::string("127.0.0.1")}, {"port", std::int64_t{closing.port()}}});
  EXPECT_EQ(run.result.outcome, Outcome::error) << run.result.message;
  EXPECT_EQ(run.result.message.rfind(fmt::format("127.0.0.1:{} closed the connection without "
                                                 "answering the TLS handshake: ",
                                                 closing.port()),
                                     0),
            0u)
      << run.result.message;
}

TEST_F(TlsCheckTest, UnansweredConnectTimesOutWithinTheDeadline) {
  loopback::UnansweringServer server;
  const Completed run = run_check(
      {{"host", std::string("127.0.0.1")}, {"port", std::int64_t{server.port()}}}, kShortTimeout);
  expect_result(run, Outcome::error,
                fmt::format("timed out after 270ms connecting to 127.0.0.1:{}", server.port()));
  EXPECT_GE(run.elapsed, 270ms);
  EXPECT_LT(run.elapsed, kShortTimeout);
}

// A listener that never accepts: the kernel completes the TCP handshake and the ClientHello
// waits unread, as with a server that accepts and never answers.
class SilentListener {
 public:
  SilentListener()
      : acceptor_(io_, {boost::asio::ip::address_v4::loopback(), 0}),
        port_(acceptor_.local_endpoint().port()) {}
  std::uint16_t port() const { return port_; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_;
};

TEST_F(TlsCheckTest, SilentServerTimesOutInTheHandshakeWithinTheDeadline) {
  SilentListener server;
  const Completed run = run_check({{"host", std::string("127.0.0.1")},
                                   {"port", std::int64_t{server.port()}},
                                   {"min_version", std::string("TLSv1.3")}},
                                  kShortTimeout);
  expect_result(run, Outcome::error,
                fmt::format("timed out after 270ms waiting for the TLS handshake with 127.0.0.1:{}",
                            server.port()));
  EXPECT_GE(run.elapsed, 270ms);
  EXPECT_LT(run.elapsed, kShortTimeout);
}

TEST_F(TlsCheckTest, CancellationEndsTheAttemptPromptlyAndOnce) {
  SilentListener server;
  auto check = make_check({{"host", std::string("127.0.0.1")},
                           {"port", std::int64_t{server.port()}},
                           {"min_version", std::string("TLSv1.2")}});
  const Completed run = run_check(*check, kTimeout, 50ms);
  expect_result(run, Outcome::error,
                fmt::format("cancelled while checking 127.0.0.1:{}", server.port()));
  EXPECT_LT(run.elapsed, 1s);
}

TEST(TlsCheckFields, PortDefaultsTo443AndDescribe) {
  auto check = make_check({{"host", kHost},
                           {"connect_to", std::string("[::1]:8443")},
                           {"sni", std::string("alt.example.test")},
                           {"min_version", std::string("TLSv1.2")},
                           {"min_days_valid", std::int64_t{14}},
                           {"forbidden_ciphers", std::vector<std::string>{"aNULL"}},
                           {"min_key_bits", std::int64_t{2048}},
                           {"issuer_matches", std::string("O=Example")}});
  EXPECT_EQ(check->describe(),
            "api.example.test:443 via [::1]:8443 sni alt.example.test verify min_days_valid 14 "
            "min_version TLSv1.2 forbidden_ciphers aNULL min_key_bits 2048 issuer_matches "
            "\"O=Example\"");
}

TEST(TlsCheckFields, MistakesAreFieldErrors) {
  EXPECT_EQ(
      construction_errors({{"host", kHost}, {"connect_to", std::string("10.0.0.5:99999")}}),
      std::vector<std::string>{"suite.yaml:7:5: error: expected ADDRESS[:PORT] (10.0.0.5:8443, "
                               "[2001:db8::5]:8443, new-api.internal), got \"10.0.0.5:99999\""});
  EXPECT_EQ(construction_errors({{"host", kHost}, {"ca_file", std::string("/nonexistent.pem")}}),
            std::vector<std::string>{"suite.yaml:7:5: error: could not load CA file "
                                     "/nonexistent.pem: No such file or directory"});
  EXPECT_EQ(construction_errors({{"host", kHost}, {"issuer_matches", std::string("(")}}).size(),
            1u);
  const std::vector<std::string> unknown = construction_errors(
      {{"host", kHost}, {"forbidden_ciphers", std::vector<std::string>{"RC4-NOPE"}}});
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_TRUE(
      unknown[0].starts_with("suite.yaml:7:5: error: \"RC4-NOPE\" names no cipher that "
                             "OpenSSL 3."))
      << unknown[0];
  EXPECT_EQ(construction_errors({{"host", std::string("api.example.test:443")}}),
            std::vector<std::string>{"suite.yaml:7:5: error: expected a host name or IP address, "
                                     "got \"api.example.test:443\" (the port goes in `port`)"});
}

TEST(TlsCheckFields, TheLoaderChecksWhatTheSpecDeclares) {
  EXPECT_EQ(test::load_errors("tls", {"host: api.example.test", "min_version: SSLv3"}),
            std::vector<std::string>{"suite.yaml:6:18: error: min_version: expected one of "
                                     "TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3, got 'SSLv3'"});
  EXPECT_EQ(test::load_errors("tls", {"host: ''", "port: 0"}),
            (std::vector<std::string>{
                "suite.yaml:5:11: error: host: expected a non-empty string, got ''",
                "suite.yaml:6:11: error: port: expected an integer from 1 to 65535, got '0'"}));
  EXPECT_EQ(
      test::load_errors("tls", {"host: api.example.test", "sni: ''", "allowed_ciphers: ['']"}),
      (std::vector<std::string>{
          "suite.yaml:6:10: error: sni: expected a non-empty string, got ''",
          "suite.yaml:7:22: error: allowed_ciphers: expected non-empty strings, got ''"}));
  EXPECT_EQ(test::load_errors("tls", {"host: api.example.test", "allowed_ciphers: []"}),
            std::vector<std::string>{"suite.yaml:6:22: error: check 'c': expected at least one "
                                     "cipher, got an empty list"});
}

TEST(TlsCheckFields, CiphersThisClientCannotOfferAreFieldErrors) {
  // PSK and SRP ciphers need a key or password: a probe of them would fail in this client and
  // say nothing about the server.
  EXPECT_EQ(construction_errors(
                {{"host", kHost}, {"forbidden_ciphers", std::vector<std::string>{"PSK"}}}),
            std::vector<std::string>{"suite.yaml:7:5: error: \"PSK\" names only PSK or SRP "
                                     "ciphers, which this runner cannot offer (they need a "
                                     "pre-shared key or a password), so it can neither "
                                     "negotiate nor probe them"});
  EXPECT_EQ(construction_errors(
                {{"host", kHost}, {"forbidden_ciphers", std::vector<std::string>{"aNULL:PSK"}}}),
            std::vector<std::string>{});
}

TEST(TlsClient, AnEmptyServerNameIsAnErrorUnlessInsecure) {
  auto context = make_tls_context({});
  ASSERT_TRUE(context) << context.error().message;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(context.value()->native_handle()),
                                                &SSL_free);
  ASSERT_NE(ssl, nullptr);
  std::string error;
  EXPECT_FALSE(prepare_tls_connection(ssl.get(), "", false, error));
  EXPECT_EQ(error, "no server name to verify the certificate against");
  error.clear();
  EXPECT_TRUE(prepare_tls_connection(ssl.get(), "", true, error)) << error;
  EXPECT_TRUE(prepare_tls_connection(ssl.get(), kHost, false, error)) << error;
}

TEST(TlsCheckFields, RegisteredAsTls) {
  Registry registry;
  register_builtin_checks(registry);
  ASSERT_NE(registry.find("tls"), nullptr);
}

}  // namespace
}  // namespace cutover

#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>
#include <boost/asio/ssl/context.hpp>

#include "harness/expected.hpp"

namespace cutover {

// How a check's TLS client is set up; shared by the `http` (https) and `tls` kinds.
struct TlsClientOptions {
  std::string ca_file{};             // PEM bundle to verify against; empty: the system store
  std::string client_certificate{};  // PEM file, for mutual TLS; with client_key
  std::string client_key{};          // PEM file
  bool insecure = false;             // no chain or name verification (reported as such)
  int min_version = 0;               // TLS1_VERSION ... TLS1_3_VERSION; 0: OpenSSL's default
  int max_version = 0;               // 0: OpenSSL's default
  std::string cipher_list{};         // TLS <= 1.2 cipher list; empty: OpenSSL's default
  std::string ciphersuites{};        // TLS 1.3 ciphersuites; empty: OpenSSL's default
};

// A client context for the options; the error names the file or setting that failed.
// Kinds build it once per check (files are read then), not per attempt.
Expected<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(
    const TlsClientOptions& options);

// Prepares a connection for its handshake with `server_name` (the URL's or `sni` host, not the
// connect_to address): SNI unless the name is an IP literal, and, unless `insecure`, host name
// (or IP address) verification against the certificate. Returns false with OpenSSL's reason.
bool prepare_tls_connection(SSL* ssl, std::string_view server_name, bool insecure,
                            std::string& error);

// Why a handshake failed, in words a person can act on: "certificate has expired (notAfter
// 2026-01-01)", "certificate is for api.other.test, not api.example.test", "self-signed
// certificate", "the server offers no protocol version we allow (TLSv1.2 or newer)".
std::string describe_handshake_failure(SSL* ssl, const boost::system::error_code& error);

// Whether this client's ClientHello went out on `ssl`, and whether the server sent any byte back:
// what tells a refusal or a wrong answer (the server spoke) from no answer at all. False for null.
bool tls_hello_sent(SSL* ssl);
bool tls_answered(SSL* ssl);

// What the server presented and negotiated, after a successful handshake.
struct PeerCertificate {
  std::string subject{};  // RFC 2253, e.g. "CN=api.example.test,O=Example"
  std::string issuer{};
  std::vector<std::string> names{};  // subjectAltName DNS names and IP addresses
  std::chrono::system_clock::time_point not_before{};
  std::chrono::system_clock::time_point not_after{};
  std::string key_type{};  // "RSA", "EC", "ED25519"
  int key_bits = 0;
  std::string protocol{};  // "TLSv1.3"
  std::string cipher{};    // "TLS_AES_256_GCM_SHA384"
  bool verified = false;   // chain and name verified (false when insecure)
};

std::optional<PeerCertificate> describe_peer(SSL* ssl);

// "TLSv1.2" <-> TLS1_2_VERSION; nothing for an unknown name.
std::optional<int> parse_tls_version(std::string_view name);
std::string tls_version_name(int version);

}  // namespace cutover

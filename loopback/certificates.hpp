#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "loopback/temp_dir.hpp"

namespace cutover::loopback {

enum class KeyType { rsa, ec_p256 };

// What a leaf certificate looks like. The defaults give a server certificate valid from
// yesterday for 30 days, with a 2048-bit RSA key and no names: set dns_names / ip_addresses.
struct CertificateSpec {
  std::vector<std::string> dns_names{};     // subjectAltName DNS entries: "api.example.test"
  std::vector<std::string> ip_addresses{};  // subjectAltName IP entries: "127.0.0.1", "::1"
  std::string common_name{};                // empty: the first DNS name, else the first IP
  std::string organization{};               // the subject's O, when not empty
  int days_valid = 30;      // notAfter is now + days_valid days; negative: already expired
  int days_before_now = 1;  // notBefore is now - days_before_now days; negative: not yet valid
  KeyType key_type = KeyType::rsa;
  int rsa_bits = 2048;       // 1024 for a weak-key test: OpenSSL refuses it at level 2 and up
  bool self_signed = false;  // signed by its own key, CA:FALSE, not by the TestCa
  bool client = false;       // extendedKeyUsage clientAuth (mutual TLS) instead of serverAuth
};

// Unencrypted PEM files of one issued certificate, in the TempDir of its TestCa.
struct Certificate {
  std::filesystem::path certificate_file{};  // the leaf alone
  std::filesystem::path key_file{};          // its private key (PKCS#8)
  std::filesystem::path chain_file{};        // the leaf, then its intermediates; no root
  std::string subject{};                     // RFC 2253, e.g. "CN=api.example.test,O=Example"
  std::string issuer{};                      // the signer's subject (the leaf's own if self-signed)
  std::chrono::system_clock::time_point not_before{};
  std::chrono::system_clock::time_point not_after{};
};

namespace detail {
struct CaState;
}

// A certificate authority made at test time: a self-signed root (CA:TRUE, keyCertSign) whose
// certificate is `ca_file()`, the file a client trusts. Files are written into `dir`, which
// must outlive the TestCa and everything it issued.
//
// Keys are cached per process (one key per leaf key type and size), because RSA key generation
// takes up to a few hundred milliseconds and tests make many certificates; so leaves share
// keys, which tests must not rely on either way. CA keys are fresh EC P-256 keys: cheap, and a
// certificate signed by one TestCa never verifies with another.
class TestCa {
 public:
  explicit TestCa(const TempDir& dir, const std::string& name = "Cutover Test CA");
  ~TestCa();
  TestCa(TestCa&&) noexcept;
  TestCa& operator=(TestCa&&) noexcept;

  const std::string& name() const;                   // the CN (and O) of the CA's subject
  const std::filesystem::path& ca_file() const;      // PEM of this CA's certificate: trust this
  const std::filesystem::path& ca_key_file() const;  // its private key

  // A leaf signed by this CA (or self-signed when spec.self_signed); new files each call.
  Certificate issue(const CertificateSpec& spec);

  // An intermediate CA signed by this one: its leaves' chain_file holds leaf + intermediate, so
  // they verify against this root's ca_file() only when the server sends the chain.
  TestCa intermediate(const std::string& name);

 private:
  TestCa(const TempDir& dir, const std::string& name, const TestCa* parent);

  std::unique_ptr<detail::CaState> state_;
};

}  // namespace cutover::loopback

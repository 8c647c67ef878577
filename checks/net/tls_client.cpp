#include "checks/net/tls_client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <ctime>
#include <utility>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include "checks/net/address.hpp"

namespace cutover {

namespace ssl = boost::asio::ssl;

namespace {

constexpr std::array<std::pair<int, std::string_view>, 4> kVersionNames{{
    {TLS1_VERSION, "TLSv1.0"},
    {TLS1_1_VERSION, "TLSv1.1"},
    {TLS1_2_VERSION, "TLSv1.2"},
    {TLS1_3_VERSION, "TLSv1.3"},
}};

// The first reason OpenSSL queued (the root cause: "No such file or directory" rather than the
// "system lib" wrapped around it), or `fallback` when the queue is empty. Clears the queue so a
// later failure on this thread does not report a stale reason.
std::string openssl_reason(std::string_view fallback) {
  const unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return std::string(fallback);
  if (ERR_SYSTEM_ERROR(first)) return std::strerror(static_cast<int>(ERR_GET_REASON(first)));
  const char* reason = ERR_reason_error_string(first);
  return reason != nullptr ? reason : fmt::format("OpenSSL error {:#x}", first);
}

std::string name_text(const X509_NAME* name) {
  if (name == nullptr) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(std::max(size, 0L)));
  BIO_free(bio);
  return text;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

// "2026-01-01 12:00:00 UTC": the date people compare with a renewal calendar.
std::string format_time(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return "unknown";
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", parts.tm_year + 1900,
                     parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
}

// subjectAltName DNS names and IP addresses, in certificate order.
std::vector<std::string> alternative_names(X509* certificate) {
  std::vector<std::string> names;
  auto* general_names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (general_names == nullptr) return names;
  for (int index = 0; index < sk_GENERAL_NAME_num(general_names); ++index) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general_names, index);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* text = name->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         static_cast<std::size_t>(ASN1_STRING_length(text)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* bytes = name->d.iPAddress;
      const unsigned char* data = ASN1_STRING_get0_data(bytes);
      const int length = ASN1_STRING_length(bytes);
      if (length == 4) {
        boost::asio::ip::address_v4::bytes_type v4{};
        std::copy_n(data, 4, v4.begin());
        names.push_back(boost::asio::ip::address_v4(v4).to_string());
      } else if (length == 16) {
        boost::asio::ip::address_v6::bytes_type v6{};
        std::copy_n(data, 16, v6.begin());
        names.push_back(boost::asio::ip::address_v6(v6).to_string());
      }
    }
  }
  GENERAL_NAMES_free(general_names);
  return names;
}

// The names a certificate answers to: its subjectAltNames, else (as in old certificates,
// which clients no longer match) its common name, marked as such.
std::string certificate_names(X509* certificate) {
  std::vector<std::string> names = alternative_names(certificate);
  if (!names.empty()) return fmt::format("{}", fmt::join(names, ", "));
  const X509_NAME* subject = X509_get_subject_name(certificate);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return "no names";
  const ASN1_STRING* common = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  return fmt::format("CN={} only, no subjectAltName",
                     std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(common)),
                                      static_cast<std::size_t>(ASN1_STRING_length(common))));
}

// The name the connection verifies against, as set by prepare_tls_connection.
std::string expected_name(SSL* ssl) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (const char* host = X509_VERIFY_PARAM_get0_host(param, 0)) return host;
  if (char* ip = X509_VERIFY_PARAM_get1_ip_asc(param)) {
    std::string text(ip);
    OPENSSL_free(ip);
    return text;
  }
  return {};
}

// The server's certificate as sent. After a verification failure OpenSSL has stored the chain
// but not yet the peer certificate, so both are read from the chain.
X509* leaf_certificate(SSL* ssl) {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain != nullptr && sk_X509_num(chain) > 0) return sk_X509_value(chain, 0);
  return SSL_get0_peer_certificate(ssl);
}

// The first certificate of the chain whose validity period `past` (true: ended; false: not
// begun) excludes now.
X509* certificate_out_of_date(SSL* ssl, bool past) {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain == nullptr) return nullptr;
  for (int index = 0; index < sk_X509_num(chain); ++index) {
    X509* certificate = sk_X509_value(chain, index);
    const int order = past ? X509_cmp_current_time(X509_get0_notAfter(certificate))
                           : -X509_cmp_current_time(X509_get0_notBefore(certificate));
    if (order < 0) return certificate;
  }
  return nullptr;
}

const char* key_type_name(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return "RSA";
    case EVP_PKEY_RSA_PSS:
      return "RSA-PSS";
    case EVP_PKEY_EC:
      return "EC";
    case EVP_PKEY_DSA:
      return "DSA";
    case EVP_PKEY_ED25519:
      return "ED25519";
    case EVP_PKEY_ED448:
      return "ED448";
    default:
      return "unknown";
  }
}

std::string describe_verify_failure(SSL* ssl, long result) {
  const std::string reason = X509_verify_cert_error_string(result);
  X509* leaf = leaf_certificate(ssl);
  switch (result) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      if (X509* expired = certificate_out_of_date(ssl, true)) {
        const std::string whose =
            expired == leaf ? "" : " of " + name_text(X509_get_subject_name(expired));
        return fmt::format("{}{} (notAfter {})", reason, whose,
                           format_time(X509_get0_notAfter(expired)));
      }
      break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      if (X509* early = certificate_out_of_date(ssl, false)) {
        const std::string whose =
            early == leaf ? "" : " of " + name_text(X509_get_subject_name(early));
        return fmt::format("{}{} (notBefore {})", reason, whose,
                           format_time(X509_get0_notBefore(early)));
      }
      break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      if (leaf != nullptr) {
        return fmt::format("certificate is for {}, not {}", certificate_names(leaf),
                           expected_name(ssl));
      }
      break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      if (leaf != nullptr) {
        return fmt::format("{} ({}), not signed by a trusted CA", reason,
                           name_text(X509_get_subject_name(leaf)));
      }
      break;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      if (leaf != nullptr) {
        return fmt::format("{}: issuer {} is not a trusted CA", reason,
                           name_text(X509_get_issuer_name(leaf)));
      }
      break;
    case X509_V_ERR_EE_KEY_TOO_SMALL:
      if (leaf != nullptr) {
        if (const EVP_PKEY* key = X509_get0_pubkey(leaf)) {
          return fmt::format("{} ({} {} bits)", reason, key_type_name(key), EVP_PKEY_get_bits(key));
        }
      }
      break;
    default:
      break;
  }
  return reason;
}

// "TLSv1.2 or newer", "TLSv1.0 to TLSv1.1", for messages about version mismatches.
std::string allowed_versions(SSL* ssl) {
  const int min = static_cast<int>(SSL_get_min_proto_version(ssl));
  const int max = static_cast<int>(SSL_get_max_proto_version(ssl));
  if (min == 0 && max == 0) return "the versions OpenSSL allows";
  if (max == 0) return tls_version_name(min) + " or newer";
  if (min == 0) return tls_version_name(max) + " or older";
  if (min == max) return tls_version_name(min) + " only";
  return fmt::format("{} to {}", tls_version_name(min), tls_version_name(max));
}

bool same_text_ignoring_case(std::string_view left, std::string_view right) {
  return std::equal(left.begin(), left.end(), right.begin(), right.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

}  // namespace

Expected<std::shared_ptr<ssl::context>> make_tls_context(const TlsClientOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  ERR_clear_error();

  // The trust store is loaded even when insecure: verification then still runs (without
  // stopping the handshake) and its result can be reported.
  if (!options.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(native, options.ca_file.c_str(), nullptr) != 1) {
      return Error{fmt::format("could not load CA file {}: {}", options.ca_file,
                               openssl_reason("no certificate found"))};
    }
  } else if (SSL_CTX_set_default_verify_paths(native) != 1) {
    return Error{fmt::format("could not load the system's trusted CA certificates: {}",
                             openssl_reason("unknown reason"))};
  }
  SSL_CTX_set_verify(native, options.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);

  if (options.client_certificate.empty() != options.client_key.empty()) {
    return Error{"a client certificate needs both a certificate file and a key file"};
  }
  if (!options.client_certificate.empty()) {
    if (SSL_CTX_use_certificate_chain_file(native, options.client_certificate.c_str()) != 1) {
      return Error{fmt::format("could not load client certificate {}: {}",
                               options.client_certificate, openssl_reason("unknown reason"))};
    }
    if (SSL_CTX_use_PrivateKey_file(native, options.client_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return Error{fmt::format("could not load client key {}: {}", options.client_key,
                               openssl_reason("unknown reason"))};
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      return Error{fmt::format("client key {} does not match client certificate {}: {}",
                               options.client_key, options.client_certificate,
                               openssl_reason("unknown reason"))};
    }
  }

  if (options.min_version != 0 && SSL_CTX_set_min_proto_version(native, options.min_version) != 1) {
    return Error{fmt::format("could not set minimum TLS version {}: {}",
                             tls_version_name(options.min_version),
                             openssl_reason("not supported"))};
  }
  if (options.max_version != 0 && SSL_CTX_set_max_proto_version(native, options.max_version) != 1) {
    return Error{fmt::format("could not set maximum TLS version {}: {}",
                             tls_version_name(options.max_version),
                             openssl_reason("not supported"))};
  }
  if (!options.cipher_list.empty() &&
      SSL_CTX_set_cipher_list(native, options.cipher_list.c_str()) != 1) {
    return Error{fmt::format("invalid cipher list \"{}\": {}", options.cipher_list,
                             openssl_reason("no cipher matches"))};
  }
  if (!options.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(native, options.ciphersuites.c_str()) != 1) {
    return Error{fmt::format("invalid TLS 1.3 ciphersuites \"{}\": {}", options.ciphersuites,
                             openssl_reason("no ciphersuite matches"))};
  }
  return context;
}

bool prepare_tls_connection(SSL* ssl, std::string_view server_name, bool insecure,
                            std::string& error) {
  ERR_clear_error();
  const std::string name(server_name);
  const std::optional<boost::asio::ip::address> address = parse_ip_literal(name);
  // RFC 6066: SNI carries host names only, never IP addresses.
  if (!address && !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    error = fmt::format("could not set SNI {}: {}", name, openssl_reason("invalid name"));
    return false;
  }
  if (insecure) return true;
  if (name.empty()) {
    // Nothing to verify against would leave any certificate from a trusted CA accepted.
    error = "no server name to verify the certificate against";
    return false;
  }
  if (address) {
    const std::string text = address->to_string();
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), text.c_str()) != 1) {
      error = fmt::format("could not verify against IP address {}: {}", text,
                          openssl_reason("invalid address"));
      return false;
    }
    return true;
  }
  // Wildcards match one label only, as browsers do.
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (SSL_set1_host(ssl, name.c_str()) != 1) {
    error = fmt::format("could not verify against host name {}: {}", name,
                        openssl_reason("invalid name"));
    return false;
  }
  return true;
}

bool tls_hello_sent(SSL* ssl) {
  return ssl != nullptr && BIO_number_written(SSL_get_wbio(ssl)) > 0;
}

bool tls_answered(SSL* ssl) {
  return ssl != nullptr && BIO_number_read(SSL_get_rbio(ssl)) > 0;
}

std::string describe_handshake_failure(SSL* ssl, const boost::system::error_code& error) {
  if (ssl != nullptr) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) return describe_verify_failure(ssl, verify);
  }
  if (error == ssl::error::stream_truncated || error == boost::asio::error::eof) {
    return "the server closed the connection during the handshake";
  }
  if (error == boost::asio::error::connection_reset) {
    return "the server reset the connection during the handshake";
  }
  if (error.category() == boost::asio::error::get_ssl_category()) {
    const auto code = static_cast<unsigned long>(error.value());
    switch (ERR_GET_REASON(code)) {
      case SSL_R_UNSUPPORTED_PROTOCOL:
      case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      case SSL_R_WRONG_SSL_VERSION:
      case SSL_R_NO_PROTOCOLS_AVAILABLE:
        if (ssl != nullptr) {
          return fmt::format("the server offers no protocol version we allow ({})",
                             allowed_versions(ssl));
        }
        return "the server offers no protocol version we allow";
      case SSL_R_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED:
        // The server chose TLS 1.0/1.1, whose SHA-1 handshake signatures OpenSSL 3 refuses at
        // its default security level: the real cause is the old version.
        if (ssl != nullptr && SSL_version(ssl) < TLS1_2_VERSION) {
          return fmt::format(
              "the server chose {}, whose SHA-1 handshake signatures this client refuses (legacy "
              "sigalg disallowed or unsupported)",
              tls_version_name(SSL_version(ssl)));
        }
        break;
      case SSL_R_NO_SHARED_CIPHER:
      case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
        return "the server accepts none of the ciphers we offer (handshake failure alert)";
      case SSL_R_WRONG_VERSION_NUMBER:
        return "the server does not speak TLS on this port (wrong version number)";
      default:
        break;
    }
  }
  return error.message();
}

std::optional<PeerCertificate> describe_peer(SSL* ssl) {
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) return std::nullopt;
  PeerCertificate peer;
  peer.subject = name_text(X509_get_subject_name(certificate));
  peer.issuer = name_text(X509_get_issuer_name(certificate));
  peer.names = alternative_names(certificate);
  peer.not_before = to_time_point(X509_get0_notBefore(certificate));
  peer.not_after = to_time_point(X509_get0_notAfter(certificate));
  if (const EVP_PKEY* key = X509_get0_pubkey(certificate)) {
    peer.key_type = key_type_name(key);
    peer.key_bits = EVP_PKEY_get_bits(key);
  }
  peer.protocol = tls_version_name(SSL_version(ssl));
  if (const char* cipher = SSL_get_cipher_name(ssl)) peer.cipher = cipher;
  // Verified means the chain and a name were checked: an insecure connection checks no name.
  peer.verified = SSL_get_verify_result(ssl) == X509_V_OK && !expected_name(ssl).empty();
  return peer;
}

std::optional<int> parse_tls_version(std::string_view name) {
  for (const auto& [version, candidate] : kVersionNames) {
    if (same_text_ignoring_case(name, candidate)) return version;
  }
  // OpenSSL's own spelling of 1.0.
  if (same_text_ignoring_case(name, "TLSv1")) return TLS1_VERSION;
  return std::nullopt;
}

std::string tls_version_name(int version) {
  for (const auto& [candidate, name] : kVersionNames) {
    if (candidate == version) return std::string(name);
  }
  if (version == SSL3_VERSION) return "SSLv3";
  return fmt::format("unknown version {:#x}", version);
}

}  // namespace cutover

#include "checks/net/tls_ciphers.hpp"

#include <algorithm>
#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace cutover {
namespace {

// Whether this client can offer the cipher: PSK and SRP ciphers need a pre-shared key or a
// password (callbacks this runner does not set), so OpenSSL leaves them out of a ClientHello.
bool client_can_offer(const SSL_CIPHER* cipher) {
  const int auth = SSL_CIPHER_get_auth_nid(cipher);
  const int exchange = SSL_CIPHER_get_kx_nid(cipher);
  return auth != NID_auth_psk && auth != NID_auth_srp && exchange != NID_kx_psk &&
         exchange != NID_kx_ecdhe_psk && exchange != NID_kx_dhe_psk && exchange != NID_kx_rsa_psk &&
         exchange != NID_kx_srp;
}

}  // namespace

bool is_tls13_suite(std::string_view name) {
  return std::find(kTls13Suites.begin(), kTls13Suites.end(), name) != kTls13Suites.end();
}

std::vector<std::string> expand_cipher_string(const std::string& text, std::size_t* unofferable) {
  std::vector<std::string> names;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_method()),
                                                            &SSL_CTX_free);
  if (!context) return names;
  SSL_CTX_set_security_level(context.get(), 0);
  if (SSL_CTX_set_ciphersuites(context.get(), "") == 1 &&
      SSL_CTX_set_cipher_list(context.get(), text.c_str()) == 1) {
    STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(context.get());
    for (int index = 0; index < sk_SSL_CIPHER_num(ciphers); ++index) {
      const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, index);
      if (client_can_offer(cipher)) {
        names.emplace_back(SSL_CIPHER_get_name(cipher));
      } else if (unofferable != nullptr) {
        ++*unofferable;
      }
    }
  }
  ERR_clear_error();
  return names;
}

}  // namespace cutover

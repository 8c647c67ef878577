#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

// Cipher names as OpenSSL knows them, for kinds that assert on or probe ciphers.
namespace cutover {

// OpenSSL 3.0's TLS 1.3 suites; TLS 1.3 names are exact, never cipher-string expressions.
inline constexpr std::array<std::string_view, 5> kTls13Suites{
    "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"};

// Whether `name` is one of kTls13Suites.
bool is_tls13_suite(std::string_view name);

// The TLS 1.2-and-older cipher names an OpenSSL cipher string stands for ("ECDHE-RSA-AES128-SHA",
// "aNULL", "ALL:COMPLEMENTOFALL"), at security level 0 so that weak ciphers count, leaving out
// those this client cannot offer (PSK and SRP ones, counted in `unofferable`); empty when it names
// nothing this OpenSSL can offer.
std::vector<std::string> expand_cipher_string(const std::string& text,
                                              std::size_t* unofferable = nullptr);

}  // namespace cutover

#include "harness/secret_forms.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cutover::detail {
namespace {

constexpr std::string_view kStandardAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlSafeAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void add(std::vector<std::string>& forms, std::string form, std::size_t shortest) {
  if (form.size() < shortest) return;
  if (std::find(forms.begin(), forms.end(), form) == forms.end()) forms.push_back(std::move(form));
}

std::string json_escaped(std::string_view text, bool ascii) {
  const std::string quoted = nlohmann::json(std::string(text))
                                 .dump(-1, ' ', ascii, nlohmann::json::error_handler_t::replace);
  return quoted.substr(1, quoted.size() - 2);
}

std::string with_escaped_slashes(std::string_view text) {
  std::string out;
  for (char c : text)
    out += c == '/' ? std::string("\\/") : std::string(1, c);
  return out;
}

void add_json_forms(std::vector<std::string>& forms, std::string_view secret,
                    std::size_t shortest) {
  // Three levels: a server that quotes, inside its JSON answer, a message that quotes a JSON
  // body.
  for (bool ascii : {false, true}) {
    const std::string once = json_escaped(secret, ascii);
    // "/" written "\/" by the encoder, or already in the text it escaped.
    for (const std::string& level :
         {once, with_escaped_slashes(once), json_escaped(with_escaped_slashes(secret), ascii)}) {
      std::string form = level;
      for (int depth = 0; depth < 3; ++depth) {
        add(forms, form, shortest);
        form = json_escaped(form, ascii);
      }
    }
  }
  add(forms, with_escaped_slashes(secret), shortest);
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void add_percent_forms(std::vector<std::string>& forms, std::string_view secret,
                       std::size_t shortest) {
  for (bool small : {false, true}) {
    for (bool plus : {false, true}) {
      for (bool keep_slash : {false, true}) {
        std::string out;
        for (char c : secret) {
          const auto byte = static_cast<unsigned char>(c);
          if (unreserved(byte) || (keep_slash && c == '/')) {
            out += c;
          } else if (plus && c == ' ') {
            out += '+';
          } else {
            out += small ? fmt::format("%{:02x}", byte) : fmt::format("%{:02X}", byte);
          }
        }
        add(forms, std::move(out), shortest);
      }
    }
  }
}

void add_html_forms(std::vector<std::string>& forms, std::string_view secret,
                    std::size_t shortest) {
  for (std::string_view apostrophe : {"&#39;", "&#x27;"}) {
    std::string out;
    for (char c : secret) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += apostrophe;
          break;
        default:
          out += c;
      }
    }
    add(forms, std::move(out), shortest);
  }
}

// Base64 without padding. Hand-written: the forms need both alphabets and the encodings of the
// secret behind 0, 1 or 2 bytes of something else, which no library call gives.
std::string base64(std::string_view bytes, std::string_view alphabet) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += alphabet[(bits >> count) & 0x3f];
    }
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 0x3f];
  return out;
}

void add_base64_forms(std::vector<std::string>& forms, std::string_view secret,
                      std::size_t shortest) {
  for (std::string_view alphabet : {kStandardAlphabet, kUrlSafeAlphabet}) {
    const std::string whole = base64(secret, alphabet);
    add(forms, whole + std::string((4 - whole.size() % 4) % 4, '='), shortest);
    add(forms, whole, shortest);
    // Behind `offset` other bytes, the characters from the first whose 6 bits all come from
    // the secret to the last such one: the same whatever surrounds it.
    for (std::size_t offset = 0; offset < 3; ++offset) {
      const std::string shifted = base64(std::string(offset, '\0') + std::string(secret), alphabet);
      const std::size_t first = (8 * offset + 5) / 6;
      const std::size_t end = 8 * (offset + secret.size()) / 6;
      if (end > first) add(forms, shifted.substr(first, end - first), shortest);
    }
  }
}

}  // namespace

std::vector<std::string> written_forms(std::string_view secret, std::size_t shortest) {
  std::vector<std::string> forms{std::string(secret)};
  add_json_forms(forms, secret, shortest);
  add_percent_forms(forms, secret, shortest);
  add_html_forms(forms, secret, shortest);
  add_base64_forms(forms, secret, shortest);
  return forms;
}

std::vector<std::string> fragments(std::string_view secret, std::size_t shortest) {
  constexpr std::string_view kSeparators = " /@:";
  std::vector<std::string> out;
  if (secret.find_first_of(kSeparators) == std::string_view::npos) return out;
  while (!secret.empty()) {
    const std::size_t end = secret.find_first_of(kSeparators);
    add(out, std::string(secret.substr(0, end)), shortest);
    if (end == std::string_view::npos) break;
    secret.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace cutover::detail

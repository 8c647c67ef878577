#include "harness/redactor.hpp"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

namespace cutover {

namespace {

// How a value may appear in output besides verbatim: JSON-escaped (reports, quoted excerpts),
// and with "/" written "\/" as some JSON encoders do, itself escaped again when quoted.
std::vector<std::string> written_forms(const std::string& value) {
  const auto escaped = [](const std::string& text) {
    const std::string quoted =
        nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return quoted.substr(1, quoted.size() - 2);
  };
  std::string slashed;
  for (char c : value)
    slashed += c == '/' ? std::string("\\/") : std::string(1, c);
  return {value, escaped(value), slashed, escaped(slashed)};
}

}  // namespace

void Redactor::add_secret(std::string value) {
  if (value.empty()) return;
  for (std::string& form : written_forms(value)) {
    if (std::find(secrets_.begin(), secrets_.end(), form) == secrets_.end()) {
      secrets_.push_back(std::move(form));
    }
  }
}

std::string Redactor::redact(std::string_view text) const {
  // Mark every byte inside any occurrence of any secret, then mask each marked run once: two
  // overlapping secrets leave no tail of either visible.
  std::vector<bool> secret(text.size(), false);
  bool any = false;
  for (const std::string& value : secrets_) {
    for (std::size_t position = text.find(value); position != std::string_view::npos;
         position = text.find(value, position + 1)) {
      std::fill_n(secret.begin() + static_cast<std::ptrdiff_t>(position), value.size(), true);
      any = true;
    }
  }
  if (!any) return std::string(text);
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!secret[i]) {
      out += text[i];
    } else if (i == 0 || !secret[i - 1]) {
      out += kMask;
    }
  }
  return out;
}

}  // namespace cutover

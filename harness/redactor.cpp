#include "harness/redactor.hpp"

#include <algorithm>
#include <vector>

namespace cutover {

void Redactor::add_secret(std::string value) {
  if (value.empty()) return;
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  secrets_.push_back(std::move(value));
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

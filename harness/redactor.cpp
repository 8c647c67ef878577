#include "harness/redactor.hpp"

#include <algorithm>

namespace cutover {

void Redactor::add_secret(std::string value) {
  if (value.empty()) return;
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  secrets_.push_back(std::move(value));
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  for (const std::string& secret : secrets_) {
    std::size_t position = 0;
    while ((position = out.find(secret, position)) != std::string::npos) {
      out.replace(position, secret.size(), kMask);
      position += kMask.size();
    }
  }
  return out;
}

}  // namespace cutover

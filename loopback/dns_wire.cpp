#include "loopback/dns_wire.hpp"

#include <cctype>
#include <charconv>
#include <stdexcept>

namespace cutover::loopback::dns {

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

// Lower case presentation with '.' and '\' inside labels escaped: a map key per name.
std::string name_key(const Name& name) {
  std::string key;
  for (const std::string& label : name) {
    for (char c : lower(label)) {
      if (c == '.' || c == '\\') key += '\\';
      key += c;
    }
    key += '.';
  }
  return key.empty() ? "." : key;
}

bool same_name(const Name& a, const Name& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(),
      [](const std::string& x, const std::string& y) { return lower(x) == lower(y); });
}

Name parse_name(std::string_view text) {
  Name name;
  if (text == ".") return name;
  std::string label;
  std::size_t length = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      if (i + 3 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
          std::isdigit(static_cast<unsigned char>(text[i + 2])) &&
          std::isdigit(static_cast<unsigned char>(text[i + 3]))) {
        int value = 0;
        const auto [end, error] = std::from_chars(text.data() + i + 1, text.data() + i + 4, value);
        if (error != std::errc() || end != text.data() + i + 4 || value > 255) {
          throw std::invalid_argument("bad escape in DNS name \"" + std::string(text) + "\"");
        }
        c = static_cast<char>(value);
        i += 3;
      } else {
        c = text[++i];
      }
    } else if (c == '.') {
      if (label.empty())
        throw std::invalid_argument("empty label in \"" + std::string(text) + "\"");
      length += label.size() + 1;
      name.push_back(std::move(label));
      label.clear();
      continue;
    }
    label += c;
    if (label.size() > kMaxLabelLength) {
      throw std::invalid_argument("label longer than 63 bytes in \"" + std::string(text) + "\"");
    }
  }
  if (!label.empty()) {
    length += label.size() + 1;
    name.push_back(std::move(label));
  }
  if (name.empty()) throw std::invalid_argument("empty DNS name");
  if (length > kMaxNameLength) {
    throw std::invalid_argument("DNS name longer than 255 bytes: \"" + std::string(text) + "\"");
  }
  return name;
}

Name Reader::name() {
  Name result;
  std::size_t position = position_;
  std::optional<std::size_t> resume;
  std::size_t length = 1;
  for (int jumps = 0; ok_;) {
    if (position >= data_.size()) break;
    const unsigned length_byte = static_cast<unsigned char>(data_[position]);
    if (length_byte == 0) {
      position_ = resume.value_or(position + 1);
      return result;
    }
    if ((length_byte & 0xC0) == 0xC0) {
      if (position + 1 >= data_.size() || ++jumps > kMaxPointerJumps) break;
      if (!resume) resume = position + 2;
      position = ((length_byte & 0x3F) << 8) | static_cast<unsigned char>(data_[position + 1]);
      continue;
    }
    if ((length_byte & 0xC0) != 0 || position + 1 + length_byte > data_.size()) break;
    result.emplace_back(data_.substr(position + 1, length_byte));
    length += length_byte + 1;
    if (length > kMaxNameLength) break;
    position += 1 + length_byte;
  }
  ok_ = false;
  return {};
}

}  // namespace cutover::loopback::dns

#include "harness/redactor.hpp"

#include <algorithm>
#include <cctype>

#include "harness/secret_forms.hpp"

namespace cutover {

namespace {

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

bool is_key_character(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}

// `password=VALUE`, `password = 'VALUE'`, `?token=VALUE&`: the whole value after a key's "=".
bool after_equals(std::string_view text, std::size_t begin, std::size_t end) {
  std::size_t i = begin;
  char quote = 0;
  if (i > 0 && (text[i - 1] == '\'' || text[i - 1] == '"')) quote = text[--i];
  while (i > 0 && text[i - 1] == ' ')
    --i;
  if (i == 0 || text[i - 1] != '=') return false;
  --i;
  while (i > 0 && text[i - 1] == ' ')
    --i;
  if (i == 0 || !is_key_character(text[i - 1])) return false;
  if (end == text.size()) return quote == 0;
  if (quote != 0) return text[end] == quote;
  return is_space(text[end]) || std::string_view("&;,#)").find(text[end]) != std::string_view::npos;
}

// `scheme://user:VALUE@host`.
bool in_user_info(std::string_view text, std::size_t begin, std::size_t end) {
  if (begin == 0 || text[begin - 1] != ':' || end >= text.size() || text[end] != '@') return false;
  const std::size_t scheme = text.rfind("://", begin - 1);
  if (scheme == std::string_view::npos) return false;
  const std::string_view user = text.substr(scheme + 3, begin - 1 - (scheme + 3));
  return std::none_of(user.begin(), user.end(),
                      [](char c) { return is_space(c) || c == '/' || c == '@'; });
}

// A header line `Name: VALUE` or `Name: Scheme VALUE`.
bool header_value(std::string_view text, std::size_t begin, std::size_t end) {
  if (end < text.size() && text[end] != '\n' && text[end] != '\r') return false;
  const std::size_t line = text.rfind('\n', begin == 0 ? 0 : begin - 1);
  const std::size_t start = line == std::string_view::npos || begin == 0 ? 0 : line + 1;
  const std::string_view head = text.substr(start, begin - start);
  const std::size_t colon = head.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  if (!std::all_of(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(colon),
                   is_key_character)) {
    return false;
  }
  std::string_view rest = head.substr(colon + 1);
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  if (rest.empty()) return true;
  // One word before the value, the authentication scheme, then one space.
  return rest.back() == ' ' && rest.find(' ') == rest.size() - 1;
}

void mark(std::vector<bool>& secret, std::size_t begin, std::size_t length) {
  std::fill_n(secret.begin() + static_cast<std::ptrdiff_t>(begin), length, true);
}

}  // namespace

void Redactor::add_secret(std::string value) {
  if (value.empty()) return;
  if (value.size() < kShortest) {
    if (std::find(short_secrets_.begin(), short_secrets_.end(), value) == short_secrets_.end()) {
      short_secrets_.push_back(std::move(value));
    }
    return;
  }
  std::vector<std::string> forms = detail::written_forms(value, kShortest);
  for (std::string& fragment : detail::fragments(value, kShortest))
    forms.push_back(std::move(fragment));
  for (std::string& form : forms) {
    if (std::find(forms_.begin(), forms_.end(), form) != forms_.end()) continue;
    longest_ = std::max(longest_, form.size());
    forms_.push_back(std::move(form));
  }
}

std::string Redactor::redact(std::string_view text) const {
  return redact(text, Cuts{});
}

Redactor Redactor::extending(const Redactor& base) {
  Redactor redactor;
  redactor.base_ = &base;
  return redactor;
}

std::string Redactor::redact(std::string_view text, Cuts cuts) const {
  if (empty()) return std::string(text);
  // Mark every byte inside any occurrence of any form, then mask each marked run once: two
  // overlapping secrets leave no tail of either visible.
  std::vector<bool> secret(text.size(), false);
  for (const Redactor* layer = this; layer != nullptr; layer = layer->base_)
    layer->mark_own(text, cuts, secret);
  if (std::find(secret.begin(), secret.end(), true) == secret.end()) return std::string(text);
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

void Redactor::mark_own(std::string_view text, Cuts cuts, std::vector<bool>& secret) const {
  for (const std::string& form : forms_) {
    for (std::size_t at = text.find(form); at != std::string_view::npos;
         at = text.find(form, at + 1)) {
      mark(secret, at, form.size());
    }
    // What a cut left of a form at either end, from the longest part down.
    const std::size_t longest_part = std::min(form.size() - 1, text.size());
    const std::string_view whole(form);
    for (std::size_t length = longest_part; cuts.before && length >= kShortest; --length) {
      if (text.starts_with(whole.substr(form.size() - length))) {
        mark(secret, 0, length);
        break;
      }
    }
    for (std::size_t length = longest_part; cuts.after && length >= kShortest; --length) {
      if (text.ends_with(whole.substr(0, length))) {
        mark(secret, text.size() - length, length);
        break;
      }
    }
  }
  for (const std::string& value : short_secrets_) {
    for (std::size_t at = text.find(value); at != std::string_view::npos;
         at = text.find(value, at + 1)) {
      const std::size_t end = at + value.size();
      if (after_equals(text, at, end) || in_user_info(text, at, end) ||
          header_value(text, at, end)) {
        mark(secret, at, value.size());
      }
    }
  }
}

const Redactor& no_secrets() {
  static const Redactor none;
  return none;
}

}  // namespace cutover

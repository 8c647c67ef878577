#include "harness/variables.hpp"

#include <algorithm>

#include <cstdlib>

#include <fmt/format.h>

#include "harness/text.hpp"

namespace cutover {
namespace {

constexpr std::string_view kSecretPrefix = "secret:";

bool is_name_char(char c, bool first) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (first) return letter;
  return letter || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || !is_name_char(name.front(), true)) return false;
  for (char c : name.substr(1)) {
    if (!is_name_char(c, false)) return false;
  }
  return true;
}

}  // namespace

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Variables::Variables(Environment environment, Redactor& redactor,
                     std::set<std::string>* unset_secrets)
    : environment_(std::move(environment)), redactor_(redactor), unset_secrets_(unset_secrets) {}

void Variables::define(std::string name, std::string value) {
  values_.insert_or_assign(std::move(name), std::move(value));
}

bool Variables::defined(std::string_view name) const {
  return values_.find(name) != values_.end();
}

Expected<std::string> Variables::substitute(std::string_view text,
                                            const std::vector<std::string>& kept) const {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return outcome::failure(Error{"unterminated '${' (write '$${' for a literal '${')"});
    }
    std::string_view reference = text.substr(i + 2, close - i - 2);
    const bool keep = std::any_of(kept.begin(), kept.end(), [reference](const std::string& prefix) {
      return reference.starts_with(prefix);
    });
    if (keep) {
      out.append(text.substr(i, close + 1 - i));
      i = close + 1;
      continue;
    }
    i = close + 1;

    std::optional<std::string_view> fallback;
    if (auto separator = reference.find(":-"); separator != std::string_view::npos) {
      fallback = reference.substr(separator + 2);
      reference = reference.substr(0, separator);
    }
    const bool secret = reference.starts_with(kSecretPrefix);
    const std::string_view name = secret ? reference.substr(kSecretPrefix.size()) : reference;
    if (!is_valid_name(name)) {
      return outcome::failure(Error{"invalid variable reference '${" + std::string(reference) +
                                    "}': expected ${NAME}, ${NAME:-default} or ${secret:NAME}"});
    }

    std::optional<std::string> value;
    if (!secret) {
      if (auto it = values_.find(name); it != values_.end()) value = it->second;
    }
    if (!value) value = environment_(name);
    // As in the shell, ":-" also replaces an empty value.
    if ((!value || value->empty()) && fallback) value = std::string(*fallback);
    if (secret && (!value || value->empty()) && unset_secrets_ != nullptr) {
      unset_secrets_->insert(std::string(name));
      out += kUnsetSecretPlaceholder;
      continue;
    }
    if (!value) {
      if (secret) {
        return outcome::failure(
            Error{"secret '" + std::string(name) + "' is not set in the environment"});
      }
      return outcome::failure(Error{undefined_message(name)});
    }
    if (secret && value->empty()) {
      // CI systems turn an unset secret into an empty variable; an empty password is a
      // misconfiguration, not a value.
      return outcome::failure(Error{"secret '" + std::string(name) + "' is empty"});
    }
    if (secret) redactor_.add_secret(*value);
    out += *value;
  }
  return outcome::success(std::move(out));
}

std::string Variables::undefined_message(std::string_view name) const {
  std::vector<std::string> names;
  for (const auto& [defined, value] : values_)
    names.push_back(defined);
  return fmt::format("undefined variable '{}'", name) +
         suggestion_or(name, names,
                       fmt::format(" (define it under vars, set it in the environment, or write "
                                   "${{{}:-default}})",
                                   name));
}

}  // namespace cutover

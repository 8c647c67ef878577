#include "harness/database.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace cutover {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
        hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

void add(std::vector<std::string>& out, std::string value) {
  if (!value.empty()) out.push_back(std::move(value));
}

// A URI's password as written and, when it differs, percent-decoded.
void add_uri_password(std::vector<std::string>& out, std::string_view password) {
  add(out, std::string(password));
  if (std::string decoded = percent_decoded(password); decoded != password) {
    add(out, std::move(decoded));
  }
}

// libpq's key/value form: `key = value` pairs separated by spaces, a value single-quoted with
// backslash escapes or bare up to the next space.
void keyword_passwords(std::string_view dsn, std::vector<std::string>& out) {
  std::size_t i = 0;
  const auto skip_spaces = [&] {
    while (i < dsn.size() && std::isspace(static_cast<unsigned char>(dsn[i])))
      ++i;
  };
  while (i < dsn.size()) {
    skip_spaces();
    const std::size_t key_start = i;
    while (i < dsn.size() && dsn[i] != '=' && !std::isspace(static_cast<unsigned char>(dsn[i])))
      ++i;
    const std::string_view key = dsn.substr(key_start, i - key_start);
    skip_spaces();
    if (i >= dsn.size() || dsn[i] != '=') return;  // not key/value form
    ++i;
    skip_spaces();
    std::string value;
    const std::size_t written_start = i;
    if (i < dsn.size() && dsn[i] == '\'') {
      for (++i; i < dsn.size() && dsn[i] != '\''; ++i) {
        if (dsn[i] == '\\' && i + 1 < dsn.size()) ++i;
        value += dsn[i];
      }
      ++i;
    } else {
      while (i < dsn.size() && !std::isspace(static_cast<unsigned char>(dsn[i]))) {
        if (dsn[i] == '\\' && i + 1 < dsn.size()) ++i;
        value += dsn[i++];
      }
    }
    if (key != "password") continue;
    // As written too (quotes and escapes), so that the DSN itself is masked where it is shown.
    const std::string written(dsn.substr(written_start, std::min(i, dsn.size()) - written_start));
    if (written != value) add(out, written);
    add(out, std::move(value));
  }
}

// URI form: the password between the first ':' and the '@' of the authority, and a
// `password` query parameter.
void uri_passwords(std::string_view dsn, std::vector<std::string>& out) {
  const std::size_t scheme_end = dsn.find("://");
  std::string_view rest = dsn.substr(scheme_end + 3);
  const std::size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    if (const std::size_t colon = user_info.find(':'); colon != std::string_view::npos) {
      add_uri_password(out, user_info.substr(colon + 1));
    }
  }
  const std::size_t query = rest.find('?');
  if (query == std::string_view::npos) return;
  std::string_view parameters = rest.substr(query + 1);
  while (!parameters.empty()) {
    const std::size_t end = parameters.find('&');
    const std::string_view parameter = parameters.substr(0, end);
    if (parameter.starts_with("password=")) add_uri_password(out, parameter.substr(9));
    if (end == std::string_view::npos) break;
    parameters.remove_prefix(end + 1);
  }
}

}  // namespace

Expected<Engine> engine_of(std::string_view dsn) {
  const std::size_t scheme_end = dsn.find("://");
  // libpq's key/value form has no scheme (a value may hold "://", after an '=').
  if (scheme_end == std::string_view::npos ||
      dsn.substr(0, scheme_end).find('=') != std::string_view::npos) {
    return Engine::postgres;
  }
  const std::string_view scheme = dsn.substr(0, scheme_end);
  if (scheme == "postgresql" || scheme == "postgres") return Engine::postgres;
  return outcome::failure(Error{fmt::format(
      "unsupported database scheme '{}://': expected a PostgreSQL DSN (postgresql://..., "
      "postgres://..., or libpq's key=value form like 'host=db dbname=shop')",
      scheme)});
}

std::string_view engine_name(Engine engine) {
  switch (engine) {
    case Engine::postgres:
      return "PostgreSQL";
  }
  return "unknown";
}

std::vector<std::string> dsn_passwords(std::string_view dsn) {
  std::vector<std::string> out;
  if (dsn.find("://") != std::string_view::npos) {
    uri_passwords(dsn, out);
  } else {
    keyword_passwords(dsn, out);
  }
  return out;
}

}  // namespace cutover

#include "harness/database.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

#include "harness/mysql_dsn.hpp"
#include "harness/text.hpp"

namespace cutover {
namespace {

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

// libpq's key/value form (conninfo_parse): `key = value` pairs separated by spaces, a value
// single-quoted with backslash escapes or bare up to the next space. Adds the passwords to `out`;
// returns what libpq would refuse, worded without quoting the DSN (libpq quotes the word, which
// may be half a password: `missing "=" after "SECRETpwD"`).
std::optional<std::string> keyword_passwords(std::string_view dsn, std::vector<std::string>& out) {
  std::size_t i = 0;
  const auto skip_spaces = [&] {
    while (i < dsn.size() && std::isspace(static_cast<unsigned char>(dsn[i])))
      ++i;
  };
  while (true) {
    skip_spaces();
    if (i >= dsn.size()) return std::nullopt;
    const std::size_t key_start = i;
    while (i < dsn.size() && dsn[i] != '=' && !std::isspace(static_cast<unsigned char>(dsn[i])))
      ++i;
    const std::string_view key = dsn.substr(key_start, i - key_start);
    skip_spaces();
    if (i >= dsn.size() || dsn[i] != '=') {
      return std::string(
          "a word without '=' after it: libpq expects key=value pairs, and a value with a space "
          "in quotes (password='two words', with \\' and \\\\ for a quote and a backslash)");
    }
    ++i;
    skip_spaces();
    std::string value;
    const std::size_t written_start = i;
    bool closed = true;
    if (i < dsn.size() && dsn[i] == '\'') {
      closed = false;
      for (++i; i < dsn.size() && !closed; ++i) {
        if (dsn[i] == '\\' && i + 1 < dsn.size())
          ++i;
        else if (dsn[i] == '\'')
          closed = true;
        if (!closed) value += dsn[i];
      }
    } else {
      while (i < dsn.size() && !std::isspace(static_cast<unsigned char>(dsn[i]))) {
        if (dsn[i] == '\\' && i + 1 < dsn.size()) ++i;
        value += dsn[i++];
      }
    }
    if (key == "password") {
      // As written too (quotes and escapes), so that the DSN itself is masked where it is shown.
      const std::string written(dsn.substr(written_start, i - written_start));
      if (written != value) add(out, written);
      add(out, std::move(value));
    }
    if (!closed) {
      return std::string("a quoted value has no closing quote (a quote inside one is written \\')");
    }
  }
}

// libpq's key/value form has no scheme (a value may hold "://", after an '=').
bool is_uri(std::string_view dsn) {
  const std::size_t scheme_end = dsn.find("://");
  return scheme_end != std::string_view::npos &&
         dsn.substr(0, scheme_end).find('=') == std::string_view::npos;
}

bool is_mysql_uri(std::string_view dsn) {
  return dsn.starts_with("mysql://") || dsn.starts_with("mariadb://");
}

// The user-info of a URI as libpq reads it (conninfo_uri_parse_options): from after "://" to the
// first '@', when an '@' comes before any '/'. None when there is no such '@'; empty for
// "postgresql://@host".
std::optional<std::string_view> user_info(std::string_view uri) {
  const std::string_view rest = uri.substr(uri.find("://") + 3);
  const std::size_t end = rest.find_first_of("@/");
  if (end == std::string_view::npos || rest[end] != '@') return std::nullopt;
  return rest.substr(0, end);
}

// URI form: the password after the user-info's first ':' (libpq's rule: it ends at the first
// '@'), and a `password` query parameter.
void uri_passwords(std::string_view dsn, std::vector<std::string>& out) {
  if (const auto info = user_info(dsn)) {
    if (const std::size_t colon = info->find(':'); colon != std::string_view::npos) {
      add_uri_password(out, info->substr(colon + 1));
    }
  }
  const std::size_t query = dsn.find('?');
  if (query == std::string_view::npos) return;
  std::string_view parameters = dsn.substr(query + 1);
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
  if (!is_uri(dsn)) return Engine::postgres;
  const std::string_view scheme = dsn.substr(0, dsn.find("://"));
  if (scheme == "postgresql" || scheme == "postgres") return Engine::postgres;
  if (is_mysql_uri(dsn)) {
    // A mistake in the user-info is reported first: parsing past it would quote a password.
    if (dsn_mistake(dsn)) return Engine::mysql;
    auto parsed = parse_mysql_dsn(dsn);
    if (!parsed) return outcome::failure(std::move(parsed.error()));
    return Engine::mysql;
  }
  return outcome::failure(Error{fmt::format(
      "unsupported database scheme '{}://': expected a PostgreSQL DSN (postgresql://..., "
      "postgres://..., or libpq's key=value form like 'host=db dbname=shop') or a MySQL/MariaDB "
      "one (mysql://... or mariadb://...)",
      scheme)});
}

std::string_view engine_name(Engine engine) {
  switch (engine) {
    case Engine::postgres:
      return "PostgreSQL";
    case Engine::mysql:
      return "MySQL/MariaDB";
  }
  return "unknown";
}

std::optional<std::string> dsn_mistake(std::string_view dsn) {
  if (!is_uri(dsn)) {
    std::vector<std::string> passwords;
    return keyword_passwords(dsn, passwords);
  }
  const std::optional<std::string_view> info = user_info(dsn);
  // What follows the user-info, up to the query (an '@' there is a parameter's): a password
  // "pa@ss/word" puts its second '@' in the database name.
  std::string_view rest = dsn.substr(dsn.find("://") + 3);
  if (info) rest.remove_prefix(info->size() + 1);
  if (rest.substr(0, rest.find('?')).find('@') == std::string_view::npos) return std::nullopt;
  // MySQL DSNs are read by the same rules (parse_mysql_dsn), by Cutover itself.
  const std::string_view reader = is_mysql_uri(dsn) ? "Cutover" : "libpq";
  if (!info) {
    // "postgresql://app:pass/word@host/db": libpq finds no user-info (a '/' comes first) and
    // reads "pass" as the port.
    return fmt::format(
        "an '@' after a '/': {} reads a user name and password only before the first '/', so "
        "write a '/' in them as %2F (and an '@' in the database name as %40)",
        reader);
  }
  // libpq would read what follows the first '@' as the host and database, and quote it in its
  // errors.
  return fmt::format(
      "more than one '@': {} ends the user name and password at the first '@', so write an '@' "
      "in them (or in the database name) as %40",
      reader);
}

std::vector<std::string> dsn_passwords(std::string_view dsn) {
  std::vector<std::string> out;
  if (is_uri(dsn)) {
    uri_passwords(dsn, out);
  } else {
    keyword_passwords(dsn, out);
  }
  return out;
}

}  // namespace cutover

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/diagnostics.hpp"
#include "harness/expected.hpp"

namespace cutover {

// The database server software a DSN reaches; the check kinds of one engine refuse a database of
// another (the engine-neutral db.* kinds work on both).
enum class Engine { postgres, mysql };

// The engine a DSN names by its form: postgresql:// or postgres:// URIs, and libpq's key=value
// form, are PostgreSQL; mysql:// and mariadb:// URIs are MySQL/MariaDB (read by parse_mysql_dsn,
// whose errors this returns). Any other scheme is an error naming the supported forms, for the
// loader to report against `databases.<name>.dsn`.
Expected<Engine> engine_of(std::string_view dsn);

// "PostgreSQL", "MySQL/MariaDB": the engine's name in messages.
std::string_view engine_name(Engine engine);

// A database a suite declares once under `databases:` and its checks name (`source: src`).
// The harness only carries it; the check kinds of its engine connect to it.
struct Database {
  std::string name;
  std::string dsn;  // a connection string or URI, variables substituted; may hold a password
  Engine engine = Engine::postgres;  // from the DSN, engine_of()
  int max_connections = 4;           // connections a run opens to it at most
  SourceLocation location;
};

// The passwords written into a connection string, read as libpq reads them: `password=...` in
// key/value form (quoted or not), and in a URI the user-info password (`scheme://user:password@
// host`: from the first ':' to the first '@', when that '@' comes before any '/') and a
// `password` query parameter, percent-decoded as well as written. The loader masks them like
// secrets.
std::vector<std::string> dsn_passwords(std::string_view dsn);

// What makes libpq misread a DSN in a way that shows a password, for the loader to report
// against `databases.<name>.dsn`: in a URI, an '@' after the user-info's (a password with an
// '@'), or after a '/' with no user-info before it (a password with a '/'), which libpq reads
// as the host, port or database name and quotes in its errors. Nothing for a DSN without such a
// mistake (an '@' in the query is left alone).
std::optional<std::string> dsn_mistake(std::string_view dsn);

}  // namespace cutover

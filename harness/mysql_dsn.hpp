#pragma once

#include <string>
#include <string_view>

#include "harness/expected.hpp"

namespace cutover {

// How a MySQL/MariaDB connection uses TLS, as MySQL's own clients name the modes (--ssl-mode).
enum class SslMode {
  disabled,        // never
  preferred,       // when the server offers it (the default)
  required,        // always, without verifying the server's certificate
  verify_ca,       // always, the certificate signed by ssl-ca
  verify_identity  // always, the certificate signed by ssl-ca and naming the host
};

// A mysql:// or mariadb:// DSN read apart:
//   mysql://user:password@host:port/database?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/ca.pem
// The user and password end at the first '@' (as for PostgreSQL URIs), are percent-decoded, and
// an '@' or '/' in them is written %40 or %2F. The port is 3306 unless given; the database may be
// left out. The query takes ssl-mode, ssl-ca, ssl-cert and ssl-key only.
struct MysqlDsn {
  std::string user;
  std::string password;
  std::string host;
  unsigned port = 3306;
  std::string database;
  SslMode ssl_mode = SslMode::preferred;
  std::string ssl_ca;    // PEM file of the CA to trust
  std::string ssl_cert;  // client certificate (mutual TLS), with ssl_key
  std::string ssl_key;
};

// The DSN's parts, or an error that quotes none of its user-info (it may hold a password):
// "unknown parameter 'sslmode' in the query: expected ssl-mode, ssl-ca, ssl-cert or ssl-key".
Expected<MysqlDsn> parse_mysql_dsn(std::string_view dsn);

// "VERIFY_IDENTITY": the mode as a DSN writes it.
std::string_view ssl_mode_name(SslMode mode);

}  // namespace cutover

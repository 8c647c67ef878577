#include "harness/database.hpp"
#include "harness/mysql_dsn.hpp"

#include <gtest/gtest.h>

namespace cutover {
namespace {

using Passwords = std::vector<std::string>;

TEST(DsnPasswords, KeywordForm) {
  EXPECT_EQ(dsn_passwords("host=127.0.0.1 port=5432 user=app password=s3cret dbname=db"),
            Passwords{"s3cret"});
  // As written (quoted, escaped) and as libpq reads it.
  EXPECT_EQ(dsn_passwords("password = 'it''s'"), (Passwords{"'it'", "it"}));
  EXPECT_EQ(dsn_passwords(R"(user=app password='a b\'c' dbname=x)"),
            (Passwords{R"('a b\'c')", "a b'c"}));
  EXPECT_EQ(dsn_passwords(R"(password=x\ y)"), (Passwords{R"(x\ y)", "x y"}));
  EXPECT_EQ(dsn_passwords("host=a user=app"), Passwords{});
}

TEST(DsnPasswords, UriForm) {
  EXPECT_EQ(dsn_passwords("postgresql://app:s3cret@127.0.0.1:5432/db"), Passwords{"s3cret"});
  EXPECT_EQ(dsn_passwords("postgres://app:p%40ss%2F@[::1]/db?sslmode=require"),
            (Passwords{"p%40ss%2F", "p@ss/"}));
  EXPECT_EQ(dsn_passwords("postgresql://app@host/db?sslmode=require&password=q%20w"),
            (Passwords{"q%20w", "q w"}));
  EXPECT_EQ(dsn_passwords("postgresql://host/db"), Passwords{});
}

// libpq's rule: the user-info ends at the first '@' before any '/', the password at its first
// '@'. "pa@ss/word" once registered only "pa" (the authority was cut at the '/').
TEST(DsnPasswords, UriPasswordsAreReadAsLibpqReadsThem) {
  EXPECT_EQ(dsn_passwords("postgresql://app:p%40ss@host/db"), (Passwords{"p%40ss", "p@ss"}));
  EXPECT_EQ(dsn_passwords("postgresql://app:s3:cret@host/db"), Passwords{"s3:cret"});
  EXPECT_EQ(dsn_passwords("postgresql://app@host/db"), Passwords{});
  // A '/' before any '@': no user-info at all, as libpq sees it (the port is "SECRETpw").
  EXPECT_EQ(dsn_passwords("postgresql://cutover:SECRETpw/x@127.0.0.1:5432/db"), Passwords{});
}

TEST(DsnMistake, ASecondAtSignIsReportedWithoutQuotingTheDsn) {
  const std::string expected =
      "more than one '@': libpq ends the user name and password at the first '@', so write an "
      "'@' in them (or in the database name) as %40";
  for (const char* dsn : {"postgresql://app:p@ss@host/db", "postgresql://app:pa@ss/word@host/db",
                          "postgres://app:a@b@[::1]:5432"}) {
    EXPECT_EQ(dsn_mistake(dsn), expected) << dsn;
  }
  // Issue 15's reproducer: libpq said `invalid integer value "SECRETpw" for connection option
  // "port"`.
  EXPECT_EQ(dsn_mistake("postgresql://cutover:SECRETpw/x@127.0.0.1:5432/db"),
            "an '@' after a '/': libpq reads a user name and password only before the first '/', "
            "so write a '/' in them as %2F (and an '@' in the database name as %40)");
  for (const char* dsn : {"postgresql://app:p%40ss@host/db", "postgresql://host/db?user=a",
                          "postgresql://app@host/db?application_name=a@b", "host=db password=a@b@c",
                          "postgresql://app:pass%2Fx@host/db",
                          // An empty user-info is libpq's too: it was refused as "an '@' after
                          // a '/'".
                          "postgresql://@host/db"}) {
    EXPECT_EQ(dsn_mistake(dsn), std::nullopt) << dsn;
  }
}

// Issue 15's reproducer: password=${secret:SD} with SD='Wr0ng SECRETpwD' gave libpq's `missing
// "=" after "SECRETpwD"`. The loader says what is wrong without quoting it.
TEST(DsnMistake, AKeyValueDsnLibpqWouldRefuseIsReportedWithoutQuotingIt) {
  EXPECT_EQ(dsn_mistake("host=127.0.0.1 password=Wr0ng SECRETpwD dbname=db"),
            "a word without '=' after it: libpq expects key=value pairs, and a value with a space "
            "in quotes (password='two words', with \\' and \\\\ for a quote and a backslash)");
  EXPECT_EQ(dsn_mistake("host=db password='open"),
            "a quoted value has no closing quote (a quote inside one is written \\')");
  for (const char* dsn :
       {"host=127.0.0.1 password='Wr0ng SECRETpwD' dbname=db", "", "host = db  port=5432 ",
        R"(password='it\'s' user=a)", "host=db options='-c search_path=a://b'"}) {
    EXPECT_EQ(dsn_mistake(dsn), std::nullopt) << dsn;
  }
}

TEST(EngineOf, PostgresForms) {
  for (const char* dsn :
       {"postgresql://app@127.0.0.1:5432/db", "postgres://app@host/db",
        "host=127.0.0.1 port=5432 dbname=db", "host=db options='-c search_path=a://b'", ""}) {
    const Expected<Engine> engine = engine_of(dsn);
    ASSERT_TRUE(engine) << dsn << ": " << engine.error().message;
    EXPECT_EQ(engine.value(), Engine::postgres) << dsn;
  }
  EXPECT_EQ(engine_name(Engine::postgres), "PostgreSQL");
}

TEST(EngineOf, MysqlAndMariadbUris) {
  for (const char* dsn : {"mysql://app:s3cret@127.0.0.1:3306/shop", "mariadb://app@db/shop",
                          "mysql://127.0.0.1", "mysql://app@[::1]:3307/db?ssl-mode=REQUIRED"}) {
    const Expected<Engine> engine = engine_of(dsn);
    ASSERT_TRUE(engine) << dsn << ": " << engine.error().message;
    EXPECT_EQ(engine.value(), Engine::mysql) << dsn;
  }
  EXPECT_EQ(engine_name(Engine::mysql), "MySQL/MariaDB");
}

TEST(EngineOf, OtherSchemesNameTheSupportedForms) {
  for (const char* scheme : {"sqlserver", "http"}) {
    const Expected<Engine> engine = engine_of(std::string(scheme) + "://app:s3cret@host/db");
    ASSERT_FALSE(engine) << scheme;
    EXPECT_EQ(engine.error().message,
              std::string("unsupported database scheme '") + scheme +
                  "://': expected a PostgreSQL DSN (postgresql://..., postgres://..., or libpq's "
                  "key=value form like 'host=db dbname=shop') or a MySQL/MariaDB one "
                  "(mysql://... or mariadb://...)");
  }
}

TEST(MysqlDsn, ReadsEveryPart) {
  const Expected<MysqlDsn> dsn = parse_mysql_dsn(
      "mysql://app%40corp:pa%2Fss%3Aw@db.internal:3307/shop?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/"
      "ca.pem&ssl-cert=/c.pem&ssl-key=/k.pem");
  ASSERT_TRUE(dsn) << dsn.error().message;
  EXPECT_EQ(dsn.value().user, "app@corp");
  EXPECT_EQ(dsn.value().password, "pa/ss:w");
  EXPECT_EQ(dsn.value().host, "db.internal");
  EXPECT_EQ(dsn.value().port, 3307u);
  EXPECT_EQ(dsn.value().database, "shop");
  EXPECT_EQ(dsn.value().ssl_mode, SslMode::verify_identity);
  EXPECT_EQ(dsn.value().ssl_ca, "/etc/ca.pem");
  EXPECT_EQ(dsn.value().ssl_cert, "/c.pem");
  EXPECT_EQ(dsn.value().ssl_key, "/k.pem");
  EXPECT_EQ(ssl_mode_name(dsn.value().ssl_mode), "VERIFY_IDENTITY");
}

// As dsn_passwords reads it: the user-info ends at the first '@' before any '/', a '?' included.
TEST(MysqlDsn, AQuestionMarkInThePasswordIsThePasswords) {
  const Expected<MysqlDsn> dsn =
      parse_mysql_dsn("mysql://app:se?cret@db:3307/shop?ssl-mode=REQUIRED");
  ASSERT_TRUE(dsn) << dsn.error().message;
  EXPECT_EQ(dsn.value().password, "se?cret");
  EXPECT_EQ(dsn.value().host, "db");
  EXPECT_EQ(dsn.value().port, 3307u);
  EXPECT_EQ(dsn.value().ssl_mode, SslMode::required);
  EXPECT_EQ(dsn_passwords("mysql://app:se?cret@db/shop"), (std::vector<std::string>{"se?cret"}));
}

TEST(MysqlDsn, DefaultsToPort3306AndPreferredTls) {
  const Expected<MysqlDsn> dsn = parse_mysql_dsn("mariadb://[::1]");
  ASSERT_TRUE(dsn) << dsn.error().message;
  EXPECT_EQ(dsn.value().host, "::1");
  EXPECT_EQ(dsn.value().port, 3306u);
  EXPECT_EQ(dsn.value().user, "");
  EXPECT_EQ(dsn.value().database, "");
  EXPECT_EQ(dsn.value().ssl_mode, SslMode::preferred);
}

TEST(MysqlDsn, MistakesAreErrorsThatQuoteNoPassword) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"mysql://app:s3cret@db/shop?sslmode=require",
       "unknown parameter 'sslmode' in the query (did you mean 'ssl-mode'?)"},
      {"mysql://app:s3cret@db/shop?timeout=5",
       "unknown parameter 'timeout' in the query: expected ssl-mode, ssl-ca, ssl-cert or ssl-key"},
      {"mysql://app:s3cret@db/shop?ssl-mode=require",
       "ssl-mode 'require' is not a mode: expected DISABLED, PREFERRED, REQUIRED, VERIFY_CA or "
       "VERIFY_IDENTITY"},
      {"mysql://app:s3cret@db/shop?ssl-mode=VERIFY_CA",
       "ssl-mode=VERIFY_CA needs ssl-ca, the CA to verify the server against"},
      {"mysql://app:s3cret@db/shop?ssl-cert=/c.pem",
       "ssl-cert and ssl-key go together: a client certificate needs its key"},
      {"mysql://app:s3cret@db:99999/shop", "the port '99999' is not a number from 1 to 65535"},
      {"mysql://app:s3cret@/shop", "expected a host after '@' (or after '://')"},
      {"mysql://app:s3cret@db/shop/orders",
       "expected one database name after the host, got a path"},
  };
  for (const auto& [dsn, message] : cases) {
    const Expected<MysqlDsn> parsed = parse_mysql_dsn(dsn);
    ASSERT_FALSE(parsed) << dsn;
    EXPECT_EQ(parsed.error().message, message) << dsn;
    const Expected<Engine> engine = engine_of(dsn);
    ASSERT_FALSE(engine) << dsn;
    EXPECT_EQ(engine.error().message, message) << dsn;
  }
}

TEST(MysqlDsn, PasswordsAreMaskedAndMistakesNamed) {
  EXPECT_EQ(dsn_passwords("mysql://app:pa%40ss@db/shop"),
            (std::vector<std::string>{"pa%40ss", "pa@ss"}));
  EXPECT_EQ(dsn_mistake("mysql://app:pa/ss@db/shop"),
            "an '@' after a '/': Cutover reads a user name and password only before the first "
            "'/', so write a '/' in them as %2F (and an '@' in the database name as %40)");
  EXPECT_EQ(dsn_mistake("mysql://app:p@ss@db/shop"),
            "more than one '@': Cutover ends the user name and password at the first '@', so "
            "write an '@' in them (or in the database name) as %40");
  // The loader reports the mistake, not the port that a password with a '/' would give.
  EXPECT_TRUE(engine_of("mysql://app:pa/ss@db/shop"));
}

}  // namespace
}  // namespace cutover

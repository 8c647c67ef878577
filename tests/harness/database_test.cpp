#include "harness/database.hpp"

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

TEST(EngineOf, OtherSchemesNameTheSupportedForms) {
  for (const char* scheme : {"mysql", "mariadb", "http"}) {
    const Expected<Engine> engine = engine_of(std::string(scheme) + "://app:s3cret@host/db");
    ASSERT_FALSE(engine) << scheme;
    EXPECT_EQ(engine.error().message,
              std::string("unsupported database scheme '") + scheme +
                  "://': expected a PostgreSQL DSN (postgresql://..., postgres://..., or libpq's "
                  "key=value form like 'host=db dbname=shop')");
  }
}

}  // namespace
}  // namespace cutover

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

}  // namespace
}  // namespace cutover

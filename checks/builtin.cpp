#include "checks/builtin.hpp"

#include "checks/database/engine_kinds.hpp"
#include "checks/dns.hpp"
#include "checks/http.hpp"
#include "checks/mysql/connect.hpp"
#include "checks/mysql/frozen.hpp"
#include "checks/mysql/replication.hpp"
#include "checks/mysql/smoke.hpp"
#include "checks/postgres/checksum.hpp"
#include "checks/postgres/connect.hpp"
#include "checks/postgres/frozen.hpp"
#include "checks/postgres/replication.hpp"
#include "checks/postgres/schema.hpp"
#include "checks/postgres/smoke.hpp"
#include "checks/query.hpp"
#include "checks/row_count.hpp"
#include "checks/tcp.hpp"
#include "checks/tls.hpp"

namespace cutover {
namespace {

template <typename CheckType>
database::EngineImplementation implementation(Engine engine) {
  return {.engine = engine, .spec = CheckType::spec(), .factory = [](Fields& fields) {
            return std::make_unique<CheckType>(fields);
          }};
}

template <typename CheckType>
void add_postgres(Registry& registry, std::string name, std::string neutral_name = {}) {
  database::add_engine_kind(registry, std::move(name), implementation<CheckType>(Engine::postgres),
                            std::move(neutral_name));
}

}  // namespace

void register_builtin_checks(Registry& registry) {
  database::add_neutral_kind(
      registry, "db.connect",
      "Opens a new connection to a database (PostgreSQL or MySQL/MariaDB): it must be reachable "
      "and accept the credentials. Optionally checks the server version, settings, TLS and, on "
      "MySQL/MariaDB, the account's authentication plugin.",
      {implementation<PostgresConnectCheck>(Engine::postgres),
       implementation<MysqlConnectCheck>(Engine::mysql)},
      {{"min_version",
        "The oldest server version accepted: \"15.4\" (PostgreSQL), \"8.0\" or "
        "\"10.11.6\" (MySQL/MariaDB)"},
       {"settings",
        "Settings and the text the server shows for each: SHOW on PostgreSQL, compared exactly "
        "({ssl: \"on\", password_encryption: scram-sha-256}; true/false are on/off); SHOW "
        "GLOBAL VARIABLES on MySQL/MariaDB, compared ignoring case ({require_secure_transport: "
        "ON}; true/false are ON/OFF)"},
       {"require_tls",
        "The session must be encrypted, and a connection without TLS to the same DSN "
        "(sslmode=disable, ssl-mode=DISABLED) must be rejected"}});
  registry.add<QueryCheck>("db.query");
  registry.add<RowCountCheck>("db.row_count");
  database::add_neutral_kind(
      registry, "db.smoke",
      "SQL steps run in one read-write transaction, each with optional assertions on its result; "
      "the first failing step stops the run. Rolled back at the end (on PostgreSQL, unless "
      "commit: true): the only check kind that writes. On MySQL/MariaDB (InnoDB) always rolled "
      "back, and statements that commit implicitly are refused. Measures total_ms.",
      {implementation<PostgresSmokeCheck>(Engine::postgres),
       implementation<MysqlSmokeCheck>(Engine::mysql)},
      {{"steps",
        "A list of steps, each {sql: one statement, expect: text of the first column of the only "
        "row, rows: rows returned, or affected by a statement that returns none (PostgreSQL: "
        "without RETURNING; MySQL/MariaDB: an UPDATE's rows matched), empty: true or false}; a "
        "step without assertions must just succeed"},
       {"commit",
        "true: commit the transaction when every step passed (PostgreSQL only; a "
        "MySQL/MariaDB smoke transaction is always rolled back)"}});
  database::add_neutral_kind(
      registry, "db.frozen",
      "The change freeze is real: during a window nothing writes to the database. PostgreSQL: "
      "no inserts, updates or deletes in its tables, no open write transaction, no session of "
      "the listed roles. MySQL/MariaDB: read_only ON, the binary log and GTID positions and "
      "InnoDB's transaction counter unchanged, no open write transaction, no session of the "
      "listed users.",
      {implementation<PostgresFrozenCheck>(Engine::postgres),
       implementation<MysqlFrozenCheck>(Engine::mysql)});
  database::add_neutral_kind(
      registry, "db.replication",
      "A replica has caught up with its source: a PostgreSQL subscription or streaming standby "
      "(as postgres.replication), or a MySQL/MariaDB replica whose IO and SQL threads run and "
      "that has applied the source's GTID position. With retry: until:, waits for it before a "
      "cutover.",
      {implementation<PostgresReplicationCheck>(Engine::postgres),
       implementation<MysqlReplicationCheck>(Engine::mysql)},
      {{"source",
        "the source: the publishing database or primary (PostgreSQL), the replica's "
        "source (MySQL/MariaDB)"},
       {"target", "the subscribing database or standby (PostgreSQL), the replica (MySQL/MariaDB)"},
       {"max_lag",
        "lag in time: 0 when nothing is pending, else how long ago the subscriber last reported "
        "(PostgreSQL logical), the age of the last transaction replayed (physical), or "
        "Seconds_Behind_Master (MySQL/MariaDB)"},
       {"mode", "PostgreSQL only: logical (a subscription) or physical (a streaming standby)"},
       {"subscription",
        "PostgreSQL only, logical: the subscription's name on the target; by default the only "
        "subscription of the target's database"},
       {"max_lag_bytes",
        "PostgreSQL only: WAL written on the source up to the check that the slot may leave "
        "unconfirmed (confirmed_flush_lsn); physical: that the standby may not have replayed "
        "(pg_last_wal_replay_lsn)"},
       {"max_lag_transactions",
        "MySQL/MariaDB only: transactions of the source's GTID position the replica may not have "
        "applied yet (MariaDB: sequence numbers per domain; MySQL: GTIDs)"}});
  registry.add<DnsCheck>("dns");
  registry.add<HttpCheck>("http");
  add_postgres<PostgresChecksumCheck>(registry, "postgres.checksum");
  add_postgres<PostgresConnectCheck>(registry, "postgres.connect", "db.connect");
  add_postgres<PostgresFrozenCheck>(registry, "postgres.frozen", "db.frozen");
  database::add_engine_kind(
      registry, "postgres.query",
      {.engine = Engine::postgres,
       .spec = QueryCheck::postgres_spec(),
       .factory = [](Fields& fields) { return std::make_unique<QueryCheck>(fields); }},
      "db.query");
  add_postgres<PostgresReplicationCheck>(registry, "postgres.replication", "db.replication");
  database::add_engine_kind(
      registry, "postgres.row_count",
      {.engine = Engine::postgres,
       .spec = RowCountCheck::postgres_spec(),
       .factory = [](Fields& fields) { return std::make_unique<RowCountCheck>(fields); }},
      "db.row_count");
  add_postgres<PostgresSchemaCheck>(registry, "postgres.schema");
  add_postgres<PostgresSmokeCheck>(registry, "postgres.smoke", "db.smoke");
  registry.add<TcpCheck>("tcp");
  registry.add<TlsCheck>("tls");
}

}  // namespace cutover

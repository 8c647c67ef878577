#include "checks/builtin.hpp"

#include "checks/dns.hpp"
#include "checks/http.hpp"
#include "checks/postgres/checksum.hpp"
#include "checks/postgres/connect.hpp"
#include "checks/postgres/frozen.hpp"
#include "checks/postgres/query.hpp"
#include "checks/postgres/replication.hpp"
#include "checks/postgres/row_count.hpp"
#include "checks/postgres/schema.hpp"
#include "checks/postgres/smoke.hpp"
#include "checks/tcp.hpp"
#include "checks/tls.hpp"

namespace cutover {

void register_builtin_checks(Registry& registry) {
  registry.add<DnsCheck>("dns");
  registry.add<HttpCheck>("http");
  registry.add<PostgresChecksumCheck>("postgres.checksum");
  registry.add<PostgresConnectCheck>("postgres.connect");
  registry.add<PostgresFrozenCheck>("postgres.frozen");
  registry.add<PostgresQueryCheck>("postgres.query");
  registry.add<PostgresReplicationCheck>("postgres.replication");
  registry.add<PostgresRowCountCheck>("postgres.row_count");
  registry.add<PostgresSchemaCheck>("postgres.schema");
  registry.add<PostgresSmokeCheck>("postgres.smoke");
  registry.add<TcpCheck>("tcp");
  registry.add<TlsCheck>("tls");
}

}  // namespace cutover

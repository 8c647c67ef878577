#include "checks/builtin.hpp"

#include "checks/dns.hpp"
#include "checks/http.hpp"
#include "checks/tcp.hpp"
#include "checks/tls.hpp"

namespace cutover {

void register_builtin_checks(Registry& registry) {
  registry.add<DnsCheck>("dns");
  registry.add<HttpCheck>("http");
  registry.add<TcpCheck>("tcp");
  registry.add<TlsCheck>("tls");
}

}  // namespace cutover

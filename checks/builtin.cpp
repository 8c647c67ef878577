#include "checks/builtin.hpp"

#include "checks/tcp.hpp"

namespace cutover {

void register_builtin_checks(Registry& registry) {
  registry.add<TcpCheck>("tcp");
}

}  // namespace cutover

#pragma once

#include "harness/plan.hpp"
#include "harness/suite_values.hpp"
#include "harness/yaml.hpp"

namespace cutover::detail {

// `databases: { source: { dsn: "${secret:SOURCE_DSN}", max_connections: 4 } }`: each database is
// added to the plan and to the file's context, its passwords to the plan's redactor. A name an
// included file declares again stands for its own database there. A database with a mistake is
// declared in the context as null, so that only its own mistake is reported.
void read_databases(ValueReader& reader, const yaml::Node& node, FileContext& context, Plan& plan);

}  // namespace cutover::detail

#pragma once

#include <nlohmann/json.hpp>

#include "harness/registry.hpp"

namespace cutover {

// The JSON Schema (draft 2020-12) of a suite file, as the loader reads it: the top-level keys,
// `databases`, `defaults`, and each check, with `kind` choosing the fields of the registry's
// kinds from their KindSpecs. Editors validate and complete suites with it (`cutover schema`).
//
// The loader reads every scalar as text, so a value typed by the spec (an integer, a duration)
// may also be a string holding a variable reference such as "${PORT}": its value is known only
// when the suite is loaded. Other quoted forms the loader also reads ("443", "true") are flagged,
// so that suites keep one spelling. Keys the loader rejects are rejected here too.
nlohmann::ordered_json suite_schema(const Registry& registry);

}  // namespace cutover

#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/database.hpp"
#include "harness/registry.hpp"

// Kinds and engines: a kind of one engine (postgres.connect) refuses another engine's database
// at load, and an engine-neutral kind (db.connect) runs each engine's own implementation.
namespace cutover::database {

// One engine's implementation of a kind: its fields and its constructor.
struct EngineImplementation {
  Engine engine = Engine::postgres;
  KindSpec spec{};
  CheckFactory factory{};
};

// Registers `name` as a kind of one engine: a database field naming a database of another
// engine is a load error that names the engine-neutral kind to use instead ("database 'shop' is
// MySQL/MariaDB: postgres.connect checks PostgreSQL databases only (use db.connect)");
// `neutral_name` empty when there is none yet.
void add_engine_kind(Registry& registry, std::string name, EngineImplementation implementation,
                     std::string neutral_name);

// Registers `name` as an engine-neutral kind: its fields are every implementation's (a field
// one engine lacks is a load error for a database of that engine), and the databases its
// database fields name pick the implementation. Databases of different engines in one check
// are a load error. `descriptions` replaces the descriptions of fields whose implementations
// describe them for one engine ({"min_version", "The oldest server version: 15.4, 8.0"}).
void add_neutral_kind(Registry& registry, std::string name, std::string description,
                      std::vector<EngineImplementation> implementations,
                      const std::map<std::string, std::string>& descriptions = {});

}  // namespace cutover::database

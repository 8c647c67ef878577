#include "checks/postgres/checksum.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/postgres/checksum_engine.hpp"
#include "checks/postgres/checksum_target.hpp"
#include "checks/postgres/tables.hpp"

namespace cutover {

namespace {

constexpr std::int64_t kDefaultSegmentRows = 10000;
constexpr std::int64_t kDefaultMaxDiffs = 100;

std::optional<int> optional_integer(Fields& fields, std::string_view name) {
  if (!fields.has(name)) return std::nullopt;
  return static_cast<int>(fields.integer(name));
}

}  // namespace

KindSpec PostgresChecksumCheck::spec() {
  return {
      "Source against target, table by table: segment fingerprints (row counts and sums of "
      "64-bit row hashes) computed inside both databases, then the exact keys of rows missing, "
      "extra or changed, with the columns that differ.",
      {
          {.name = "source",
           .type = FieldType::database,
           .required = true,
           .description = "the database migrated from"},
          {.name = "target",
           .type = FieldType::database,
           .required = true,
           .description = "the database migrated to"},
          {.name = "tables",
           .type = FieldType::string_list,
           .required = true,
           .description = "tables to compare: name (schema public), schema.name, or globs like "
                          "sales.*; a table missing on either side fails",
           .non_empty = true},
          {.name = "exclude",
           .type = FieldType::string_list,
           .description = "globs of schema.name left out of what tables matched"},
          {.name = "columns",
           .type = FieldType::string_list,
           .description = "compare only these columns (and the key); default: every column, "
                          "matched by name"},
          {.name = "exclude_columns",
           .type = FieldType::string_list,
           .description = "columns left out of the compare (never the key)"},
          {.name = "where",
           .type = FieldType::string,
           .description = "an SQL condition applied on both sides, e.g. created_at < "
                          "'2026-01-01'",
           .characters = Characters::multiline},
          {.name = "mode",
           .type = FieldType::choice,
           .description = "native: type-aware hash_record_extended (PostgreSQL 14+); canonical: "
                          "md5 of a documented text rendering another engine can rebuild",
           .choices = {"native", "canonical"},
           .default_value = "native on 14+"},
          {.name = "float_digits",
           .type = FieldType::integer,
           .description = "compare float4/float8 to this many significant digits",
           .min = 1,
           .max = 17},
          {.name = "timestamp_precision",
           .type = FieldType::integer,
           .description = "round timestamps and times to this many fractional second digits",
           .min = 0,
           .max = 6},
          {.name = "trim_char",
           .type = FieldType::boolean,
           .description = "compare char(n) without its padding spaces, as PostgreSQL does",
           .default_value = "true"},
          {.name = "segment_rows",
           .type = FieldType::integer,
           .description = "rows per segment fingerprint (a differing segment is localised "
                          "further)",
           .default_value = "10000",
           .min = 100,
           .max = 100'000'000},
          {.name = "max_diffs",
           .type = FieldType::integer,
           .description = "differing keys listed in the result (all are counted)",
           .default_value = "100",
           .min = 0,
           .max = 100'000},
          {.name = "recheck",
           .type = FieldType::duration,
           .description = "when rows differ, read the differing segments again after this "
                          "wait and report what still differs (online migrations)"},
      }};
}

PostgresChecksumCheck::PostgresChecksumCheck(Fields& fields) {
  auto target = std::make_shared<detail::ChecksumTarget>();
  target->source = fields.database("source");
  target->target = fields.database("target");
  for (const std::string& table : fields.strings("tables"))
    target->tables.push_back(postgres::qualified(table));
  if (fields.has("tables") && target->tables.empty())
    fields.error("tables", "tables: expected at least one table name or glob (like sales.*)");
  for (const std::string& glob : fields.strings("exclude"))
    target->exclude.push_back(postgres::qualified(glob));
  target->columns = fields.strings("columns");
  target->exclude_columns = fields.strings("exclude_columns");
  if (!target->columns.empty() && !target->exclude_columns.empty()) {
    fields.error("exclude_columns", "give columns or exclude_columns, not both");
  }
  target->where = fields.string("where");
  if (fields.has("mode")) {
    target->mode = fields.string("mode") == "canonical" ? postgres::checksum::Mode::canonical
                                                        : postgres::checksum::Mode::native;
  }
  target->normalisation.float_digits = optional_integer(fields, "float_digits");
  target->normalisation.timestamp_precision = optional_integer(fields, "timestamp_precision");
  target->normalisation.trim_char = fields.boolean("trim_char", true);
  target->segment_rows = fields.integer("segment_rows", kDefaultSegmentRows);
  target->max_diffs = fields.integer("max_diffs", kDefaultMaxDiffs);
  if (fields.has("recheck")) target->recheck = fields.duration("recheck");
  target_ = std::move(target);
}

PostgresChecksumCheck::~PostgresChecksumCheck() = default;

void PostgresChecksumCheck::start(CheckContext& context, Completion done) {
  database::start_checksum(postgres::checksum::make_engine(target_),
                           {.tables = target_->tables,
                            .exclude = target_->exclude,
                            .max_diffs = target_->max_diffs,
                            .recheck = target_->recheck},
                           context, std::move(done));
}

std::string PostgresChecksumCheck::describe() const {
  std::string text =
      fmt::format("{} vs {}: {}", target_->source ? target_->source->name : "?",
                  target_->target ? target_->target->name : "?", fmt::join(target_->tables, ", "));
  if (!target_->exclude.empty())
    text += fmt::format(" except {}", fmt::join(target_->exclude, ", "));
  if (!target_->where.empty()) text += fmt::format(" where {}", target_->where);
  return text;
}

}  // namespace cutover

#pragma once

#include <memory>
#include <string>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

namespace detail {
struct ChecksumTarget;
}  // namespace detail

// The `postgres.checksum` kind: proves that tables hold the same rows on `source` and
// `target`, and names the rows that differ.
//
// 1. Every table is split into segments by its key (primary key, else a unique not-null key):
//    a one-column integer key by ranges of `segment_rows` rows, other keys by bounds sampled on
//    the source (compared in "C" collation, so both sides agree). For each segment the database
//    computes the row count and the SUM of 64-bit row hashes (order-independent; a sum, never an
//    XOR, so duplicated rows do not cancel out), all segments in one scan grouped by segment.
//    Each side's scan is split over its pool's connections by physical block ranges (ctid), all
//    of them reading one snapshot exported by the first (pg_export_snapshot). Both sides run at
//    once. No row data crosses the network for equal segments.
// 2. Differing segments of an integer key are split again (16 parts per step, through the key's
//    index) until they are small; then the keys, row hashes and column hashes of only those rows
//    are fetched and compared: rows missing on the target, extra on the target, and changed rows
//    with the columns that differ. Other keys fetch the differing segments' rows at once.
//    Tables without a key are fingerprinted by row hash: the result counts missing and extra
//    (duplicated) rows, and says that keys could not be localised.
// 3. With `recheck`, the differing segments are read again after that wait, for online
//    migrations where rows are still in flight.
// Columns are matched by name, not position; a column on one side only is a difference.
class PostgresChecksumCheck : public Check {
 public:
  static KindSpec spec();

  explicit PostgresChecksumCheck(Fields& fields);
  ~PostgresChecksumCheck() override;

  void start(CheckContext& context, Completion done) override;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::ChecksumTarget> target_;
};

}  // namespace cutover

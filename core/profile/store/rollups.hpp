// Hourly rollups: the windows that start in one UTC hour, merged when the hour
// closes (samples summed per thread and stack, and again per process and
// stack, the newest process and thread rows, metrics downsampled:
// metrics_downsampling.hpp). A read of a day then
// merges 24 rollups and the open hour's windows instead of 1,440 windows.
//
// Span rollups: the per-process samples of the hourly rollups of a closed
// block of kSpanHours UTC hours, merged once more (schema 8), so a read per
// process of a day merges about 4 span rollups and a few hours instead of 24
// hours. A span stands for exactly the hourly rollups it merged: readers use
// it only where the range takes all of them from their rollups (their
// metrics, processes and spans still come from the hourly rows).
//
// A rollup stands for exactly the windows of its hour: writing a window into
// an hour that has one deletes it (the hour is rolled up again later), and
// retention deletes the rollups of hours it took windows from. Readers also
// check the window count before using one.
#pragma once

#include <cstdint>
#include <vector>

#include "sqlite_db.hpp"

namespace ember::store {

inline constexpr std::int64_t kHourNs = 3'600'000'000'000;
inline constexpr std::int64_t kSpanHours = 6;
inline constexpr std::int64_t kSpanNs = kSpanHours * kHourNs;

// The start of the hour `time_ns` falls in.
std::int64_t hour_of(std::int64_t time_ns);

// The start of the block of kSpanHours hours `time_ns` falls in.
std::int64_t span_of(std::int64_t time_ns);

// (Re)builds the rollup of the windows starting in [hour_ns, hour_ns + 1 h);
// deletes it when the hour has none, or when its samples hardly sum (see
// RefsMerger::hardly_sums: the hour is left to its windows). Part of the
// caller's transaction.
void build_rollup(Database& db, std::int64_t hour_ns);

// (Re)builds the span rollup of the block starting at `span_ns` from its
// hourly rollups when every hour of it that holds windows has an up-to-date
// rollup with per-process samples and their samples sum; deletes it
// otherwise. Returns whether one was written. Part of the caller's
// transaction.
bool build_span_rollup(Database& db, std::int64_t span_ns);

// Deletes the rollup of the hour `time_ns` is in, if any, and its block's
// span rollup.
void drop_rollup_of(Database& db, std::int64_t time_ns);

// Deletes rollups whose hour no longer holds the windows they merged, and
// span rollups whose block does not.
void drop_stale_rollups(Database& db);

// Hours before the newest window's hour that hold windows but no rollup, or
// one without per-process samples, oldest first (an older store, a crash
// before a rollup was written).
std::vector<std::int64_t> hours_without_rollup(Database& db);

// Closed blocks (before the newest window's block) that hold windows but no
// span rollup, oldest first (a store from before schema 8, a block whose
// hours were not all rolled up when it closed).
std::vector<std::int64_t> spans_without_rollup(Database& db);

}  // namespace ember::store

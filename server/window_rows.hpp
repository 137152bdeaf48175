// One ingested window as the rows of the fleet's tables, in ClickHouse's
// TabSeparated format: frames and stacks with content-hash ids (FNV-1a, the
// local store's stable_hash, so the same frame from any host or server has
// the same id) and the samples that refer to them.
#pragma once

#include <cstdint>
#include <string>

#include "ember/window.hpp"
#include "ingest_params.hpp"
#include "known_ids.hpp"

namespace ember::server {

// Column lists of the INSERTs, in the rows' order.
extern const char* const kFrameColumns;
extern const char* const kStackColumns;
extern const char* const kSampleColumns;
extern const char* const kHostMetricColumns;
extern const char* const kProcessMetricColumns;

struct WindowRows {
  std::string frames;
  std::string stacks;
  std::string samples;
  std::string host_metrics, process_metrics;  // the window's steps, when it has them
  std::uint64_t sample_count = 0;  // the samples' counts summed
  std::size_t sample_rows = 0;
  // The ids of the frame and stack rows written (those not known stored).
  std::vector<std::uint64_t> frame_ids, stack_ids;
};

// Frames and stacks ClickHouse holds already: their rows are left out.
struct KnownRows {
  KnownIds* frames = nullptr;
  KnownIds* stacks = nullptr;
};

// `window` holds the samples; its start/end (else params' from/until) give
// ts and duration_ms. `service` of a sample: its process's service label,
// else, for a profile without processes (folded, other profilers' pprof),
// the application name. `entry` (the agent's spool entry, or "") is on every
// sample row: ClickHouse marks the entry stored from the same INSERT
// (clickhouse_schema.hpp).
WindowRows window_rows(const Window& window, const IngestParams& params,
                       const std::string& entry = "", KnownRows known = {});

// `text` appended as a TabSeparated field: backslash escapes for what would
// break the row.
void put_field(std::string& out, std::string_view text);

std::uint64_t frame_id(const Frame& frame);
// Of the frames' ids, root first.
std::uint64_t stack_id(const std::vector<std::uint64_t>& frame_ids);

}  // namespace ember::server

// The fleet's tables in ClickHouse (docs/fleet.md, "ClickHouse schema"),
// created at the server's start when missing: frames and stacks deduplicated
// by content hash, samples in a MergeTree ordered for a service's or host's
// time range, an hourly rollup, and the spool entries already stored (so a
// window the agent sends again is not counted twice). Checked against
// Debian's ClickHouse 18.16.
#pragma once

#include <string>
#include <vector>

#include "clickhouse_client.hpp"
#include "ember/status.hpp"

namespace ember::server {

// The CREATE statements, in order, for `database` (created first).
std::vector<std::string> schema_statements(const std::string& database);
// Then the materialized view that marks a window's spool entry stored from
// the INSERT of its samples.
std::vector<std::string> marker_statements(const std::string& database);

// Runs them; an unreachable ClickHouse or a refused statement is an error
// naming the statement and ClickHouse's answer.
Status create_schema(const ClickHouse& clickhouse);

}  // namespace ember::server

// The fleet's tables in ClickHouse (docs/fleet.md, "ClickHouse schema"),
// created at the server's start when missing: frames and stacks deduplicated
// by content hash, samples in a MergeTree ordered for a service's or host's
// time range, an hourly rollup, and the spool entries already stored (so a
// window the agent sends again is not counted twice). Checked against
// Debian's ClickHouse 18.16, single node and a Distributed cluster.
#pragma once

#include <string>
#include <vector>

#include "clickhouse_client.hpp"
#include "ember/status.hpp"

namespace ember::server {

// A sample row's labels as one string, as the hourly rollup keeps them and
// reads group by: key \x02 value pairs joined by \x01.
inline constexpr const char* kLabelSet =
    "arrayStringConcat(arrayMap((k, v) -> concat(k, '\\x02', v), labels.key, labels.value), "
    "'\\x01')";

// The CREATE statements, in order, for `database` (created first); on a
// cluster (`cluster` not empty) one node's `_local` tables and the
// Distributed tables over them; with `replicas` (a cluster whose shards
// have more than one) the `_local` tables Replicated*, kept in step by
// ClickHouse through ZooKeeper.
std::vector<std::string> schema_statements(const std::string& database,
                                           const std::string& cluster = "",
                                           bool replicas = false);
// Then the materialized view that marks a window's spool entry stored from
// the INSERT of its samples.
std::vector<std::string> marker_statements(const std::string& database,
                                           const std::string& cluster = "");
// The hourly rollup's rows from a samples table (its view's SELECT).
std::string hourly_select(const std::string& samples);

// Runs them on every node (a cluster's after checking that its nodes are the
// server's); an unreachable ClickHouse or a refused statement is an error
// naming the statement and ClickHouse's answer. A single node's tables from
// an older server are brought up to date first (later samples columns; an
// hourly rollup without the columns reads need, made again from samples).
Status create_schema(const ClickHouse& clickhouse);

}  // namespace ember::server

// Retention on ClickHouse 18.16, which has no table TTL: the daily partitions
// of samples, their hourly rollup and the stored spool entries older than the
// kept days are dropped (ALTER TABLE ... DROP PARTITION ID), by ClickHouse's
// own calendar (its today()), on every node of a cluster. Frames and stacks
// are kept (plan: a sweep of those no sample refers to).
#pragma once

#include <string>
#include <vector>

#include "clickhouse_client.hpp"
#include "ember/status.hpp"

namespace ember::server {

struct RetentionPass {
  Status status = Status::ok();
  std::vector<std::string> dropped;  // "samples 20261024", ...
};

// Drops the partitions of days before today - `days` (days > 0).
RetentionPass drop_old_partitions(const ClickHouse& clickhouse, int days);

}  // namespace ember::server

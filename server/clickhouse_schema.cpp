#include "clickhouse_schema.hpp"

namespace ember::server {
namespace {

// The samples columns added since its first version (String, in this order).
const char* const kLaterSampleColumns[] = {"entry", "thread", "exe", "cmdline"};

}  // namespace

std::vector<std::string> schema_statements(const std::string& db) {
  return {
      "CREATE DATABASE IF NOT EXISTS " + db,
      // One row per distinct frame, written again by every window that has it:
      // ReplacingMergeTree folds the repeats, readers take any one.
      "CREATE TABLE IF NOT EXISTS " + db +
          ".frames (frame_id UInt64, name String, file String, line UInt32, module String, "
          "kind String, inlined UInt8) ENGINE = ReplacingMergeTree ORDER BY frame_id",
      "CREATE TABLE IF NOT EXISTS " + db +
          ".stacks (stack_id UInt64, frame_ids Array(UInt64)) "
          "ENGINE = ReplacingMergeTree ORDER BY stack_id",
      "CREATE TABLE IF NOT EXISTS " + db +
          ".samples (date Date DEFAULT toDate(ts), ts DateTime, duration_ms UInt32, "
          "sample_rate UInt32, host String, app String, service String, container String, pod String, "
          "process String, pid UInt32, tid UInt32, stack_id UInt64, leaf_frame_id UInt64, "
          "labels Nested(key String, value String), count UInt64, entry String, thread String, "
          "exe String, cmdline String) "
          "ENGINE = MergeTree PARTITION BY date ORDER BY (service, host, ts, stack_id)",
      "CREATE MATERIALIZED VIEW IF NOT EXISTS " + db +
          ".samples_hourly ENGINE = SummingMergeTree(count) PARTITION BY toDate(hour) "
          "ORDER BY (service, host, hour, process, stack_id) AS SELECT toStartOfHour(ts) AS hour, "
          "service, host, process, stack_id, sum(count) AS count FROM " + db +
          ".samples GROUP BY hour, service, host, process, stack_id",
      // The agents' host and process metrics, one row per step (repeats of a
      // window sent again fold).
      "CREATE TABLE IF NOT EXISTS " + db +
          ".host_metrics (date Date DEFAULT toDate(ts), ts DateTime, time_ms UInt64, host String, "
          "cpu_utilization Float64, memory_total UInt64, memory_available UInt64) "
          "ENGINE = ReplacingMergeTree PARTITION BY date ORDER BY (host, time_ms)",
      "CREATE TABLE IF NOT EXISTS " + db +
          ".process_metrics (date Date DEFAULT toDate(ts), ts DateTime, time_ms UInt64, "
          "host String, pid UInt32, cpu_cores Float64, rss_bytes UInt64) "
          "ENGINE = ReplacingMergeTree PARTITION BY date ORDER BY (host, time_ms, pid)",
      // The agent's spool entries stored, by host: a repeat is answered 200
      // and not stored again.
      "CREATE TABLE IF NOT EXISTS " + db +
          ".ingested (host String, entry String, ts DateTime) "
          "ENGINE = ReplacingMergeTree PARTITION BY toDate(ts) ORDER BY (host, entry)",
  };
}

std::vector<std::string> marker_statements(const std::string& db) {
  return {
      // Written by ClickHouse from the samples' own INSERT: a window's rows
      // and its mark are stored together or not at all, so a window sent
      // again after a failure is never stored twice.
      "CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".ingested_marks TO " + db +
          ".ingested AS SELECT host, entry, now() AS ts FROM " + db +
          ".samples WHERE entry != '' GROUP BY host, entry",
  };
}

Status create_schema(const ClickHouse& clickhouse) {
  // The database may not exist yet: these statements name it themselves.
  const ClickHouse server(clickhouse.url(), "default");
  const std::string& db = clickhouse.database();
  std::vector<std::string> statements = schema_statements(db);
  // A samples table from before its later columns (18.16 has no ADD COLUMN
  // IF NOT EXISTS): the missing ones added, in their order.
  const ClickHouseAnswer columns = server.run(
      "SELECT name FROM system.columns WHERE database = " + sql_quote(db) +
      " AND table = 'samples' FORMAT TabSeparated");
  if (columns.ok() && !columns.body.empty()) {  // the table is there
    const std::string names = "\n" + columns.body;
    for (const char* column : kLaterSampleColumns) {
      if (names.find("\n" + std::string(column) + "\n") == std::string::npos) {
        statements.push_back("ALTER TABLE " + db + ".samples ADD COLUMN " + column + " String");
      }
    }
  }
  for (std::string& statement : marker_statements(db)) statements.push_back(std::move(statement));
  for (const std::string& statement : statements) {
    ClickHouseAnswer answer = server.run(statement);
    if (!answer.ok()) {
      if (!answer.reached) {
        return Status::error("ClickHouse at " + clickhouse.url() + " is unreachable: " +
                             answer.describe());
      }
      return Status::error("ClickHouse at " + clickhouse.url() + " refused the schema: " +
                           answer.describe() + "\n  statement: " + statement.substr(0, 200));
    }
  }
  return Status::ok();
}

}  // namespace ember::server

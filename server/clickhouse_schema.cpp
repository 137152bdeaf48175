#include "clickhouse_schema.hpp"

namespace ember::server {
namespace {

// The samples columns added since its first version (String, in this order).
const char* const kLaterSampleColumns[] = {"entry", "thread", "exe", "cmdline"};

// A table of the fleet: its columns and engine, and on a cluster the key
// that picks its rows' shard (a host's rows on one shard; frames and stacks
// by id, so each one's repeats meet and fold).
struct Table {
  const char* name;
  const char* columns;
  const char* engine;
  const char* shard_key;
};

const Table kTables[] = {
    // One row per distinct frame, written again by every window that has it:
    // ReplacingMergeTree folds the repeats, readers take any one.
    {"frames",
     "frame_id UInt64, name String, file String, line UInt32, module String, kind String, "
     "inlined UInt8",
     "ReplacingMergeTree ORDER BY frame_id", "frame_id"},
    {"stacks", "stack_id UInt64, frame_ids Array(UInt64)", "ReplacingMergeTree ORDER BY stack_id",
     "stack_id"},
    {"samples",
     "date Date DEFAULT toDate(ts), ts DateTime, duration_ms UInt32, sample_rate UInt32, "
     "host String, app String, service String, container String, pod String, process String, "
     "pid UInt32, tid UInt32, stack_id UInt64, leaf_frame_id UInt64, "
     "labels Nested(key String, value String), count UInt64, entry String, thread String, "
     "exe String, cmdline String",
     "MergeTree PARTITION BY date ORDER BY (service, host, ts, stack_id)", "cityHash64(host)"},
    // The agents' host and process metrics, one row per step (repeats of a
    // window sent again fold).
    {"host_metrics",
     "date Date DEFAULT toDate(ts), ts DateTime, time_ms UInt64, host String, "
     "cpu_utilization Float64, memory_total UInt64, memory_available UInt64",
     "ReplacingMergeTree PARTITION BY date ORDER BY (host, time_ms)", "cityHash64(host)"},
    {"process_metrics",
     "date Date DEFAULT toDate(ts), ts DateTime, time_ms UInt64, host String, pid UInt32, "
     "cpu_cores Float64, rss_bytes UInt64",
     "ReplacingMergeTree PARTITION BY date ORDER BY (host, time_ms, pid)", "cityHash64(host)"},
    // The agent's spool entries stored, by host: a repeat is answered 200
    // and not stored again.
    {"ingested", "host String, entry String, ts DateTime",
     "ReplacingMergeTree PARTITION BY toDate(ts) ORDER BY (host, entry)", "cityHash64(host)"},
};

// On a cluster: `name` as a Distributed table over the nodes' name_local.
std::string distributed(const std::string& db, const std::string& cluster, const char* name,
                        const char* shard_key) {
  return "CREATE TABLE IF NOT EXISTS " + db + "." + name + " AS " + db + "." + name +
         "_local ENGINE = Distributed(" + cluster + ", " + db + ", " + name + "_local, " +
         shard_key + ")";
}

// On a cluster with replicas: `engine` as its Replicated* kind, its rows
// under the shard's path in ZooKeeper, one entry per replica (the nodes'
// {shard} and {replica} macros), e.g. "SummingMergeTree(count) ORDER BY x"
// -> "ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}',
// count) ORDER BY x".
std::string replicated(const std::string& engine, const std::string& db, const std::string& table) {
  const std::size_t name_end = engine.find_first_of(" (");
  const std::string name = engine.substr(0, name_end);
  std::string rest = name_end == std::string::npos ? "" : engine.substr(name_end);
  std::string arguments = "'/clickhouse/tables/{shard}/" + db + "/" + table + "', '{replica}'";
  if (!rest.empty() && rest[0] == '(') {
    const std::size_t close = rest.find(')');
    arguments += ", " + rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
  }
  return "Replicated" + name + "(" + arguments + ")" + rest;
}

}  // namespace

std::string hourly_select(const std::string& samples) {
  return "SELECT toStartOfHour(ts) AS hour, service, host, container, pod, process, pid, tid, "
         "stack_id, " + std::string(kLabelSet) + " AS label_set, thread, exe, cmdline, "
         "sum(count) AS count FROM " + samples + " GROUP BY hour, service, host, container, pod, "
         "process, pid, tid, stack_id, label_set, thread, exe, cmdline";
}

std::vector<std::string> schema_statements(const std::string& db, const std::string& cluster,
                                           bool replicas) {
  const std::string local = cluster.empty() ? "" : "_local";
  const auto engine = [&](const std::string& kind, const std::string& table) {
    return replicas ? replicated(kind, db, table) : kind;
  };
  std::vector<std::string> statements{"CREATE DATABASE IF NOT EXISTS " + db};
  for (const Table& table : kTables) {
    statements.push_back("CREATE TABLE IF NOT EXISTS " + db + "." + table.name + local + " (" +
                         table.columns + ") ENGINE = " +
                         engine(table.engine, table.name + local));
    if (!cluster.empty()) statements.push_back(distributed(db, cluster, table.name, table.shard_key));
  }
  // The hourly rollup: a read of a day or more takes its whole hours from
  // it (fleet_query.hpp), so it keeps every column such a read groups by.
  statements.push_back("CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".samples_hourly" + local +
                       " ENGINE = " +
                       engine("SummingMergeTree(count) PARTITION BY toDate(hour) ORDER BY "
                              "(service, host, hour, process, pid, tid, stack_id, label_set, "
                              "thread, exe, cmdline, container, pod)",
                              "samples_hourly" + local) +
                       " AS " + hourly_select(db + ".samples" + local));
  if (!cluster.empty()) {
    statements.push_back(distributed(db, cluster, "samples_hourly", "cityHash64(host)"));
  }
  return statements;
}

std::vector<std::string> marker_statements(const std::string& db, const std::string& cluster) {
  const std::string local = cluster.empty() ? "" : "_local";
  return {
      // Written by ClickHouse from the samples' own INSERT: a window's rows
      // and its mark are stored together or not at all, so a window sent
      // again after a failure is never stored twice. (On a cluster, on the
      // shard of the window's host.)
      "CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".ingested_marks TO " + db + ".ingested" +
          local + " AS SELECT host, entry, now() AS ts FROM " + db + ".samples" + local +
          " WHERE entry != '' GROUP BY host, entry",
  };
}

namespace {

ClickHouseAnswer column_names(const ClickHouse& server, const std::string& db,
                              const std::string& table) {
  return server.run("SELECT name FROM system.columns WHERE database = " + sql_quote(db) +
                    " AND table = " + sql_quote(table) + " FORMAT TabSeparated");
}

// A single node's tables from before: samples' later columns added (18.16
// has no ADD COLUMN IF NOT EXISTS) and an hourly rollup without the columns
// reads group by made again from the samples. Before the CREATEs of the rest.
std::vector<std::string> upgrade_statements(const ClickHouse& server, const std::string& db,
                                            bool& refill_hourly) {
  std::vector<std::string> statements;
  const ClickHouseAnswer columns = column_names(server, db, "samples");
  if (columns.ok() && !columns.body.empty()) {  // the table is there
    const std::string names = "\n" + columns.body;
    for (const char* column : kLaterSampleColumns) {
      if (names.find("\n" + std::string(column) + "\n") == std::string::npos) {
        statements.push_back("ALTER TABLE " + db + ".samples ADD COLUMN " + column + " String");
      }
    }
  }
  const ClickHouseAnswer hourly = column_names(server, db, "samples_hourly");
  if (hourly.ok() && !hourly.body.empty() &&
      ("\n" + hourly.body).find("\nlabel_set\n") == std::string::npos) {
    statements.push_back("DROP TABLE " + db + ".samples_hourly");
    refill_hourly = true;
  }
  return statements;
}

Status run_all(const ClickHouse& node, const ClickHouse& server,
               const std::vector<std::string>& statements) {
  for (const std::string& statement : statements) {
    ClickHouseAnswer answer = server.run(statement);
    if (!answer.ok()) {
      if (!answer.reached) {
        return Status::error("ClickHouse at " + node.url() + " is unreachable: " +
                             answer.describe());
      }
      return Status::error("ClickHouse at " + node.url() + " refused the schema: " +
                           answer.describe() + "\n  statement: " + statement.substr(0, 200));
    }
  }
  return Status::ok();
}

// The cluster is in each node's <remote_servers> with as many nodes as the
// server was given: a node without the tables would fail every read, and
// every node takes statements through its Distributed tables. `replicas`:
// some shard has more than one, so the node must name its shard and replica
// ({shard}, {replica} in <macros>) and reach ZooKeeper.
Status check_cluster(const ClickHouse& node, std::size_t nodes, bool& replicas) {
  const ClickHouse server(node.url(), "default");  // the database may not exist yet
  const ClickHouseAnswer listed = server.run(
      "SELECT count(), max(replica_num) FROM system.clusters WHERE cluster = " +
      sql_quote(node.cluster()) + " FORMAT TabSeparated");
  if (!listed.ok()) {
    return Status::error("ClickHouse at " + node.url() + (listed.reached ? " refused" : " is unreachable") +
                         " (its clusters): " + listed.describe());
  }
  const std::string row = listed.body.substr(0, listed.body.find('\n'));
  const std::string count = row.substr(0, row.find('\t'));
  if (count == "0") {
    return Status::error("ClickHouse at " + node.url() + " has no cluster '" +
                         node.cluster() + "' in its <remote_servers>");
  }
  if (count != std::to_string(nodes)) {
    return Status::error("cluster '" + node.cluster() + "' has " + count +
                         " nodes in the <remote_servers> of ClickHouse at " + node.url() +
                         ", the server was given " + std::to_string(nodes) +
                         " (--clickhouse, one per node)");
  }
  replicas = row.substr(row.find('\t') + 1) != "1";
  if (!replicas) return Status::ok();
  const ClickHouseAnswer macros = server.run(
      "SELECT count() FROM system.macros WHERE macro IN ('shard', 'replica')");
  if (!macros.ok() || macros.body.substr(0, macros.body.find('\n')) != "2") {
    return Status::error("cluster '" + node.cluster() + "' has replicas, but ClickHouse at " +
                         node.url() + " does not name its shard and replica (<macros> with " +
                         "<shard> and <replica>, docs/fleet.md)" +
                         (macros.ok() ? "" : ": " + macros.describe()));
  }
  const ClickHouseAnswer zookeeper =
      server.run("SELECT count() FROM system.zookeeper WHERE path = '/'");
  if (!zookeeper.ok()) {
    return Status::error("cluster '" + node.cluster() + "' has replicas, but ClickHouse at " +
                         node.url() + " cannot reach ZooKeeper (its <zookeeper>): " +
                         zookeeper.describe());
  }
  return Status::ok();
}

}  // namespace

Status create_schema(const ClickHouse& clickhouse) {
  const std::string& db = clickhouse.database();
  const std::vector<ClickHouse> nodes = clickhouse.nodes();
  bool replicas = false;
  for (const ClickHouse& node : nodes) {
    if (!clickhouse.cluster().empty()) {
      if (Status checked = check_cluster(node, nodes.size(), replicas); !checked) return checked;
    }
  }
  for (const ClickHouse& node : nodes) {
    // The database may not exist yet: these statements name it themselves.
    const ClickHouse server(node.url(), "default");
    bool refill_hourly = false;
    std::vector<std::string> statements;
    if (clickhouse.cluster().empty()) statements = upgrade_statements(server, db, refill_hourly);
    for (std::string& s : schema_statements(db, clickhouse.cluster(), replicas)) statements.push_back(std::move(s));
    if (refill_hourly) {
      statements.push_back("INSERT INTO " + db + ".samples_hourly " + hourly_select(db + ".samples"));
    }
    for (std::string& s : marker_statements(db, clickhouse.cluster())) statements.push_back(std::move(s));
    if (Status created = run_all(node, server, statements); !created) return created;
  }
  return Status::ok();
}

}  // namespace ember::server

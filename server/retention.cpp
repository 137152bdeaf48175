#include "retention.hpp"

#include "tsv_reader.hpp"

namespace ember::server {
namespace {

// The partitioned tables as system.parts names them, and as ALTER does: a
// materialized view's rows are in its inner table, and ALTER on the view
// reaches them.
struct Partitioned {
  const char* part_table;
  const char* alter_table;
};
constexpr Partitioned kPartitioned[] = {
    {"samples", "samples"},
    {".inner.samples_hourly", "samples_hourly"},
    {"ingested", "ingested"},
    {"host_metrics", "host_metrics"},
    {"process_metrics", "process_metrics"}};

bool all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

namespace {

// One node's pass (on a cluster, over its `_local` tables).
void drop_on_node(const ClickHouse& node, int days, RetentionPass& pass) {
  auto part_table = [&](const Partitioned& p) {
    const std::string inner = ".inner.";
    const std::string name = p.part_table;
    return name.rfind(inner, 0) == 0 ? inner + node.local_table(name.substr(inner.size()))
                                     : node.local_table(name);
  };
  std::string tables;
  for (const Partitioned& p : kPartitioned) tables += (tables.empty() ? "" : ", ") + sql_quote(part_table(p));
  const ClickHouseAnswer listed = node.run(
      "SELECT table, partition_id FROM system.parts WHERE active AND database = " +
      sql_quote(node.database()) + " AND table IN (" + tables +
      ") AND match(partition_id, '^[0-9]{8}$') AND toUInt32(partition_id) < "
      "toYYYYMMDD(today() - " + std::to_string(days) + ") GROUP BY table, partition_id "
      "ORDER BY partition_id FORMAT TabSeparated");
  if (!listed.ok()) {
    pass.status = Status::error("retention: cannot list the partitions of ClickHouse at " +
                                node.url() + ": " + listed.describe());
    return;
  }
  for_each_tsv_row(listed.body, [&](const std::vector<std::string>& f) {
    if (f.size() < 2 || !all_digits(f[1]) || !pass.status) return;
    for (const Partitioned& p : kPartitioned) {
      if (f[0] != part_table(p)) continue;
      const std::string table = node.local_table(p.alter_table);
      const ClickHouseAnswer dropped =
          node.run("ALTER TABLE " + table + " DROP PARTITION ID '" + f[1] + "'");
      if (!dropped.ok()) {
        pass.status = Status::error("retention: ClickHouse at " + node.url() + " did not drop " +
                                    table + "'s partition " + f[1] + ": " + dropped.describe());
        return;
      }
      pass.dropped.push_back(table + " " + f[1] +
                             (node.cluster().empty() ? "" : " (" + node.url() + ")"));
    }
  });
}

}  // namespace

RetentionPass drop_old_partitions(const ClickHouse& clickhouse, int days) {
  RetentionPass pass;
  for (const ClickHouse& node : clickhouse.nodes()) {
    drop_on_node(node, days, pass);
    if (!pass.status) break;
  }
  return pass;
}

}  // namespace ember::server

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

RetentionPass drop_old_partitions(const ClickHouse& clickhouse, int days) {
  RetentionPass pass;
  std::string tables;
  for (const Partitioned& p : kPartitioned) tables += (tables.empty() ? "" : ", ") + sql_quote(p.part_table);
  const ClickHouseAnswer listed = clickhouse.run(
      "SELECT table, partition_id FROM system.parts WHERE active AND database = " +
      sql_quote(clickhouse.database()) + " AND table IN (" + tables +
      ") AND match(partition_id, '^[0-9]{8}$') AND toUInt32(partition_id) < "
      "toYYYYMMDD(today() - " + std::to_string(days) + ") GROUP BY table, partition_id "
      "ORDER BY partition_id FORMAT TabSeparated");
  if (!listed.ok()) {
    pass.status = Status::error("retention: cannot list ClickHouse's partitions: " + listed.describe());
    return pass;
  }
  for_each_tsv_row(listed.body, [&](const std::vector<std::string>& f) {
    if (f.size() < 2 || !all_digits(f[1]) || !pass.status) return;
    for (const Partitioned& p : kPartitioned) {
      if (f[0] != p.part_table) continue;
      const ClickHouseAnswer dropped = clickhouse.run(std::string("ALTER TABLE ") + p.alter_table +
                                                      " DROP PARTITION ID '" + f[1] + "'");
      if (!dropped.ok()) {
        pass.status = Status::error(std::string("retention: ClickHouse did not drop ") +
                                    p.alter_table + "'s partition " + f[1] + ": " +
                                    dropped.describe());
        return;
      }
      pass.dropped.push_back(std::string(p.alter_table) + " " + f[1]);
    }
  });
  return pass;
}

}  // namespace ember::server

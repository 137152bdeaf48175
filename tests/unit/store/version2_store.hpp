// A store as schema version 2 wrote it, made from one this ember wrote: no
// rollups, blobs in format 1 and no column saying so, stacks as plain frame
// ids, 31-bit hashes.
#pragma once

#include <string>
#include <tuple>
#include <vector>

#include "byte_codec.hpp"
#include "rows.hpp"
#include "sqlite_db.hpp"
#include "window_blobs.hpp"

namespace ember::store::test {

inline void downgrade_to_version_2(const std::string& path) {
  Database db(path, SQLITE_OPEN_READWRITE);
  std::vector<std::tuple<std::int64_t, std::string, std::string>> rows;
  {
    Statement windows(db.handle(),
                      "SELECT id, start_ns, samples, metrics, blob_format FROM windows");
    while (windows.step()) {
      std::int64_t format = windows.int64(4);
      Window metrics;
      metrics.start_ns = windows.int64(1);
      decode_metrics(windows.blob(3), format, metrics.start_ns, metrics.host_metrics,
                     metrics.process_metrics);
      rows.emplace_back(windows.int64(0),
                        encode_refs(decode_refs(windows.blob(2), format), IdOrder::sorted, 1),
                        encode_metrics(metrics, 1));
    }
  }
  Statement update(db.handle(), "UPDATE windows SET samples = ?2, metrics = ?3 WHERE id = ?1");
  for (const auto& [id, samples, metrics] : rows) {
    update.bind(1, id).bind_blob(2, samples).bind_blob(3, metrics).run();
  }
  auto hash_31 = [](std::string_view key) {
    return static_cast<std::int64_t>(stable_hash(key) & 0x7fffffff);
  };
  std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> stacks;
  {
    Statement all(db.handle(), "SELECT id, frames FROM stacks");
    while (all.step()) {
      std::string blob = encode_stack(decode_stack(all.blob(1)), StackEncoding::ids);
      stacks.emplace_back(all.int64(0), blob, hash_31(blob));
    }
  }
  Statement stack(db.handle(), "UPDATE stacks SET frames = ?2, hash = ?3 WHERE id = ?1");
  for (const auto& [id, blob, hash] : stacks)
    stack.bind(1, id).bind_blob(2, blob).bind(3, hash).run();
  auto rehash = [&](const std::string& table, const std::string& columns, auto key_of_row) {
    std::vector<std::pair<std::int64_t, std::int64_t>> hashes;
    {
      Statement all(db.handle(), "SELECT id, " + columns + " FROM " + table);
      while (all.step()) hashes.emplace_back(all.int64(0), hash_31(key_of_row(all)));
    }
    Statement update(db.handle(), "UPDATE " + table + " SET hash = ?2 WHERE id = ?1");
    for (const auto& [id, hash] : hashes) update.bind(1, id).bind(2, hash).run();
  };
  rehash("frames", kFrameColumns, [](const Statement& row) { return frame_key_of_row(row, 1); });
  // (processes keep their hash: the migration to 4 recomputes it)
  rehash("threads", kThreadColumns,
         [](const Statement& row) { return thread_key(read_thread(row, 1)); });
  db.exec(
      "DROP TABLE span_rollups; "
      "ALTER TABLE processes DROP COLUMN pod_name; DROP TABLE rollups; ALTER TABLE windows DROP "
      "COLUMN blob_format; DROP TABLE kinds; DROP TABLE label_sets; ALTER TABLE stacks DROP "
      "COLUMN labels; "
      "PRAGMA user_version = 2;");
}

}  // namespace ember::store::test

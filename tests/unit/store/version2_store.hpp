// A store as schema version 2 wrote it, made from one this ember wrote: no
// rollups, blobs in format 1 and no column saying so.
#pragma once

#include <string>
#include <tuple>
#include <vector>

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
  db.exec(
      "DROP TABLE rollups; ALTER TABLE windows DROP COLUMN blob_format; "
      "PRAGMA user_version = 2;");
}

}  // namespace ember::store::test

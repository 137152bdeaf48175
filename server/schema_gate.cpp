#include "schema_gate.hpp"

#include <spdlog/logger.h>

#include "clickhouse_schema.hpp"

namespace ember::server {

bool SchemaGate::attempt() {
  if (ready()) return true;
  std::lock_guard lock(attempting_);
  if (ready()) return true;
  Status created = create_schema(clickhouse_);
  if (created) {
    ready_.store(true, std::memory_order_release);
    if (log_) {
      log_->info("ClickHouse at {} answers: database {} and its tables are ready{}",
                 clickhouse_.url(), clickhouse_.database(),
                 failed_before_ ? "; ingest and queries are served from now on" : "");
    }
    return true;
  }
  if (!failed_before_ || created.message() != why_not()) {
    if (log_) {
      log_->warn("{}; ingest and queries answer 503 until it answers (trying again every "
                 "second; scripts/clickhouse.sh start DIR starts one)",
                 created.message());
    }
  }
  failed_before_ = true;
  std::lock_guard problem_lock(problem_mutex_);
  problem_ = created.message();
  return false;
}

std::string SchemaGate::why_not() const {
  std::lock_guard lock(problem_mutex_);
  return problem_;
}

}  // namespace ember::server

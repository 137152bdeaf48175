// The fleet's tables, created once ClickHouse answers: the server starts and
// listens whether or not ClickHouse is up, answers 503 to ingest and queries
// while the tables are not there, and creates them (clickhouse_schema.hpp) on
// the first attempt that reaches ClickHouse. The server's main loop calls
// attempt() about once a second until ready(); requests only read ready().
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "clickhouse_client.hpp"

namespace spdlog {
class logger;
}

namespace ember::server {

class SchemaGate {
 public:
  SchemaGate(const ClickHouse& clickhouse, std::shared_ptr<spdlog::logger> log)
      : clickhouse_(clickhouse), log_(std::move(log)) {}

  bool ready() const { return ready_.load(std::memory_order_acquire); }

  // Creates the tables when they are not yet; true once they are. Logs the
  // first failure and every change of reason (a warning, saying the server
  // answers 503 meanwhile) and the moment they are created.
  bool attempt();

  // Why the tables are not there yet, for a 503's message.
  std::string why_not() const;

 private:
  const ClickHouse& clickhouse_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<bool> ready_{false};
  std::mutex attempting_;  // one attempt at a time
  bool failed_before_ = false;  // under attempting_
  mutable std::mutex problem_mutex_;  // held briefly: requests read problem_
  std::string problem_ = "the server has not reached ClickHouse yet";
};

}  // namespace ember::server

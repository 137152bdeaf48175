// POST /ingest without the HTTP: a request's token, parameters and body in,
// an HTTP status and a one-line message out, the window stored in ClickHouse
// on the way (docs/fleet.md, "Ingest API"). Every refusal is counted by
// reason. Safe to call from many threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "clickhouse_client.hpp"
#include "ingest_counters.hpp"
#include "known_ids.hpp"
#include "schema_gate.hpp"
#include "token_file.hpp"

namespace spdlog {
class logger;
}

namespace ember::server {

struct IngestLimits {
  std::uint64_t max_body = 16ull << 20;       // bytes as sent (gzip'd)
  std::uint64_t max_inflated = 256ull << 20;  // bytes after gunzip
};

struct IngestRequest {
  std::string authorization;  // the Authorization header
  std::string entry;          // X-Ember-Entry: the agent's spool entry, or ""
  std::multimap<std::string, std::string> query;
  std::string body;
  bool body_over_limit = false;  // the HTTP side stopped reading at max_body
};

struct IngestAnswer {
  int status = 200;
  std::string message;  // one line, for the client and the log
};

// Frame and stack ids remembered as stored, each: up to ~40 MB together.
inline constexpr std::size_t kKnownIds = 1 << 19;

class Ingest {
 public:
  // Until `schema` is ready, every authenticated request is a 503.
  Ingest(const ClickHouse& clickhouse, const SchemaGate& schema, Tokens tokens,
         IngestLimits limits, IngestCounters& counters, std::shared_ptr<spdlog::logger> log);

  IngestAnswer handle(const IngestRequest& request) const;
  const IngestLimits& limits() const { return limits_; }

 private:
  IngestAnswer refuse(Refusal reason, const std::string& why, const std::string& who) const;

  const ClickHouse& clickhouse_;
  const SchemaGate& schema_;
  Tokens tokens_;
  IngestLimits limits_;
  IngestCounters& counters_;
  std::shared_ptr<spdlog::logger> log_;
  // The frames and stacks stored by this server's INSERTs (known_ids.hpp),
  // left out of later windows' rows.
  mutable KnownIds known_frames_, known_stacks_;
};

}  // namespace ember::server

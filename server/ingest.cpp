#include "ingest.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <iterator>

#include "folded_reader.hpp"
#include "gzip.hpp"
#include "ingest_params.hpp"
#include "pprof_reader.hpp"
#include "window_rows.hpp"

namespace ember::server {
namespace {

constexpr std::size_t kMaxEntry = 256;

bool is_gzip(const std::string& body) {
  return body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
         static_cast<unsigned char>(body[1]) == 0x8b;
}

bool printable(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::int64_t now_seconds() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::seconds>(now).count();
}

}  // namespace

Ingest::Ingest(const ClickHouse& clickhouse, const SchemaGate& schema, Tokens tokens,
               IngestLimits limits, IngestCounters& counters, std::shared_ptr<spdlog::logger> log)
    : clickhouse_(clickhouse),
      schema_(schema),
      tokens_(std::move(tokens)),
      limits_(limits),
      counters_(counters),
      log_(std::move(log)),
      known_frames_(kKnownIds),
      known_stacks_(kKnownIds) {}

IngestAnswer Ingest::refuse(Refusal reason, const std::string& why, const std::string& who) const {
  counters_.refused(reason);
  IngestAnswer answer{refusal_status(reason), why};
  // Unavailable storage is the server's trouble, logged by the caller once
  // per outage; the rest are the client's, one line each.
  if (log_ && reason != Refusal::unavailable) {
    log_->warn("refused an ingest ({}, HTTP {}) from {}: {}", refusal_name(reason), answer.status,
               who, why);
  }
  return answer;
}

IngestAnswer Ingest::handle(const IngestRequest& request) const {
  std::string who;
  switch (tokens_.check(request.authorization, who)) {
    case TokenCheck::missing:
      return refuse(Refusal::no_token, "an 'Authorization: Bearer TOKEN' header is required",
                    "a client without a token");
    case TokenCheck::unknown:
      return refuse(Refusal::bad_token, "the token is not one of the server's",
                    "a client with an unknown token");
    case TokenCheck::accepted: break;
  }
  if (request.body_over_limit || request.body.size() > limits_.max_body) {
    return refuse(Refusal::too_large,
                  "the body is over the server's limit of " + std::to_string(limits_.max_body) +
                      " bytes",
                  who);
  }
  IngestParams params;
  if (Status parsed = parse_ingest_params(request.query, params); !parsed) {
    return refuse(Refusal::malformed, parsed.message(), who);
  }
  who += " (" + params.host + ")";
  if (request.entry.size() > kMaxEntry || !printable(request.entry)) {
    return refuse(Refusal::malformed, "X-Ember-Entry is over 256 bytes or not printable ASCII",
                  who);
  }

  // Inflated here, bounded, so a small body claiming gigabytes is a 413;
  // the readers then see plain bytes.
  std::string plain;
  const std::string* bytes = &request.body;
  if (is_gzip(request.body)) {
    try {
      plain = formats::gunzip(request.body, limits_.max_inflated);
    } catch (const formats::InflateLimitError&) {
      return refuse(Refusal::too_large,
                    "the body inflates to more than the server's limit of " +
                        std::to_string(limits_.max_inflated) + " bytes",
                    who);
    } catch (const std::exception& e) {
      return refuse(Refusal::malformed, std::string("the gzip body is damaged: ") + e.what(), who);
    }
    bytes = &plain;
  }
  Window window;
  Status read = params.format == IngestFormat::pprof ? formats::read_pprof(*bytes, window)
                                                     : formats::read_collapsed(*bytes, window);
  if (!read) return refuse(Refusal::malformed, read.message(), who);
  if (window.start_ns <= 0 && params.from_s == 0) {
    // Neither the profile nor the request says when: now, as Pyroscope does.
    params.until_s = now_seconds();
    params.from_s = params.until_s - 10;
  } else if (window.start_ns <= 0 && params.until_s == 0) {
    params.until_s = params.from_s + 10;
  }

  // After the body's checks: a bad body is refused as such even then.
  if (!schema_.ready()) {
    return refuse(Refusal::unavailable,
                  "the server cannot store yet (its tables are created once ClickHouse "
                  "answers): " + schema_.why_not(),
                  who);
  }

  auto storage_failed = [&](const ClickHouseAnswer& answer, const char* what) {
    const bool unreachable = !answer.reached;
    const std::string message = std::string("ClickHouse at ") + answer.url + " " +
                                (unreachable ? "is unreachable" : "refused") + " (" + what +
                                "): " + answer.describe();
    if (log_) log_->error("{}", message);
    // A ClickHouse that went away may come back without what it held.
    if (unreachable) {
      known_frames_.clear();
      known_stacks_.clear();
    }
    return refuse(unreachable ? Refusal::unavailable : Refusal::storage_error, message, who);
  };

  const std::string host_and_entry =
      "host = " + sql_quote(params.host) + " AND entry = " + sql_quote(request.entry);
  if (!request.entry.empty()) {
    ClickHouseAnswer seen = clickhouse_.run("SELECT count() FROM ingested WHERE " + host_and_entry);
    if (!seen.ok()) return storage_failed(seen, "looking the entry up");
    if (seen.body != "0\n") {
      counters_.repeated();
      return IngestAnswer{200, "already stored: " + request.entry};
    }
  }
  // The samples last, with the entry on each row: ClickHouse marks the entry
  // stored from that one INSERT (clickhouse_schema.hpp), so a failure before
  // it leaves the window to be sent again and stored whole, once.
  const WindowRows rows =
      window_rows(window, params, request.entry, KnownRows{&known_frames_, &known_stacks_});
  const std::pair<const char*, const std::string*> inserts[] = {
      {"frames", &rows.frames},
      {"stacks", &rows.stacks},
      {"host_metrics", &rows.host_metrics},
      {"process_metrics", &rows.process_metrics},
      {"samples", &rows.samples}};
  const char* columns[] = {kFrameColumns, kStackColumns, kHostMetricColumns,
                           kProcessMetricColumns, kSampleColumns};
  for (std::size_t i = 0; i < std::size(inserts); ++i) {
    if (inserts[i].second->empty()) continue;
    ClickHouseAnswer inserted =
        clickhouse_.run(std::string("INSERT INTO ") + inserts[i].first + " (" + columns[i] +
                            ") FORMAT TabSeparated",
                        *inserts[i].second);
    if (!inserted.ok()) return storage_failed(inserted, inserts[i].first);
    if (inserts[i].second == &rows.frames) known_frames_.add(rows.frame_ids);
    if (inserts[i].second == &rows.stacks) known_stacks_.add(rows.stack_ids);
  }
  // A window without samples has no rows to carry its mark: marked here (a
  // repeat of it stores nothing either way).
  if (rows.samples.empty() && !request.entry.empty()) {
    std::string row;
    put_field(row, params.host);
    row += '\t';
    put_field(row, request.entry);
    row += '\t' + std::to_string(now_seconds()) + '\n';
    ClickHouseAnswer marked =
        clickhouse_.run("INSERT INTO ingested (host, entry, ts) FORMAT TabSeparated", row);
    if (!marked.ok()) return storage_failed(marked, "ingested");
  }
  counters_.stored(rows.sample_count);
  if (log_) {
    log_->debug("stored a window of {} from {}: {} samples in {} rows", params.app, who,
                rows.sample_count, rows.sample_rows);
  }
  return IngestAnswer{200, "stored " + std::to_string(rows.sample_count) + " samples"};
}

}  // namespace ember::server

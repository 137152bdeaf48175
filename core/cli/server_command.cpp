#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "clickhouse_client.hpp"
#include "http_commands.hpp"
#include "fleet_api.hpp"
#include "fleet_http.hpp"
#include "ingest.hpp"
#include "listen_address.hpp"
#include "logging.hpp"
#include "option_units.hpp"
#include "retention.hpp"
#include "schema_gate.hpp"
#include "signals.hpp"

namespace ember::cli {
namespace {

constexpr const char* kServerHelp = R"(Usage: ember server --token-file FILE [OPTIONS]

The fleet server (docs/fleet.md): takes agents' windows on POST /ingest (the
upload sink's requests, and Pyroscope's /ingest: pprof or folded), stores
them in ClickHouse, and answers the web UI's API over the fleet (docs/api.md,
plus `host`) for `ember ui --server URL` and `ember report --server URL`.
Starts whether or not ClickHouse answers (503 until it does). Runs until
Ctrl-C or SIGTERM.

  --token-file FILE   bearer tokens, one per line (optionally followed by a
                      name for the logs); required: a request without one of
                      them is refused (401, 403), queries as well as ingest
  --listen HOST:PORT  where to listen; default 127.0.0.1:4040. Port 0 takes
                      any free port (the first line printed says which)
  --clickhouse URL    ClickHouse's HTTP interface; default
                      http://127.0.0.1:8123/ (scripts/clickhouse.sh starts one).
                      With --cluster: once per node of the cluster; the
                      nodes take the statements in turn
  --cluster NAME      the sharded layout: a cluster of ClickHouse's
                      <remote_servers>; the server creates each node's
                      tables (NAME_local) and Distributed tables over them,
                      and writes and reads through those (docs/fleet.md)
  --database NAME     the ClickHouse database, created with its tables when
                      missing, at start or, while ClickHouse does not answer,
                      once it does (503 until then); default ember
  --retention DAYS    days of profiles kept: older days' partitions are dropped
                      once ClickHouse answers and every hour after; 0 keeps
                      everything; default 30
  --rollup-hours N    queries of ranges of N hours or longer read their whole
                      hours from the hourly rollup (same answers, fewer
                      rows); 0: never; default 24
  --reads HOW         summed (default): a read of the fleet takes its rows
                      summed in ClickHouse to what the answer needs (per
                      process for a flame graph or table, per process
                      without stacks for targets, no samples for a chart);
                      whole: every read takes the rows as stored and the
                      server sums them (the same answers, every row sent;
                      for checking)
  --max-body SIZE     an ingest body's size at most (413 over it); default 16MiB
  --max-inflated SIZE what a gzip'd body may inflate to; default 256MiB
  --log-level LEVEL   trace, debug, info (default), warn, error
  -h, --help          this help

Example:
  scripts/clickhouse.sh start /tmp/ch     # prints ClickHouse's URL
  ember server --token-file tokens --clickhouse http://127.0.0.1:PORT/ --listen 0.0.0.0:4040
)";

bool valid_database(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return !(name[0] >= '0' && name[0] <= '9');
}

}  // namespace

int server_command(Arguments& args, std::int64_t (*now)()) {
  std::string token_file, listen = "127.0.0.1:4040";
  std::vector<std::string> urls;
  std::string database = "ember", cluster, log_level = "info";
  int retention_days = 30;
  long rollup_hours = 24;
  bool summed_reads = true;
  server::IngestLimits limits;
  while (auto flag = args.next_flag()) {
    if (*flag == "--help" || *flag == "-h") {
      std::fputs(kServerHelp, stdout);
      return 0;
    } else if (*flag == "--token-file") {
      token_file = args.value();
    } else if (*flag == "--listen") {
      listen = args.value();
    } else if (*flag == "--clickhouse") {
      urls.push_back(args.value());
    } else if (*flag == "--cluster") {
      cluster = args.value();
    } else if (*flag == "--rollup-hours") {
      const std::string text = args.value();
      char* end = nullptr;
      rollup_hours = std::strtol(text.c_str(), &end, 10);
      if (!args.failed() && (text.empty() || *end || rollup_hours < 0 || rollup_hours > 100000)) {
        return command_failed("server", "--rollup-hours: '" + text + "' is not a number of hours (0: never)", 2);
      }
    } else if (*flag == "--reads") {
      const std::string how = args.value();
      if (!args.failed() && how != "summed" && how != "whole") {
        return command_failed("server", "--reads: '" + how + "' is not summed or whole", 2);
      }
      summed_reads = how != "whole";
    } else if (*flag == "--database") {
      database = args.value();
    } else if (*flag == "--retention") {
      const std::string text = args.value();
      char* end = nullptr;
      const long days = std::strtol(text.c_str(), &end, 10);
      if (!args.failed() && (text.empty() || *end || days < 0 || days > 100000)) {
        return command_failed("server", "--retention: '" + text + "' is not a number of days (0 keeps everything)", 2);
      }
      retention_days = static_cast<int>(days);
    } else if (*flag == "--log-level") {
      log_level = args.value();
    } else if (*flag == "--max-body" || *flag == "--max-inflated") {
      const std::string text = args.value();
      auto size = formats::parse_size(text);
      if (!args.failed() && (!size || *size < 1024)) {
        return command_failed("server", *flag + ": '" + text + "' is not a size of at least 1KiB (e.g. 16MiB)", 2);
      }
      (*flag == "--max-body" ? limits.max_body : limits.max_inflated) =
          size ? static_cast<std::uint64_t>(*size) : 0;
    } else {
      return command_failed("server", "unknown option " + *flag + " (see ember server --help)", 2);
    }
  }
  if (args.failed()) return command_failed("server", args.error() + " (see ember server --help)", 2);
  if (token_file.empty()) {
    return command_failed("server", "--token-file is required: agents and readers authenticate with its tokens", 2);
  }
  if (!valid_database(database)) {
    return command_failed("server", "--database: '" + database + "' is not a ClickHouse name (letters, digits, _)", 2);
  }
  if (!cluster.empty() && !valid_database(cluster)) {
    return command_failed("server", "--cluster: '" + cluster + "' is not a ClickHouse name (letters, digits, _)", 2);
  }
  if (urls.empty()) urls.push_back("http://127.0.0.1:8123/");
  if (cluster.empty() && urls.size() > 1) {
    return command_failed("server", "--clickhouse is given once without --cluster (one node)", 2);
  }
  const std::string url = urls.front();
  ListenAddress address;
  if (Status parsed = parse_listen_address(listen, address); !parsed) {
    return command_failed("server", "--listen: " + parsed.message(), 2);
  }
  if (Status logging = setup_logging(log_level); !logging) return command_failed("server", logging.message(), 2);
  server::Tokens tokens;
  if (Status loaded = server::Tokens::load(token_file, tokens); !loaded) {
    return command_failed("server", loaded.message(), 2);
  }

  try {
    const server::ClickHouse clickhouse =
        cluster.empty() ? server::ClickHouse(url, database)
                        : server::ClickHouse(urls, database, cluster);
    auto log = component_logger("server");
    // ClickHouse may start after the server: until it answers, ingest and
    // queries are 503 (the agents keep their windows) and the loop below
    // tries again every second.
    server::SchemaGate schema(clickhouse, log);
    schema.attempt();
    server::IngestCounters counters;
    server::Ingest ingest(clickhouse, schema, tokens, limits, counters, log);
    server::FleetApi api(clickhouse, now,
                         rollup_hours * 3600LL * 1'000'000'000, summed_reads);
    server::FleetHttp http(ingest, api, schema, tokens, counters);
    if (Status bound = http.bind(address); !bound) return command_failed("server", bound.message());
    const std::string host =
        address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host;
    std::printf("ember server: listening on http://%s:%d/ (POST /ingest, GET /api/v1/, GET "
                "/metrics), ClickHouse %s database %s%s%s, %zu tokens\n",
                host.c_str(), http.port(), url.c_str(), database.c_str(),
                cluster.empty() ? "" : (" cluster " + cluster + " (" + std::to_string(urls.size()) + " nodes)").c_str(),
                schema.ready() ? "" : " (not answering yet: 503 until it does)", tokens.size());
    std::fflush(stdout);

    install_stop_handlers();
    Status served = Status::ok();
    std::atomic<bool> finished{false};
    std::thread serving([&] {
      served = http.run();
      finished = true;
    });
    // The counters in the log once a minute while they change.
    auto next_report = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    auto next_schema_attempt = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    // Retention once the tables are there, then hourly.
    auto next_retention = std::chrono::steady_clock::now();
    auto retain = [&] {
      const server::RetentionPass pass = server::drop_old_partitions(clickhouse, retention_days);
      if (!pass.status) log->warn("{} (trying again in an hour)", pass.status.message());
      if (!pass.dropped.empty()) {
        std::string what;
        for (const std::string& d : pass.dropped) what += (what.empty() ? "" : ", ") + d;
        log->info("retention: dropped the partitions older than {} days: {}", retention_days, what);
      }
    };
    std::string reported = counters.summary();
    while (!stop_requested() && !finished) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!schema.ready() && std::chrono::steady_clock::now() >= next_schema_attempt) {
        schema.attempt();
        next_schema_attempt = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      }
      if (retention_days > 0 && schema.ready() &&
          std::chrono::steady_clock::now() >= next_retention) {
        retain();
        next_retention = std::chrono::steady_clock::now() + std::chrono::hours(1);
      }
      if (std::chrono::steady_clock::now() >= next_report) {
        next_report += std::chrono::minutes(1);
        if (std::string now = counters.summary(); now != reported) {
          log->info("ingest: {}", now);
          reported = now;
        }
      }
    }
    while (!finished) {  // a stop before the server runs is lost: repeat it
      http.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    serving.join();
    log->info("stopped; ingest: {}", counters.summary());
    if (!served) return command_failed("server", served.message());
    return 0;
  } catch (const std::exception& e) {
    return command_failed("server", e.what());
  }
}

}  // namespace ember::cli

// Synthetic hosts' windows (bench/store's SyntheticHost, one per host, each
// its own seed and name) loaded into `ember server`: POSTed to its /ingest
// as the upload sink sends them (gzip'd pprof with metrics, an X-Ember-Entry
// per window), or, for volume, their rows INSERTed straight into ClickHouse
// as the server writes them (window_rows), an hour of a host's windows per
// INSERT (the server makes one per window: this measures ClickHouse's
// storage, not the ingest path).
//
//   ember_bench_fleet_load --post URL --token-file FILE | --clickhouse URL --database DB
//       [--hosts 5] [--hours 1] [--every-minutes 1] [--window-seconds 60]
//       [--processes 50] [--functions 1500] [--stacks 3000] [--busy-cpus 2]
//       [--frequency 99] [--start-s 1795600000] [--threads 2]
//
// Windows start every --every-minutes from --start-s for --hours. Prints one
// line: windows, samples, sample rows, bytes sent and the wall time,
// windows/s and samples/s: of the POSTs alone (their entries are made
// before), or of the INSERTs with the rows' making (made an hour at a time,
// so 50 host-days need no 50 host-days of memory). The integration test
// fleet_sharded loads its windows with it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "clickhouse_client.hpp"
#include "http_post.hpp"
#include "ingest_params.hpp"
#include "synthetic_host.hpp"
#include "upload_request.hpp"
#include "window_rows.hpp"

namespace {

struct Options {
  std::string post_url, token, clickhouse_url, database = "ember";
  int hosts = 5, threads = 2;
  double hours = 1, every_minutes = 1;
  long long start_s = 1'795'600'000;
  ember::bench::HostShape shape;
};

bool post(const Options& o, const std::string& entry, const std::string& key, std::string& error) {
  std::string_view query, body;
  ember::upload_sink::split_entry(entry, query, body);
  ember::upload_sink::HttpRequest request;
  request.url = o.post_url + "?" + std::string(query);
  request.headers = {"Authorization: Bearer " + o.token, "X-Ember-Entry: " + key,
                     "Content-Type: application/octet-stream"};
  request.body = std::string(body);
  request.timeout_seconds = 120;
  std::atomic<bool> never{false};
  ember::upload_sink::HttpResponse answer = ember::upload_sink::http_post(request, never);
  if (answer.status == 200) return true;
  error = "HTTP " + std::to_string(answer.status) + " " + answer.error + " " + answer.body;
  return false;
}

bool insert(const ember::server::ClickHouse& clickhouse, const ember::server::WindowRows& rows,
            std::string& error) {
  using namespace ember::server;
  const std::pair<const char*, const std::string*> tables[] = {
      {"frames", &rows.frames}, {"stacks", &rows.stacks}, {"host_metrics", &rows.host_metrics},
      {"process_metrics", &rows.process_metrics}, {"samples", &rows.samples}};
  const char* columns[] = {kFrameColumns, kStackColumns, kHostMetricColumns,
                           kProcessMetricColumns, kSampleColumns};
  for (std::size_t i = 0; i < 5; ++i) {
    if (tables[i].second->empty()) continue;
    ClickHouseAnswer answer = clickhouse.run(std::string("INSERT INTO ") + tables[i].first + " (" +
                                                 columns[i] + ") FORMAT TabSeparated",
                                             *tables[i].second);
    if (!answer.ok()) {
      error = answer.describe();
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string token_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--post") o.post_url = value;
    else if (flag == "--token-file") token_file = value;
    else if (flag == "--clickhouse") o.clickhouse_url = value;
    else if (flag == "--database") o.database = value;
    else if (flag == "--hosts") o.hosts = std::atoi(value.c_str());
    else if (flag == "--hours") o.hours = std::atof(value.c_str());
    else if (flag == "--every-minutes") o.every_minutes = std::atof(value.c_str());
    else if (flag == "--window-seconds") o.shape.window_seconds = std::atoi(value.c_str());
    else if (flag == "--processes") o.shape.processes = std::atoi(value.c_str());
    else if (flag == "--functions") o.shape.functions_per_process = std::atoi(value.c_str());
    else if (flag == "--stacks") o.shape.stacks_per_process = std::atoi(value.c_str());
    else if (flag == "--busy-cpus") o.shape.busy_cpus = std::atof(value.c_str());
    else if (flag == "--frequency") o.shape.frequency_hz = std::atoi(value.c_str());
    else if (flag == "--start-s") o.start_s = std::atoll(value.c_str());
    else if (flag == "--threads") o.threads = std::atoi(value.c_str());
    else {
      std::fprintf(stderr, "fleet_load: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (o.post_url.empty() == o.clickhouse_url.empty()) {
    std::fprintf(stderr, "fleet_load: --post URL (with --token-file) or --clickhouse URL\n");
    return 2;
  }
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    in >> o.token;
  }
  ember::upload_sink::init_http();
  const std::int64_t step_ns = static_cast<std::int64_t>(o.every_minutes * 60e9);
  const int per_host = static_cast<int>(o.hours * 3600e9 / static_cast<double>(step_ns));
  const int windows_per_batch = std::max(1, static_cast<int>(3600e9 / static_cast<double>(step_ns)));

  std::atomic<int> next{0}, failures{0};
  std::atomic<std::uint64_t> bytes{0}, windows{0}, samples{0}, rows{0};
  const ember::server::ClickHouse clickhouse(
      o.clickhouse_url.empty() ? "http://127.0.0.1:1/" : o.clickhouse_url, o.database);
  // One host's windows in order; `hour` is called with each hour's rows
  // (INSERT) or each window's entry (POST).
  auto generate = [&](int h, auto&& hour) {
    ember::bench::SyntheticHost host(o.shape, 1000 + h);
    char name[64];
    std::snprintf(name, sizeof name, "host-%02d", h);
    ember::server::WindowRows batch;
    for (int i = 0; i < per_host; ++i) {
      ember::Window w = host.window(o.start_s * 1'000'000'000LL + i * step_ns, i);
      w.host = name;
      samples += w.total_samples();
      rows += w.samples.size();
      ++windows;
      if (!o.post_url.empty()) {
        hour(ember::upload_sink::spool_entry(w, "fleet-bench"), batch);
        continue;
      }
      ember::server::IngestParams params;
      params.host = name;
      params.app = "fleet-bench";
      ember::server::WindowRows window = ember::server::window_rows(w, params, "");
      batch.frames += window.frames;
      batch.stacks += window.stacks;
      batch.samples += window.samples;
      batch.host_metrics += window.host_metrics;
      batch.process_metrics += window.process_metrics;
      if ((i + 1) % windows_per_batch == 0 || i + 1 == per_host) {
        hour(std::string(), batch);
        batch = ember::server::WindowRows{};
      }
    }
  };

  std::chrono::steady_clock::time_point began;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> entries(o.hosts);  // POST's, per host
  if (!o.post_url.empty()) {
    // POST: the entries made first (not timed), then sent by --threads.
    for (int h = 0; h < o.hosts; ++h) {
      generate(h, [&](std::string entry, ember::server::WindowRows&) {
        entries[h].push_back(std::move(entry));
      });
    }
    began = std::chrono::steady_clock::now();
    for (int t = 0; t < o.threads; ++t) {
      threads.emplace_back([&] {
        for (int h; (h = next++) < o.hosts;) {
          std::string error;
          for (std::size_t i = 0; i < entries[h].size(); ++i) {
            bytes += entries[h][i].size();
            if (!post(o, entries[h][i], "bench-" + std::to_string(i), error)) {
              std::fprintf(stderr, "fleet_load: host %d: %s\n", h, error.c_str());
              ++failures;
              break;
            }
          }
        }
      });
    }
  } else {
    // INSERT: made and inserted an hour at a time by --threads (timed together).
    began = std::chrono::steady_clock::now();
    for (int t = 0; t < o.threads; ++t) {
      threads.emplace_back([&] {
        for (int h; (h = next++) < o.hosts;) {
          bool ok = true;
          generate(h, [&](const std::string&, const ember::server::WindowRows& batch) {
            if (!ok) return;
            bytes += batch.samples.size() + batch.frames.size() + batch.stacks.size() +
                     batch.host_metrics.size() + batch.process_metrics.size();
            std::string error;
            ok = insert(clickhouse, batch, error);
            if (!ok) {
              std::fprintf(stderr, "fleet_load: host %d: %s\n", h, error.c_str());
              ++failures;
            }
          });
        }
      });
    }
  }
  for (std::thread& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::printf("windows %llu samples %llu sample_rows %llu bytes %llu seconds %.3f "
              "windows_per_s %.1f samples_per_s %.0f\n",
              static_cast<unsigned long long>(windows.load()),
              static_cast<unsigned long long>(samples.load()),
              static_cast<unsigned long long>(rows.load()),
              static_cast<unsigned long long>(bytes.load()), seconds, windows.load() / seconds,
              samples.load() / seconds);
  return failures ? 1 : 0;
}

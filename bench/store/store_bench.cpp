// The local store's costs on a synthetic host (synthetic_host.hpp): write time
// per window, size on disk per host-hour and per host-day, and the time
// `ember report` needs to read (open + merge) a 24-hour range and to print its
// `top` table (the read included).
//
//   build/bin/ember_bench_store [--hours 24] [--busy-cpus 2] [--processes 50]
//                               [--frequency 99] [--path /tmp/ember-bench-store.db]
//                               [--read-only 1 | --migrate 1]
//
// Prints one markdown table row (the columns of docs/benchmarks.md).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "report.hpp"
#include "store_reader.hpp"
#include "store_writer.hpp"
#include "synthetic_host.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * values.size()))];
}

double cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

const char* const kUsage =
    "usage: %s [--hours 24] [--busy-cpus 2] [--processes 50] [--stacks-per-process 3000]\n"
    "          [--short-lived 1] [--frequency 99]\n"
    "          [--path /tmp/ember-bench-store.db] [--read-only 1 | --migrate 1]\n"
    "Writes a synthetic host's store at --path (replacing it), then times its reads;\n"
    "--read-only 1 only reads the store there; --migrate 1 opens an older one for\n"
    "writing first. --stacks-per-process: the distinct call paths each process may\n"
    "be caught in; --short-lived: new processes a window (their own paths each).\n";

}  // namespace

int main(int argc, char** argv) {
  double hours = 24;
  ember::bench::HostShape shape;
  std::string path = "/tmp/ember-bench-store.db";
  bool read_only = false;  // --read-only 1: time the read of an existing bench store
  // --migrate 1: open an existing (older) bench store for writing first: its
  // migration and the rollups it then lacks, timed; then its reads.
  bool migrate = false;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    // A lone flag (--help) must not start a run: a run first deletes --path.
    const bool help = flag == "--help" || flag == "-h";
    if (help || i + 1 == argc) {
      if (!help) std::fprintf(stderr, "option %s needs a value\n", flag.c_str());
      std::fprintf(help ? stdout : stderr, kUsage, argv[0]);
      return help ? 0 : 2;
    }
    if (flag == "--hours")
      hours = std::atof(argv[i + 1]);
    else if (flag == "--busy-cpus")
      shape.busy_cpus = std::atof(argv[i + 1]);
    else if (flag == "--processes")
      shape.processes = std::atoi(argv[i + 1]);
    else if (flag == "--stacks-per-process")
      shape.stacks_per_process = std::atoi(argv[i + 1]);
    else if (flag == "--frequency")
      shape.frequency_hz = std::atoi(argv[i + 1]);
    else if (flag == "--short-lived")
      shape.short_lived_per_window = std::atoi(argv[i + 1]);
    else if (flag == "--path")
      path = argv[i + 1];
    else if (flag == "--read-only")
      read_only = std::string(argv[i + 1]) == "1";
    else if (flag == "--migrate")
      read_only = migrate = std::string(argv[i + 1]) == "1";
    else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (!read_only) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  const int windows = static_cast<int>(hours * 3600 / shape.window_seconds);
  const std::int64_t start = 1'795'600'000'000'000'000;
  const std::int64_t window_ns = std::int64_t{shape.window_seconds} * 1'000'000'000;

  std::vector<double> write_ms, write_cpu_ms, roll_up_cpu_ms;
  std::vector<double> window_cpu_ms;  // the window's own transaction alone  // (rollups: hours closed)
  if (migrate) {
    double cpu_before = cpu_ms();
    std::unique_ptr<ember::store::StoreWriter> writer;
    ember::store::StoreOutcome opened = ember::store::StoreWriter::open(path, writer);
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n", opened.message.c_str());
      return 1;
    }
    double open_cpu = cpu_ms() - cpu_before;
    int rolled = 0;
    for (; writer->roll_up_pending(); ++rolled) {
      ember::store::StoreOutcome outcome = writer->roll_up();
      if (!outcome.ok()) {
        std::fprintf(stderr, "%s\n", outcome.message.c_str());
        return 1;
      }
    }
    std::fprintf(stderr, "opened (migrated) in %.0f ms of CPU, then %d rollups in %.0f ms\n",
                 open_cpu, rolled, cpu_ms() - cpu_before - open_cpu);
  }
  std::uint64_t samples = 0, sample_rows = 0;
  if (!read_only) {
    ember::bench::SyntheticHost host(shape);
    std::unique_ptr<ember::store::StoreWriter> writer;
    ember::store::StoreOutcome opened = ember::store::StoreWriter::open(path, writer);
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n", opened.message.c_str());
      return 1;
    }
    for (int i = 0; i < windows; ++i) {
      ember::Window w = host.window(start + i * window_ns, i);
      samples += w.total_samples();
      sample_rows += w.samples.size();
      double cpu_before = cpu_ms();
      auto began = Clock::now();
      ember::store::StoreOutcome written = writer->write(w);
      window_cpu_ms.push_back(cpu_ms() - cpu_before);
      ember::store::RetentionResult retention;
      // As the sink does after each window (limits far away: measures the check).
      writer->enforce_retention({7LL * 86400 * 1'000'000'000, 1LL << 30}, w.end_ns, retention);
      double roll_up_before = cpu_ms();
      bool closing = writer->roll_up_pending();
      ember::store::StoreOutcome rolled = writer->roll_up();  // as the sink does
      if (closing) roll_up_cpu_ms.push_back(cpu_ms() - roll_up_before);
      if (!rolled.ok()) std::fprintf(stderr, "%s\n", rolled.message.c_str());
      write_ms.push_back(ms_since(began));
      write_cpu_ms.push_back(cpu_ms() - cpu_before);
      if (!written.ok()) {
        std::fprintf(stderr, "%s\n", written.message.c_str());
        return 1;
      }
    }
  }  // closed: the WAL is folded into the file
  double bytes = static_cast<double>(std::filesystem::file_size(path));

  // `ember report` over the whole range (up to 24 h), as it reads it.
  auto began = Clock::now();
  double read_cpu_before = cpu_ms();
  std::unique_ptr<ember::store::StoreReader> reader;
  ember::Status opened = ember::store::StoreReader::open(path, reader);
  ember::Window merged;
  ember::Status read = opened ? reader->read(start, start + windows * window_ns, merged) : opened;
  double read_ms = ms_since(began);
  double read_cpu_ms = cpu_ms() - read_cpu_before;
  if (!read) {
    std::fprintf(stderr, "%s\n", read.message().c_str());
    return 1;
  }
  double read_hours = std::min(hours, 24.0);
  std::size_t stacks = merged.stacks.size(), frames = merged.frames.size();
  std::uint64_t merged_samples = merged.total_samples();
  merged = ember::Window{};  // (as `ember report` holds one range at a time)

  // `ember report --format top` over the same range, its read included.
  double report_cpu_before = cpu_ms();
  std::string table;
  ember::report::ReportRequest request;
  request.from = std::to_string(start);
  request.to = std::to_string(start + windows * window_ns);
  ember::Status reported =
      ember::report::run_report(*reader, request, start + windows * window_ns, table);
  double report_cpu_ms = cpu_ms() - report_cpu_before;
  if (!reported) {
    std::fprintf(stderr, "%s\n", reported.message().c_str());
    return 1;
  }

  std::printf(
      "| %d | %.1f | %.0f | %.0f | %.1f ms | %.1f ms | %.1f ms | %.2f MB | %.1f MB | %.0f ms | "
      "%.0f ms (%.0f h, %zu stacks, %zu frames) | %.0f ms |\n",
      shape.processes, shape.busy_cpus, double(samples) / windows, double(sample_rows) / windows,
      percentile(write_ms, 0.5), percentile(write_ms, 0.95), percentile(write_cpu_ms, 0.5),
      bytes / 1e6 / hours, bytes / 1e6 / hours * 24, read_ms, read_cpu_ms, read_hours, stacks,
      frames, report_cpu_ms);
  std::fprintf(stderr, "%d windows, %.1f MB file, merged %llu samples\n", windows, bytes / 1e6,
               static_cast<unsigned long long>(merged_samples));
  if (!write_cpu_ms.empty()) {
    // Does a window's write grow with the store? The first window against the last tenth.
    std::vector<double> last(
        window_cpu_ms.end() - std::max<std::size_t>(1, window_cpu_ms.size() / 10),
        window_cpu_ms.end());
    std::fprintf(stderr,
                 "window's transaction CPU: first %.0f ms, median %.1f ms, last tenth's median "
                 "%.1f ms, max %.0f ms; with retention and rollups: median %.1f ms CPU, wall "
                 "median %.1f ms, max %.0f ms\n",
                 window_cpu_ms.front(), percentile(window_cpu_ms, 0.5), percentile(last, 0.5),
                 percentile(window_cpu_ms, 1.0), percentile(write_cpu_ms, 0.5),
                 percentile(write_ms, 0.5), percentile(write_ms, 1.0));
  }
  if (!roll_up_cpu_ms.empty()) {
    std::fprintf(stderr, "%zu hours rolled up: median %.0f ms, max %.0f ms of CPU each\n",
                 roll_up_cpu_ms.size(), percentile(roll_up_cpu_ms, 0.5),
                 percentile(roll_up_cpu_ms, 1.0));
  }
  return 0;
}

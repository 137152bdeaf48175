// store_dump PATH: the store read back through StoreReader as JSON, for the
// integration tests (until `ember report` can answer the same questions):
// the summary, then per window and per process the samples by leaf function
// (self) and by every function on the stack (total).
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "json_string.hpp"
#include "store_reader.hpp"
#include "window_process_key.hpp"

namespace {

using ember::formats::append_json_string;

void append_strings(std::string& out, const std::vector<std::string>& values) {
  out += "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ",";
    append_json_string(out, values[i]);
  }
  out += "]";
}

void append_counts(std::string& out, const std::map<std::string, std::uint64_t>& counts) {
  out += "{";
  bool first = true;
  for (const auto& [name, count] : counts) {
    if (!first) out += ",";
    first = false;
    append_json_string(out, name);
    out += ":" + std::to_string(count);
  }
  out += "}";
}

void append_window(std::string& out, const ember::Window& w) {
  struct PerProcess {
    std::uint64_t samples = 0;
    std::map<std::string, std::uint64_t> self, total;
  };
  std::map<std::uint32_t, PerProcess> by_process;  // window_process_key
  for (const auto& s : w.samples) {
    PerProcess& p = by_process[ember::window_process_key(s)];
    p.samples += s.count;
    const auto& stack = w.stacks.at(s.stack);
    if (!stack.empty()) p.self[w.frames.at(stack.back()).name] += s.count;
    std::set<std::string> seen;
    for (std::uint32_t f : stack) seen.insert(w.frames.at(f).name);
    for (const auto& name : seen) p.total[name] += s.count;
  }
  out += "{\"start_ns\":" + std::to_string(w.start_ns) + ",\"end_ns\":" + std::to_string(w.end_ns) +
         ",\"frequency_hz\":" + std::to_string(w.frequency_hz) +
         ",\"lost_samples\":" + std::to_string(w.lost_samples) + ",\"host\":";
  append_json_string(out, w.host);
  out += ",\"host_metrics\":" + std::to_string(w.host_metrics.size()) +
         ",\"process_metrics\":" + std::to_string(w.process_metrics.size()) + ",\"processes\":[";
  bool first = true;
  for (const auto& info : w.processes) {
    if (!first) out += ",";
    first = false;
    const PerProcess& p = by_process[ember::window_process_key(info)];
    out += "{\"pid\":" + std::to_string(info.pid) + ",\"comm\":";
    append_json_string(out, info.comm);
    out += ",\"exe\":";
    append_json_string(out, info.exe);
    out += ",\"samples\":" + std::to_string(p.samples) + ",\"self\":";
    append_counts(out, p.self);
    out += ",\"total\":";
    append_counts(out, p.total);
    out += "}";
  }
  out += "]}";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STORE\n", argv[0]);
    return 2;
  }
  std::unique_ptr<ember::store::StoreReader> reader;
  ember::Status opened = ember::store::StoreReader::open(argv[1], reader);
  if (!opened) {
    std::fprintf(stderr, "store_dump: %s\n", opened.message().c_str());
    return 1;
  }
  ember::store::StoreSummary summary = reader->summary();
  std::string out = "{\"summary\":{\"first_ns\":" + std::to_string(summary.first_ns) +
                    ",\"last_ns\":" + std::to_string(summary.last_ns) +
                    ",\"windows\":" + std::to_string(summary.windows) + ",\"hosts\":";
  append_strings(out, summary.hosts);
  out += ",\"services\":";
  append_strings(out, summary.services);
  out += ",\"processes\":";
  append_strings(out, summary.processes);
  out += "},\"windows\":[";
  std::vector<ember::store::WindowSpan> spans;
  ember::Status listed = reader->windows(INT64_MIN, INT64_MAX, spans);
  if (!listed) {
    std::fprintf(stderr, "store_dump: %s\n", listed.message().c_str());
    return 1;
  }
  for (std::size_t i = 0; i < spans.size(); ++i) {
    ember::Window w;
    ember::Status read = reader->read(spans[i].start_ns, spans[i].end_ns, w);
    if (!read) {
      std::fprintf(stderr, "store_dump: %s\n", read.message().c_str());
      return 1;
    }
    if (i) out += ",";
    append_window(out, w);
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

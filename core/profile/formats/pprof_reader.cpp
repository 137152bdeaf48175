#include "pprof_reader.hpp"

#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "gzip.hpp"
#include "profile.pb.h"
#include "window_builder.hpp"
#include "window_process_key.hpp"

namespace ember::formats {
namespace {

namespace pb = perftools::profiles;

std::string kind_of_file(std::string_view file) {
  auto ends = [&](std::string_view ext) { return file.ends_with(ext); };
  if (ends(".py")) return frame_kind::python;
  if (ends(".go")) return frame_kind::go;
  if (ends(".java")) return frame_kind::java;
  if (ends(".js") || ends(".mjs") || ends(".cjs")) return frame_kind::node;
  return frame_kind::native;
}

class Reader {
 public:
  explicit Reader(const pb::Profile& profile) : profile_(profile) {}

  Status read(Window& out) {
    if (profile_.string_table_size() == 0 || !profile_.string_table(0).empty()) {
      return Status::error("not a pprof profile: its string table must start with \"\"");
    }
    int value = 0;
    for (int i = 0; i < profile_.sample_type_size(); ++i) {
      const pb::ValueType& type = profile_.sample_type(i);
      if (str(type.type()) == "samples" && str(type.unit()) == "count") {
        value = i;
        break;
      }
    }
    if (profile_.sample_type_size() == 0) return Status::error("pprof: no sample types");
    for (const pb::Function& f : profile_.function()) functions_[f.id()] = &f;
    for (const pb::Mapping& m : profile_.mapping()) mappings_[m.id()] = &m;
    for (const pb::Location& l : profile_.location()) locations_[l.id()] = &l;

    std::map<std::uint32_t, ProcessInfo> processes;  // by window_process_key
    std::map<std::pair<std::uint32_t, std::uint32_t>, ThreadInfo> threads;
    std::vector<std::uint32_t> frames;
    for (const pb::Sample& sample : profile_.sample()) {
      if (sample.value_size() != profile_.sample_type_size()) {
        return Status::error("pprof: a sample has " + std::to_string(sample.value_size()) +
                             " values for " + std::to_string(profile_.sample_type_size()) +
                             " sample types");
      }
      std::int64_t count = sample.value(value);
      if (count <= 0) continue;
      std::uint32_t pid = 0, tid = 0, instance = 0;
      ProcessInfo process;
      std::string thread, kind;
      int kinds = 0;
      std::vector<Label> labels;
      for (const pb::Label& label : sample.label()) {
        const std::string& key = str(label.key());
        const std::string& text = str(label.str());
        if (key == "pid") pid = static_cast<std::uint32_t>(label.num());
        else if (key == "tid") tid = static_cast<std::uint32_t>(label.num());
        else if (key == "instance")
          instance = static_cast<std::uint32_t>(label.num());
        else if (key == "process") process.comm = text;
        else if (key == "container") process.container_name = text;
        else if (key == "container_id") process.container_id = text;
        else if (key == "pod_uid") process.pod_uid = text;
        else if (key == "pod") process.pod_name = text;
        else if (key == "service") process.service = text;
        else if (key == "exe") process.exe = text;
        else if (key == "cmdline") process.cmdline = text;
        else if (key == "thread") thread = text;
        else if (key == "kind") kind = text, ++kinds;
        else if (!text.empty()) labels.push_back(Label{key, text});
      }
      if (!bad_.empty()) return Status::error(bad_);
      if (kinds != 1) kind.clear();
      frames.clear();
      // Location ids are leaf first; a location's lines innermost first.
      for (int i = sample.location_id_size() - 1; i >= 0; --i) {
        auto it = locations_.find(sample.location_id(i));
        if (it == locations_.end()) {
          return Status::error("pprof: a sample names location " +
                               std::to_string(sample.location_id(i)) + ", which is not defined");
        }
        Status added = add_location(*it->second, kind, frames);
        if (!added) return added;
      }
      if (!bad_.empty()) return Status::error(bad_);
      if (container_is_id(process)) process.container_name.clear();
      process.pid = pid;
      process.instance = instance;
      // Built by process key; turned back into pid and instance below.
      const std::uint32_t key = window_process_key(process);
      processes.try_emplace(key, process);
      if (!thread.empty()) threads.try_emplace({pid, tid}, ThreadInfo{pid, tid, thread});
      builder_.add(frames, static_cast<std::uint64_t>(count), key, tid, std::move(labels));
    }
    Window& window = builder_.window();
    window.start_ns = profile_.time_nanos();
    if (__builtin_add_overflow(profile_.time_nanos(),
                               std::max<std::int64_t>(0, profile_.duration_nanos()),
                               &window.end_ns)) {
      return Status::error("pprof: time_nanos " + std::to_string(profile_.time_nanos()) +
                           " + duration_nanos " + std::to_string(profile_.duration_nanos()) +
                           " is past the year 2262");
    }
    if (profile_.period() > 0 && str(profile_.period_type().unit()) == "nanoseconds") {
      window.frequency_hz = static_cast<std::uint32_t>(1e9 / profile_.period() + 0.5);
    }
    for (StackCount& sample : window.samples) set_pid_and_instance(sample, sample.pid);
    for (auto& [key, process] : processes) {
      if (key != 0 || !process.comm.empty()) window.processes.push_back(process);
    }
    for (auto& [key, thread] : threads) window.threads.push_back(thread);
    // ember's own metrics fields, when an agent's upload sink wrote them.
    for (const pb::EmberHostMetric& m : profile_.ember_host_metric()) {
      window.host_metrics.push_back(HostMetrics{m.time_nanos(), m.cpu_utilization(),
                                                m.memory_total_bytes(),
                                                m.memory_available_bytes()});
    }
    for (const pb::EmberProcessMetric& m : profile_.ember_process_metric()) {
      window.process_metrics.push_back(
          ProcessMetrics{m.time_nanos(), m.pid(), m.cpu_cores(), m.rss_bytes()});
    }
    if (!bad_.empty()) return Status::error(bad_);
    out = std::move(window);
    return Status::ok();
  }

 private:
  static bool container_is_id(const ProcessInfo& p) {
    return !p.container_id.empty() && p.container_name == p.container_id;
  }

  const std::string& str(std::int64_t index) {
    static const std::string kEmpty;
    if (index < 0 || index >= profile_.string_table_size()) {
      bad_ = "pprof: string index " + std::to_string(index) + " is out of the string table (" +
             std::to_string(profile_.string_table_size()) + " strings)";
      return kEmpty;
    }
    return profile_.string_table(static_cast<int>(index));
  }

  Status add_location(const pb::Location& location, const std::string& kind,
                      std::vector<std::uint32_t>& frames) {
    std::string module;
    if (location.mapping_id()) {
      auto it = mappings_.find(location.mapping_id());
      if (it == mappings_.end()) {
        return Status::error("pprof: location " + std::to_string(location.id()) +
                             " names mapping " + std::to_string(location.mapping_id()) +
                             ", which is not defined");
      }
      module = str(it->second->filename());
    }
    if (location.line_size() == 0) {
      char address[32];
      std::snprintf(address, sizeof address, "0x%llx",
                    static_cast<unsigned long long>(location.address()));
      Frame frame;
      frame.name = module.empty() ? std::string(address) : module + "+" + address;
      frame.module = module;
      frame.kind = kind.empty() ? frame_kind::native : kind;
      frames.push_back(builder_.frame(frame));
      return Status::ok();
    }
    for (int i = location.line_size() - 1; i >= 0; --i) {  // outermost first
      const pb::Line& line = location.line(i);
      auto it = functions_.find(line.function_id());
      if (it == functions_.end()) {
        return Status::error("pprof: location " + std::to_string(location.id()) +
                             " names function " + std::to_string(line.function_id()) +
                             ", which is not defined");
      }
      Frame frame;
      frame.name = str(it->second->name());
      if (frame.name.empty()) frame.name = "[unknown]";
      frame.file = str(it->second->filename());
      frame.module = module;
      // ember's writer puts the module where no source file is known.
      if (frame.file == module) frame.file.clear();
      frame.line = line.line() > 0 ? static_cast<std::uint32_t>(line.line()) : 0;
      // The function's own kind (ember writes it), else the sample's only
      // kind, else a guess from the file.
      frame.kind = str(it->second->ember_kind());
      if (frame.kind.empty()) frame.kind = kind.empty() ? kind_of_file(frame.file) : kind;
      frame.inlined = i != location.line_size() - 1;
      frames.push_back(builder_.frame(frame));
    }
    return Status::ok();
  }

  const pb::Profile& profile_;
  std::unordered_map<std::uint64_t, const pb::Function*> functions_;
  std::unordered_map<std::uint64_t, const pb::Mapping*> mappings_;
  std::unordered_map<std::uint64_t, const pb::Location*> locations_;
  WindowBuilder builder_;
  std::string bad_;  // the first out-of-range string index
};

}  // namespace

Status read_pprof(std::string_view bytes, Window& out) {
  // protobuf parses at most INT_MAX bytes; a profile that size is not real.
  constexpr std::size_t kMaxProfileBytes = std::numeric_limits<int>::max();
  if (bytes.size() > kMaxProfileBytes) return Status::error("pprof: the file is over 2 GiB");
  std::string unzipped;
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b) {
    try {
      unzipped = gunzip(bytes, kMaxProfileBytes);
    } catch (const std::exception& e) {
      return Status::error(std::string("pprof: the gzip stream is damaged: ") + e.what());
    }
    bytes = unzipped;
  }
  pb::Profile profile;
  if (bytes.empty() || !profile.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::error("not a pprof profile (neither a gzip-compressed nor a plain "
                         "profile.proto message)");
  }
  return Reader(profile).read(out);
}

}  // namespace ember::formats

// The Go runtime plugin: claims the code of Go binaries (stripped or not,
// PIE or not) and names its addresses from the binary's own pclntab through
// the address symbolizer: function, file, line, and the calls inlined at
// that address as frames of their own (marked inlined), all of kind "go".
// Stacks are the native role's: Go keeps frame pointers on amd64, except in
// frameless leaf functions, which hide their caller from a frame-pointer
// walk; the plugin gives the native unwinder a rule per pc from the pcsp
// table (unwind_rule) to step over them from the sample's leaf snapshot.
//
// Goroutine labels (pprof.Do, pprof.SetGoroutineLabels): in Go executables
// whose version's layout is known (goroutine_layout.hpp), a BPF program
// records the running goroutine's label map per sample (go_labels.bpf.c) and
// the handler reads it from the process (label_map.hpp), as sample labels.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bpf/go_labels_bpf.h"
#include "detect.hpp"
#include "file_pages.hpp"
#include "ember/option_reader.hpp"
#include "ember/plugin.hpp"
#include "ember/runtime_plugin.hpp"
#include "go_labels.skel.h"
#include "goroutine_layout.hpp"
#include "label_map.hpp"
#include "lazy_bpf_program.hpp"

namespace ember::go {
namespace {

constexpr const char* kGoColor = "#57dbdb";  // the built-in kind's own color

std::string base_name(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

// A C -> Go call: runtime.cgocallback switches from the C thread's stack to
// the goroutine's and calls cgocallbackg there. Its frame on the goroutine
// stack holds, as its return address, the pc the goroutine was saved at:
//  - on a thread the C side created (a c-shared library's caller), a fresh
//    goroutine's, runtime.goexit: the caller is reached by the frame
//    pointer only, which still points at cgocallback's frame on the C stack;
//  - on a Go thread that called C (Go -> C -> Go in a Go executable),
//    runtime.systemstack_switch's entry, where asmcgocall left the goroutine
//    for the C call: a marker frame whose return address, just above it, is
//    runtime.cgocall's, on the same stack (as Go's own traceback goes). As
//    a return address it is moved back into the function before it: a pc
//    just before the marker is the marker.
// Which one a sample holds is not known from the pc: callbacks into Go
// libraries (c-shared, c-archive: they have kLibraryEntry) are taken to be
// the first kind, into Go programs the second.
constexpr std::string_view kCallback = "runtime.cgocallback";
constexpr std::string_view kSwitchMarker = "runtime.systemstack_switch";
constexpr std::string_view kLibraryEntry = "_rt0_amd64_lib";

// The clock reads call the vDSO on the g0 stack: past their prologue they
// move sp there (the pcsp table does not know), so their caller is found by
// the frame pointer, which still points at their frame on the goroutine
// stack. By sp a sample in the vDSO went on with whatever g0's stack held.
constexpr std::string_view kVdsoCallers[] = {"runtime.nanotime1", "runtime.walltime",
                                             "runtime.walltime1"};

class GoBinaryData final : public BinaryData {
 public:
  std::string path;    // as processes name it
  std::string module;  // its file name, the frames' module
  GoBinary binary;
  // Link-time [entry, end) of kCallback, kSwitchMarker and the kVdsoCallers
  // the binary has, when present.
  std::pair<std::uint64_t, std::uint64_t> callback{0, 0};
  std::pair<std::uint64_t, std::uint64_t> switch_marker{0, 0};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> vdso_callers;
  bool library = false;  // a Go library's code, C -> Go callbacks come from C threads

  // The file's pages naming and unwinding touched (its tables are read in
  // place), given back at most once a second.
  void release_pages_if_due() const {
    pages.release_if_due(binary.file.mapping(), binary.file.mapping_size());
  }
  mutable FilePagesRelease pages;
};

bool within(std::uint64_t pc, const std::pair<std::uint64_t, std::uint64_t>& range) {
  return pc >= range.first && pc < range.second;
}

bool at_switch_marker(const GoBinaryData& data, std::uint64_t link_pc) {
  return data.switch_marker.first != 0 &&
         (link_pc + 1 == data.switch_marker.first || within(link_pc, data.switch_marker));
}

// Reads a file's Go tables: the binary data, or null with `message` saying
// why (a warning when the file is Go but its table unusable).
std::shared_ptr<GoBinaryData> read_go_object(const std::string& path, const std::string& open_path,
                                             LogLevel& level, std::string& message);

// The Go objects of every process (executables, c-shared libraries, Go
// plugins), by file identity (device and inode, as the maps show them), read
// once for the plugin's life, files that are not Go included. The host
// attaches one handler per plugin to a process; that handler names every Go
// object the process maps through this.
class GoObjects {
 public:
  explicit GoObjects(Host& host) : host_(host) {}

  std::shared_ptr<const GoBinaryData> find(const std::string& root, const Mapping& mapping) {
    std::string key = std::to_string(mapping.dev_major) + ":" + std::to_string(mapping.dev_minor) +
                      ":" + std::to_string(mapping.inode);
    if (auto it = by_file_.find(key); it != by_file_.end()) return it->second;
    if (by_file_.size() >= kMaxFiles) by_file_.clear();
    LogLevel level = LogLevel::debug;
    std::string message;
    auto data = read_go_object(mapping.path, root + mapping.path, level, message);
    if (!message.empty()) host_.log(data ? LogLevel::debug : level, message);
    return by_file_[key] = std::move(data);
  }

 private:
  static constexpr std::size_t kMaxFiles = 4096;
  Host& host_;
  std::map<std::string, std::shared_ptr<const GoBinaryData>> by_file_;
};

// The BPF label finder, loaded at the first Go executable attached.
using LabelProgram = LazyBpfProgram<go_labels_bpf>;

int label_processes_fd(const LabelProgram& program) {
  return bpf_map__fd(program.skeleton()->maps.go_processes);
}

class GoHandler final : public ProcessHandler {
 public:
  GoHandler(Host& host, GoObjects& objects, const ProcessRef& process,
            std::shared_ptr<const GoBinaryData> data)
      : host_(host),
        objects_(objects),
        pid_(process.pid),
        data_(std::move(data)),
        label_maps_([&host, pid = process.pid](std::uint64_t address, void* buffer,
                                               std::size_t size) {
          return host.read_memory(pid, address, buffer, size);
        }) {
    on_mappings_changed(process);
  }

  ~GoHandler() override {
    // What unwinding and naming this process touched (a short-lived Go
    // tool's stacks are unwound and named, then the process is gone).
    data_->release_pages_if_due();
    for (const auto& data : objects_in_use_) data->release_pages_if_due();
    if (!labels_) return;
    host_.set_process_program(pid_, 0);
    bpf_map_delete_elem(label_processes_fd(*labels_), &pid_);
  }

  // Has the label finder run for this process' samples.
  Status read_labels(const LabelProgram& program, const go_labels_config& config) {
    if (bpf_map_update_elem(label_processes_fd(program), &pid_, &config, BPF_ANY) != 0) {
      return Status::error("cannot write the goroutine layout of pid " + std::to_string(pid_));
    }
    if (auto status = host_.set_process_program(pid_, program.slot()); !status) {
      bpf_map_delete_elem(label_processes_fd(program), &pid_);
      return status;
    }
    labels_ = &program;
    return Status::ok();
  }

  void labels(const ember_sample& sample, std::vector<Label>& out) override {
    if (!labels_ || sample.runtime_program != labels_->slot() || sample.runtime_frame_count < 1) {
      return;
    }
    const std::vector<Label>& found = label_maps_.labels(sample.runtime_frames[0].word0);
    out.insert(out.end(), found.begin(), found.end());
  }

  bool claims_code() const { return !code_.empty(); }

  // The code of every Go object mapped: the one attached for, and any other
  // (a second c-shared library, a Go plugin beside its executable).
  void on_mappings_changed(const ProcessRef& process) override {
    code_.clear();
    objects_in_use_.clear();
    if (!process.mappings) return;
    for (const Mapping& mapping : *process.mappings) {
      if (!mapping.executable || !mapping.is_file()) continue;
      auto data = mapping.path == data_->path ? data_ : objects_.find(process.root, mapping);
      if (!data) continue;
      if (data != data_) objects_in_use_.push_back(data);
      const GoBinary& binary = data->binary;
      for (const ElfSegment& segment : binary.file.segments()) {
        if (mapping.offset < segment.offset || mapping.offset - segment.offset >= segment.filesz) {
          continue;
        }
        std::uint64_t bias = mapping.start - (segment.vaddr + (mapping.offset - segment.offset));
        // Only the Go functions: C code linked beside them stays native.
        std::uint64_t start = std::max(mapping.start, binary.table.text_start() + bias);
        std::uint64_t end = std::min(mapping.end, binary.table.text_end() + bias);
        if (start < end) code_.push_back(Code{start, end, bias, data.get()});
        break;
      }
    }
  }

  void code_ranges(std::vector<CodeRange>& ranges) const override {
    for (const Code& code : code_) ranges.push_back(CodeRange{code.start, code.end});
  }

  // Go code has no CFI. CFA = sp + the pcsp delta + 8 (the return address);
  // a function with a frame saved its caller's rbp just below the return
  // address (the Go amd64 prologue: SUBQ $n, SP; MOVQ BP, n-8(SP)). A C -> Go
  // callback and its marker are stepped as kCallback says.
  bool unwind_rule(std::uint64_t pc, UnwindRule& rule) const override {
    for (const Code& code : code_) {
      if (pc < code.start || pc >= code.end) continue;
      std::uint64_t link_pc = pc - code.bias;
      if (at_switch_marker(*code.data, link_pc)) {
        rule = UnwindRule{UnwindRule::CfaBase::sp, 8, -8, false, -16};
        return true;
      }
      bool callback = within(link_pc, code.data->callback);
      if (callback && code.data->library) {
        rule = UnwindRule{UnwindRule::CfaBase::bp, 16, -8, true, -16};
        return true;
      }
      auto delta = code.data->binary.table.sp_delta(link_pc);
      if (!delta || *delta > (1 << 24)) return false;
      if (*delta > 0 && std::any_of(code.data->vdso_callers.begin(), code.data->vdso_callers.end(),
                                    [&](const auto& range) { return within(link_pc, range); })) {
        rule = UnwindRule{UnwindRule::CfaBase::bp, 16, -8, true, -16};
        return true;
      }
      // The callback's frame on the goroutine stack never saved an rbp.
      rule = UnwindRule{UnwindRule::CfaBase::sp, *delta + 8, -8, *delta > 0 && !callback, -16};
      return true;
    }
    return false;
  }

  void symbolize_addresses(std::span<const std::uint64_t> pcs,
                           std::vector<std::vector<FrameHandle>>& frames) override {
    for (std::size_t i = 0; i < pcs.size(); ++i) {
      for (const Code& code : code_) {
        if (pcs[i] < code.start || pcs[i] >= code.end) continue;
        name(*code.data, pcs[i] - code.bias, frames[i]);
        break;
      }
    }
    for (const Code& code : code_) code.data->release_pages_if_due();
  }

 private:
  struct Code {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::uint64_t bias = 0;  // runtime address - link-time address
    const GoBinaryData* data = nullptr;  // kept alive by data_ or objects_in_use_
  };

  // Unnamed pcs (a gap between functions) get no frames: the native role names them.
  void name(const GoBinaryData& data, std::uint64_t link_pc, std::vector<FrameHandle>& out) {
    scratch_.clear();
    if (at_switch_marker(data, link_pc)) link_pc = data.switch_marker.first;
    if (!data.binary.table.frames(link_pc, scratch_)) return;
    for (const GoFrame& g : scratch_) {
      Frame f;
      f.name = g.function.empty() ? "[unnamed go function]" : std::string(g.function);
      f.module = data.module;
      f.file = std::string(g.file);
      f.line = g.line;
      f.kind = frame_kind::go;
      f.inlined = g.inlined;
      out.push_back(std::make_shared<const Frame>(std::move(f)));
    }
  }

  Host& host_;
  GoObjects& objects_;  // the plugin's, which outlives handlers
  std::uint32_t pid_;
  std::shared_ptr<const GoBinaryData> data_;
  std::vector<std::shared_ptr<const GoBinaryData>> objects_in_use_;
  std::vector<Code> code_;
  std::vector<GoFrame> scratch_;
  const LabelProgram* labels_ = nullptr;  // the plugin's, which outlives handlers
  LabelMapCache label_maps_;
};

class GoPlugin final : public RuntimePlugin {
 public:
  std::string_view name() const override { return "go"; }

  Status configure(const Options& options, Host& host) override {
    host_ = &host;
    objects_ = std::make_unique<GoObjects>(host);
    OptionReader reader(options, "runtime.go");
    if (auto status = reader.finish(); !status) return status;
    return host.register_frame_kind(frame_kind::go, kGoColor);
  }

  std::shared_ptr<const BinaryData> probe(const BinaryRef& binary) override {
    LogLevel level = LogLevel::debug;
    std::string message;
    auto data = read_go_object(binary.path, binary.open_path, level, message);
    if (!message.empty()) host_->log(level, message);
    return data;
  }

  std::unique_ptr<ProcessHandler> attach(const ProcessRef& process,
                                         std::shared_ptr<const BinaryData> data) override {
    auto binary = std::dynamic_pointer_cast<const GoBinaryData>(data);
    if (!binary) return nullptr;
    auto handler = std::make_unique<GoHandler>(*host_, *objects_, process, binary);
    // Names need no BPF: without the label finder Go code is named all the same.
    std::string why;
    auto config = label_config(process, *binary, why);
    Status status = config ? Status::ok() : Status::error(why);
    if (config && labels_.ready(*host_)) status = handler->read_labels(labels_, *config);
    if (!status) {
      host_->log(LogLevel::info, "pid " + std::to_string(process.pid) +
                                     ": goroutine labels are not read: " + status.message());
    }
    return handler;
  }

 private:
  // Where this process keeps its labels, or why that is not known.
  static std::optional<go_labels_config> label_config(const ProcessRef& process,
                                                      const GoBinaryData& binary,
                                                      std::string& why) {
    if (process.exe != binary.path) {
      why = "read in Go executables only: the Go code is in " + binary.path + ", the process runs " +
            (process.exe.empty() ? std::string("an executable not known") : process.exe);
      return std::nullopt;
    }
    auto layout = goroutine_layout(binary.binary.version);
    if (!layout) {
      why = "the goroutine layout of " +
            (binary.binary.version.empty() ? std::string("this Go version (not found)")
                                           : binary.binary.version) +
            " is not known";
      return std::nullopt;
    }
    auto tls = g_tls_offset(binary.binary.file, why);
    if (!tls) return std::nullopt;
    go_labels_config config{};
    config.g_tls_offset = *tls;
    config.g_m = layout->g_m;
    config.m_curg = layout->m_curg;
    config.g_labels = layout->g_labels;
    return config;
  }

  Host* host_ = nullptr;
  std::unique_ptr<GoObjects> objects_;
  LabelProgram labels_{[](go_labels_bpf* skeleton) { return skeleton->progs.go_labels; },
                       "the goroutine label finder", "goroutine labels are not read"};
};

std::shared_ptr<GoBinaryData> read_go_object(const std::string& path, const std::string& open_path,
                                             LogLevel& level, std::string& message) {
  auto data = std::make_shared<GoBinaryData>();
  Status status = detect(open_path, data->binary);
  if (!data->binary.is_go) {
    level = LogLevel::debug;
    if (!status) message = path + ": " + status.message();
    return nullptr;
  }
  std::string version =
      data->binary.version.empty() ? "Go (version unknown)" : data->binary.version;
  if (!status) {
    level = LogLevel::warn;
    message = path + ": " + version + ", " + status.message() + "; its code is profiled as native code";
    return nullptr;
  }
  data->path = path;
  data->module = base_name(path);
  const Pclntab& table = data->binary.table;
  for (std::size_t i = 0; i < table.function_count(); ++i) {
    std::string_view name = table.function_name(i);
    auto range = std::make_pair(table.function_entry(i), table.function_entry(i + 1));
    if (name == kCallback) data->callback = range;
    if (name == kSwitchMarker) data->switch_marker = range;
    if (name == kLibraryEntry) data->library = true;
    for (std::string_view caller : kVdsoCallers) {
      if (name == caller) data->vdso_callers.push_back(range);
    }
  }
  // Finding the markers read every function's name.
  FilePagesRelease::release(data->binary.file.mapping(), data->binary.file.mapping_size());
  level = LogLevel::info;
  message = version + " in " + path + ": " + std::to_string(table.function_count()) + " functions";
  if (!data->binary.inline_trees) {
    message += "; inlined calls not expanded (" + data->binary.inline_trees_missing + ")";
  }
  return data;
}

}  // namespace
}  // namespace ember::go

EMBER_RUNTIME_PLUGIN(ember::go::GoPlugin, "go")

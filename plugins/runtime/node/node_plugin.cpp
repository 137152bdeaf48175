// The Node.js runtime plugin: claims binaries that carry V8's postmortem
// metadata (node, libnode), reads V8's layout from it, routes their
// processes' samples to node.bpf.c and names the JavaScript frames it found
// (function, script, the line the function starts on), no flag needed in
// the process. Each JavaScript frame replaces the native frame it ran in:
// the interpreter's bytecode handler or entry trampoline (Builtins_*,
// named from node's symbols) or JIT code in anonymous memory, which the
// plugin claims and names "[v8 code]", or from the process' perf map when
// it runs with --perf-basic-prof.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <chrono>
#include <cinttypes>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bpf/node_bpf.h"
#include "ember/elf_file.hpp"
#include "ember/frame_interner.hpp"
#include "ember/option_reader.hpp"
#include "ember/perf_map.hpp"
#include "ember/plugin.hpp"
#include "ember/runtime_plugin.hpp"
#include "lazy_bpf_program.hpp"
#include "node.skel.h"
#include "v8_heap.hpp"
#include "v8_layout.hpp"
#include "v8_symbols.hpp"

namespace ember::node {
namespace {

constexpr const char* kNodeColor = "#aa66cc";  // the built-in kind's own color
constexpr const char* kJitModule = "[v8 code]";
constexpr std::string_view kBuiltinPrefix = "Builtins_";

std::string base_name(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

class NodeBinaryData final : public BinaryData {
 public:
  std::string path;
  std::string module;  // its file name, for V8's own functions
  V8Layout layout;
  ElfFile elf;  // segments, for the load bias
  // V8's embedded builtins (Builtins_* symbols), link-time; empty when the
  // binary has no .symtab.
  std::uint64_t builtins_start = 0;
  std::uint64_t builtins_end = 0;
};

node_offsets bpf_offsets(const V8Layout& l) {
  node_offsets o{};
  o.fp_function = l.fp_function;
  o.fp_bytecode_array = l.fp_bytecode_array;
  o.fp_bytecode_offset = l.fp_bytecode_offset;
  o.heap_object_tag = l.heap_object_tag;
  o.heap_object_tag_mask = l.heap_object_tag_mask;
  o.smi_shift = l.smi_shift;
  o.heap_object_map = l.heap_object_map;
  o.map_instance_type = l.map_instance_type;
  o.js_function_shared = l.js_function_shared;
  o.sfi_name_or_scope_info = l.sfi_name_or_scope_info;
  o.type_js_function_first = l.type_js_function_first;
  o.type_js_function_last = l.type_js_function_last;
  o.type_shared_function_info = l.type_shared_function_info;
  o.type_bytecode_array = l.type_bytecode_array;
  return o;
}

struct Range {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  bool contains(std::uint64_t pc) const { return pc >= start && pc < end; }
};

class NodeHandler final : public ProcessHandler {
 public:
  NodeHandler(Host& host, const ProcessRef& process, int config_map_fd,
              std::shared_ptr<const NodeBinaryData> binary, Range builtins, bool use_perf_map,
              std::shared_ptr<FrameInterner> interner)
      : host_(host),
        pid_(process.pid),
        interner_(std::move(interner)),
        config_map_fd_(config_map_fd),
        binary_(std::move(binary)),
        builtins_(builtins),
        heap_(binary_->layout,
              [&host, pid = process.pid](std::uint64_t address, void* buffer, std::size_t size) {
                return host.read_memory(pid, address, buffer, size);
              }),
        use_perf_map_(use_perf_map),
        perf_map_path_(use_perf_map ? PerfMap::path_for(process.pid) : std::string()),
        jit_frame_(std::make_shared<const Frame>(
            Frame{kJitModule, kJitModule, "", 0, frame_kind::node, false})),
        moved_frame_(std::make_shared<const Frame>(
            Frame{"[moved by the GC]", kJitModule, "", 0, frame_kind::node, false})) {
    on_mappings_changed(process);
  }

  ~NodeHandler() override {
    if (routed_) host_.set_process_program(pid_, 0);
    if (configured_) bpf_map_delete_elem(config_map_fd_, &pid_);
  }

  Status start(const node_process_config& config, std::uint32_t slot) {
    if (bpf_map_update_elem(config_map_fd_, &pid_, &config, BPF_ANY) != 0) {
      return Status::error("cannot write the V8 layout of pid " + std::to_string(pid_));
    }
    configured_ = true;
    if (auto status = host_.set_process_program(pid_, slot); !status) return status;
    routed_ = true;
    return Status::ok();
  }

  // JIT code lives in anonymous memory. Not only the executable mappings:
  // V8 flips its code pages between writable and executable (W^X), which
  // changes no mapping the host would notice.
  void on_mappings_changed(const ProcessRef& process) override {
    if (!process.mappings) return;
    jit_.clear();
    for (const Mapping& mapping : *process.mappings) {
      if (mapping.path.empty()) jit_.push_back({mapping.start, mapping.end});
    }
  }

  void code_ranges(std::vector<CodeRange>& ranges) const override {
    // V8 reuses its code space: an address names other code after a GC.
    for (const Range& r : jit_) ranges.push_back(CodeRange{r.start, r.end, false});
  }

  void symbolize_addresses(std::span<const std::uint64_t> pcs,
                           std::vector<std::vector<FrameHandle>>& frames) override {
    for (std::size_t i = 0; i < pcs.size(); ++i) frames[i].push_back(jit_frame(pcs[i]));
  }

  // V8 code keeps frame pointers: push rbp; mov rbp, rsp.
  bool unwind_rule(std::uint64_t pc, UnwindRule& rule) const override {
    if (!in_jit(pc)) return false;
    rule = UnwindRule{UnwindRule::CfaBase::bp, 16, -8, true, -16};
    return true;
  }

  void symbolize_runtime(const ember_sample& sample, RuntimeFrameGroups& groups) override {
    std::uint32_t count = std::min<std::uint32_t>(
        {sample.runtime_frame_count, sample.runtime_anchor_count, EMBER_MAX_RUNTIME_FRAMES,
         EMBER_MAX_RUNTIME_ANCHORS});
    std::uint32_t native_count =
        std::min<std::uint32_t>(sample.user_frame_count, EMBER_MAX_USER_FRAMES);
    for (std::uint32_t i = 0; i < count; ++i) {
      const ember_runtime_frame& raw = sample.runtime_frames[i];
      std::uint32_t index = static_cast<std::uint32_t>(raw.word1 >> NODE_FRAME_INDEX_SHIFT) & 0xff;
      // Only frames of V8's code: a C++ frame may hold a JSFunction in the
      // slot where JavaScript frames keep theirs.
      if (index >= native_count) continue;
      std::uint64_t pc = sample.user_frames[index];
      if (!builtins_.contains(pc) && !in_jit(pc)) continue;
      std::uint32_t check =
          static_cast<std::uint32_t>(raw.word1 >> NODE_CHECK_SHIFT) & NODE_CHECK_MASK;
      RuntimeFrameGroup group;
      group.frames.push_back(function_frame(raw.word0, check));
      group.anchor = sample.runtime_anchors[i];
      groups.push_back(std::move(group));
    }
  }

  bool is_interpreter_frame(const Frame& native) const override {
    return native.name.starts_with(kBuiltinPrefix) || native.module == kJitModule;
  }

  // Between two JavaScript frames: the builtins that carry calls (Call,
  // JSEntry, the trampolines) and JIT code no function owns (stubs).
  bool is_call_machinery(const Frame& native) const override {
    return native.name.starts_with(kBuiltinPrefix) || native.name == kJitModule;
  }

 private:
  static constexpr std::size_t kMaxCachedFrames = 100000;
  static constexpr auto kPerfMapInterval = std::chrono::milliseconds(500);

  struct Key {
    std::uint64_t sfi;
    std::uint32_t check;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<std::uint64_t>()(k.sfi * 0x9e3779b97f4a7c15ull ^ k.check);
    }
  };

  bool in_jit(std::uint64_t pc) const {
    for (const Range& r : jit_) {
      if (r.contains(pc)) return true;
    }
    return false;
  }

  FrameHandle function_frame(std::uint64_t sfi, std::uint32_t check) {
    Key key{sfi, check};
    if (auto it = frames_.find(key); it != frames_.end()) return it->second;
    auto function = heap_.read_function(sfi);
    // Moved since the sample (the name word differs), or being moved while
    // read (an object of it not where its pointer says): nothing to cache.
    if (!function || !function->complete ||
        NODE_CHECK(function->name_or_scope_info) != check) {
      return moved_frame_;
    }
    if (frames_.size() >= kMaxCachedFrames) frames_.clear();
    Frame f;
    f.kind = frame_kind::node;
    f.name = function->name.empty() ? "<anonymous>" : function->name;
    f.module = function->script.empty() ? binary_->module : function->script;
    f.file = function->script;
    f.line = function->line;
    FrameHandle handle = interner_->intern(std::move(f));
    frames_.emplace(key, handle);
    return handle;
  }

  // A JIT address by the perf map's name when the process writes one,
  // else "[v8 code]".
  FrameHandle jit_frame(std::uint64_t pc) {
    if (!use_perf_map_) return jit_frame_;
    const PerfMapEntry* entry = perf_map_.find(pc);
    auto now = std::chrono::steady_clock::now();
    if (!entry && now - perf_map_read_ >= kPerfMapInterval) {
      perf_map_read_ = now;
      // No map (the usual case: no --perf-basic-prof) is not worth a log line.
      if (perf_map_.update(perf_map_path_)) entry = perf_map_.find(pc);
    }
    if (!entry) return jit_frame_;
    auto& cached = perf_names_[entry->name.get()];
    if (!cached || cached->name != *entry->name) {
      if (perf_names_.size() > kMaxCachedFrames) perf_names_.clear();
      cached = std::make_shared<const Frame>(
          Frame{*entry->name, kJitModule, "", 0, frame_kind::node, false});
    }
    return cached;
  }

  Host& host_;
  std::uint32_t pid_;
  std::shared_ptr<FrameInterner> interner_;  // the plugin's: shared by every node process
  int config_map_fd_;
  std::shared_ptr<const NodeBinaryData> binary_;
  Range builtins_;
  std::vector<Range> jit_;
  V8HeapReader heap_;
  bool use_perf_map_;
  std::string perf_map_path_;
  PerfMap perf_map_;
  std::chrono::steady_clock::time_point perf_map_read_{};
  std::unordered_map<const std::string*, FrameHandle> perf_names_;
  FrameHandle jit_frame_;
  FrameHandle moved_frame_;
  bool configured_ = false;
  bool routed_ = false;
  std::unordered_map<Key, FrameHandle, KeyHash> frames_;
};

class NodePlugin final : public RuntimePlugin {
 public:
  std::string_view name() const override { return "node"; }

  Status configure(const Options& options, Host& host) override {
    host_ = &host;
    OptionReader reader(options, "runtime.node");
    max_frames_ = static_cast<std::uint32_t>(
        reader.get_int("max_frames", EMBER_MAX_RUNTIME_FRAMES, 1, EMBER_MAX_RUNTIME_FRAMES));
    use_perf_map_ = reader.get_bool("perf_map", true);
    if (auto status = reader.finish(); !status) return status;
    return host.register_frame_kind(frame_kind::node, kNodeColor);
  }

  std::shared_ptr<const BinaryData> probe(const BinaryRef& binary) override {
    V8Symbols symbols;
    if (auto status = read_v8_symbols(binary.open_path, symbols); !status) {
      host_->log(LogLevel::debug, status.message());
      return nullptr;
    }
    if (!symbols.count("HeapObjectTag")) return nullptr;  // no V8 metadata: not ours
    auto data = std::make_shared<NodeBinaryData>();
    if (auto status = parse_v8_layout(symbols, data->layout); !status) {
      host_->log(LogLevel::warn, binary.path + ": " + status.message() +
                                     "; its JavaScript is profiled as native code");
      return nullptr;
    }
    // The functions are read for the builtins' range only: what is kept for
    // every process is the segments (node's function names are megabytes).
    ElfFile functions;
    ElfReadOptions elf_options;
    elf_options.data_symbols = false;
    if (auto opened = ElfFile::open(binary.open_path, functions, elf_options); !opened) {
      host_->log(LogLevel::warn, binary.path + ": " + opened.message());
      return nullptr;
    }
    for (std::size_t i = 0; i < functions.function_count(); ++i) {
      ElfSymbol symbol = functions.function(i);
      if (!symbol.name.starts_with(kBuiltinPrefix)) continue;
      if (data->builtins_start == 0) data->builtins_start = symbol.address;
      data->builtins_end = symbol.address + symbol.size;
    }
    elf_options.symbols = false;
    if (auto opened = ElfFile::open(binary.open_path, data->elf, elf_options); !opened) {
      host_->log(LogLevel::warn, binary.path + ": " + opened.message());
      return nullptr;
    }
    data->path = binary.path;
    data->module = base_name(binary.path);
    std::string message = "V8 " + data->layout.version.to_string() + " in " + binary.path;
    if (data->builtins_start == 0) {
      message += "; no Builtins_* symbols, so interpreted frames are not named";
    }
    host_->log(LogLevel::info, message);
    return data;
  }

  std::unique_ptr<ProcessHandler> attach(const ProcessRef& process,
                                         std::shared_ptr<const BinaryData> data) override {
    auto binary = std::dynamic_pointer_cast<const NodeBinaryData>(data);
    if (!binary || !process.mappings) return nullptr;
    std::optional<std::uint64_t> bias;
    for (const Mapping& mapping : *process.mappings) {
      if (mapping.path == binary->path) {
        bias = binary->elf.load_bias(mapping.start, mapping.offset);
        if (bias) break;
      }
    }
    if (!bias) {
      host_->log(LogLevel::warn, "pid " + std::to_string(process.pid) + ": " + binary->path +
                                     " is not mapped; not naming its JavaScript frames");
      return nullptr;
    }
    Range builtins;
    if (binary->builtins_start) {
      builtins = {binary->builtins_start + *bias, binary->builtins_end + *bias};
    }
    if (!walker_.ready(*host_)) return nullptr;
    node_process_config config{};
    config.offsets = bpf_offsets(binary->layout);
    config.max_frames = max_frames_;
    auto handler = std::make_unique<NodeHandler>(*host_, process,
                                                 bpf_map__fd(walker_.skeleton()->maps.node_processes),
                                                 binary, builtins, use_perf_map_, interner_);
    if (auto status = handler->start(config, walker_.slot()); !status) {
      host_->log(LogLevel::warn, status.message());
      return nullptr;
    }
    return handler;
  }

 private:
  Host* host_ = nullptr;
  LazyBpfProgram<node_bpf> walker_{[](node_bpf* skeleton) { return skeleton->progs.node_walk; },
                                   "the Node.js frame finder",
                                   "node processes are profiled as native code"};
  std::uint32_t max_frames_ = EMBER_MAX_RUNTIME_FRAMES;
  bool use_perf_map_ = true;
  std::shared_ptr<FrameInterner> interner_ = std::make_shared<FrameInterner>();
};

}  // namespace
}  // namespace ember::node

EMBER_RUNTIME_PLUGIN(ember::node::NodePlugin, "node")

// The CPython runtime plugin: claims libpython / statically linked
// interpreters of the versions its BPF walker supports, routes their samples
// to cpython.bpf.c and names the recorded frames (qualified name, file, line).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "address_space.hpp"
#include "bpf/cpython_bpf.h"
#include "call_machinery.hpp"
#include "code_reader.hpp"
#include "cpython.skel.h"
#include "detect.hpp"
#include "ember/elf_file.hpp"
#include "ember/frame_interner.hpp"
#include "ember/option_reader.hpp"
#include "ember/plugin.hpp"
#include "lazy_bpf_program.hpp"

namespace ember::cpython {
namespace {

// Why the walker cannot handle this interpreter; empty when it can (2.7 and
// 3.6-3.13, with the runtime symbols their frame model starts from).
std::string unsupported_reason(const CPythonBinary& binary) {
  bool known = (binary.major == 2 && binary.minor == 7) ||
               (binary.major == 3 && binary.minor >= 6 && binary.minor <= 13);
  if (!known) return "the walker handles 2.7 and 3.6-3.13";
  const cpython_offsets& off = binary.offsets;
  if (off.runtime_interpreters_head != CPYTHON_OFFSET_NONE ? binary.runtime_address == 0
                                                           : binary.tstate_current_address == 0) {
    return "its runtime state symbol was not found";
  }
  if (!binary.code_type_address || !binary.str_type_address || !binary.bytes_type_address) {
    return "its PyCode_Type, str or bytes type symbol was not found";
  }
  return {};
}

class CpythonBinaryData final : public BinaryData {
 public:
  std::string path;
  CPythonBinary info;
  std::string unsupported;  // why its processes are profiled as native code
  ElfFile elf;  // segments, for the load bias (no symbols: the probe looked them up)
  CallMachinery machinery;
};

struct FrameKey {
  std::uint64_t code;
  std::uint64_t word1;  // position and check
  bool operator==(const FrameKey&) const = default;
};

struct FrameKeyHash {
  std::size_t operator()(const FrameKey& key) const {
    return std::hash<std::uint64_t>()(key.code * 0x9e3779b97f4a7c15ull ^ key.word1);
  }
};

class CpythonHandler final : public ProcessHandler {
 public:
  CpythonHandler(Host& host, std::uint32_t pid, int config_map_fd,
                 std::shared_ptr<const CpythonBinaryData> binary, ObjectTypes types,
                 std::shared_ptr<FrameInterner> interner)
      : host_(host),
        pid_(pid),
        interner_(std::move(interner)),
        config_map_fd_(config_map_fd),
        // 2.7's eval loop is PyEval_EvalFrameEx; 3.x's PyEval_EvalFrameEx
        // only forwards to _PyEval_EvalFrameDefault.
        eval_function_(binary->info.offsets.major == 2 ? "PyEval_EvalFrameEx"
                                                       : "_PyEval_EvalFrameDefault"),
        binary_(std::move(binary)),
        reader_(
            binary_->info.offsets,
            [&host, pid](std::uint64_t address, void* buffer, std::size_t size) {
              return host.read_memory(pid, address, buffer, size);
            },
            types) {}

  ~CpythonHandler() override {
    if (routed_) host_.set_process_program(pid_, 0);
    if (configured_) bpf_map_delete_elem(config_map_fd_, &pid_);
  }

  Status start(const cpython_process_config& config, std::uint32_t slot) {
    if (bpf_map_update_elem(config_map_fd_, &pid_, &config, BPF_ANY) != 0) {
      return Status::error("cannot write the CPython config of pid " + std::to_string(pid_));
    }
    configured_ = true;
    if (auto status = host_.set_process_program(pid_, slot); !status) return status;
    routed_ = true;
    return Status::ok();
  }

  void symbolize_runtime(const ember_sample& sample, RuntimeFrameGroups& groups) override {
    RuntimeFrameGroup group;
    std::uint32_t count =
        std::min<std::uint32_t>(sample.runtime_frame_count, EMBER_MAX_RUNTIME_FRAMES);
    for (std::uint32_t i = 0; i < count; ++i) {
      const ember_runtime_frame& raw = sample.runtime_frames[i];
      group.frames.push_back(frame(raw.word0, raw.word1 & ~CPYTHON_FRAME_ENTRY));
      if (raw.word1 & CPYTHON_FRAME_ENTRY) {
        std::size_t index = groups.size();
        if (index < sample.runtime_anchor_count && index < EMBER_MAX_RUNTIME_ANCHORS) {
          group.anchor = sample.runtime_anchors[index];
        }
        groups.push_back(std::move(group));
        group = {};
      }
    }
    if (!group.frames.empty()) groups.push_back(std::move(group));
  }

  bool is_interpreter_frame(const Frame& native) const override {
    std::string_view name = native.name;
    return name.starts_with(eval_function_) &&
           (name.size() == eval_function_.size() || name[eval_function_.size()] == '.');
  }

  bool is_call_machinery(const Frame& native) const override {
    return binary_->machinery.contains(native);
  }

 private:
  static constexpr std::size_t kMaxCachedFrames = 200000;

  // `word1` without its entry flag: position and check (bpf/cpython_bpf.h).
  FrameHandle frame(std::uint64_t code, std::uint64_t word1) {
    FrameKey key{code, word1};
    if (auto it = frames_.find(key); it != frames_.end()) return it->second;
    if (frames_.size() >= kMaxCachedFrames) {
      frames_.clear();
      codes_.clear();
      files_.clear();
    }
    const std::uint64_t check = (word1 >> CPYTHON_FRAME_CHECK_SHIFT) & CPYTHON_FRAME_CHECK_MASK;
    const CodeInfo* info = code_info(code, check);
    Frame f;
    f.kind = frame_kind::python;
    if (info && info->check == check) {
      f.name = info->name;
      f.file = info->file;
      f.module = info->file;
      std::int64_t position = reader_.table_offset(word1 & CPYTHON_FRAME_POSITION_MASK);
      std::int32_t line = info->lines.line_at(position);
      if (line < 0) line = info->first_line;
      f.line = line > 0 ? static_cast<std::uint32_t>(line) : 0;
    } else {
      // The sampled code object was freed before it could be read (a
      // module's top level once imported, exec'd code), and the address
      // holds another object or none. Never another's name; the file when
      // the check matches a file of this process near its top.
      f.name = "<unknown python>";
      f.file = file_of_freed_code(check);
      f.module = f.file;
      if (info) {
        // Another live object is at that address: not remembered, a
        // later sample of the address is read again.
        return interner_->intern(std::move(f));
      }
    }
    FrameHandle handle = interner_->intern(std::move(f));
    frames_.emplace(key, handle);
    return handle;
  }

  // The code object at `code`, read again when the one remembered is not
  // the one with `check` (the address was reused since); null when nothing
  // readable is there. A failed read is not remembered: the next object at
  // the address is another one.
  const CodeInfo* code_info(std::uint64_t code, std::uint64_t check) {
    auto it = codes_.find(code);
    if (it != codes_.end() && it->second->check == check) return it->second.get();
    auto info = reader_.read_code(code);
    if (!info) return it == codes_.end() ? nullptr : it->second.get();
    if (info->file_address != 0) files_.try_emplace(info->file_address, info->file);
    auto read = std::make_unique<CodeInfo>(std::move(*info));
    if (it == codes_.end()) return codes_.emplace(code, std::move(read)).first->second.get();
    it->second = std::move(read);
    return it->second.get();
  }

  // The file of a freed code object whose check is `check`, when it starts
  // on one of the first lines of a file some code object read in this
  // process came from (a module's top level: line 1 from 3.11, its first
  // statement before; a docstring is one). A false match takes 1 in 2^30
  // per candidate. Empty when none matches.
  std::string file_of_freed_code(std::uint64_t check) const {
    static constexpr std::uint32_t kTopLines = 16;
    for (const auto& [address, file] : files_) {
      for (std::uint32_t line = 1; line <= kTopLines; ++line) {
        if (cpython_code_check(address, line) == check) return file;
      }
    }
    return {};
  }

  Host& host_;
  std::uint32_t pid_;
  std::shared_ptr<FrameInterner> interner_;  // the plugin's: shared by every Python
  int config_map_fd_;
  std::string_view eval_function_;
  std::shared_ptr<const CpythonBinaryData> binary_;  // shared by the binary's processes
  CodeReader reader_;
  bool configured_ = false;
  bool routed_ = false;
  std::unordered_map<std::uint64_t, std::unique_ptr<CodeInfo>> codes_;
  std::unordered_map<FrameKey, FrameHandle, FrameKeyHash> frames_;
  // co_filename str address -> its text, from every code object read.
  std::unordered_map<std::uint64_t, std::string> files_;
};

class CpythonPlugin final : public RuntimePlugin {
 public:
  std::string_view name() const override { return "cpython"; }

  Status configure(const Options& options, Host& host) override {
    host_ = &host;
    OptionReader reader(options, "runtime.cpython");
    max_frames_ = static_cast<std::uint32_t>(
        reader.get_int("max_frames", EMBER_MAX_RUNTIME_FRAMES, 1, EMBER_MAX_RUNTIME_FRAMES));
    if (auto status = reader.finish(); !status) return status;
    // Loaded now, not at the first Python: an interpreter starts running its
    // script ~20 ms after exec, and loading takes longer (`ember record --
    // python3 app.py` lost a twentieth of a 1 s script's Python frames).
    if (auto status = walker_.load(host); !status) {
      return Status::error("the CPython frame walker: " + status.message());
    }
    return Status::ok();
  }

  std::shared_ptr<const BinaryData> probe(const BinaryRef& binary) override {
    auto data = std::make_shared<CpythonBinaryData>();
    Status status = detect(binary, data->info);
    if (!data->info.is_cpython) {
      if (!status) host_->log(LogLevel::debug, binary.path + ": " + status.message());
      return nullptr;
    }
    data->path = binary.path;
    data->unsupported = status ? unsupported_reason(data->info) : status.message();
    if (data->unsupported.starts_with(binary.path + ": ")) {
      data->unsupported.erase(0, binary.path.size() + 2);
    }
    // Claimed anyway: attach() reports it once per process, with the pid.
    if (!data->unsupported.empty()) return data;
    data->machinery = call_machinery(binary.path);
    ElfReadOptions elf_options;
    elf_options.symbols = false;
    if (auto opened = ElfFile::open(binary.open_path, data->elf, elf_options); !opened) {
      host_->log(LogLevel::warn, binary.path + ": " + opened.message());
      return nullptr;
    }
    host_->log(LogLevel::info, "CPython " + data->info.version + " in " + binary.path);
    return data;
  }

  std::unique_ptr<ProcessHandler> attach(const ProcessRef& process,
                                         std::shared_ptr<const BinaryData> data) override {
    auto binary = std::dynamic_pointer_cast<const CpythonBinaryData>(data);
    if (!binary || !process.mappings) return nullptr;
    if (!binary->unsupported.empty()) {
      std::string version =
          binary->info.version.empty() ? "(version unknown)" : binary->info.version;
      host_->log(LogLevel::warn, "pid " + std::to_string(process.pid) + ": CPython " + version +
                                     " in " + binary->path + " is not supported: " +
                                     binary->unsupported + "; profiled as native code");
      return nullptr;
    }
    std::optional<std::uint64_t> bias;
    for (const Mapping& mapping : *process.mappings) {
      if (mapping.path == binary->path) {
        bias = binary->elf.load_bias(mapping.start, mapping.offset);
        if (bias) break;
      }
    }
    if (!bias) {
      // A process that exited since the probe has no mappings left: not
      // worth a warning.
      bool gone = !has_address_space(process.pid);
      host_->log(gone ? LogLevel::debug : LogLevel::warn,
                 "pid " + std::to_string(process.pid) + ": " + binary->path + " is not mapped" +
                     (gone ? " (the process has exited)" : "") +
                     "; not profiling its Python frames");
      return nullptr;
    }
    cpython_process_config config{};
    if (binary->info.runtime_address) config.runtime_address = binary->info.runtime_address + *bias;
    if (binary->info.tstate_current_address) {
      config.tstate_current_address = binary->info.tstate_current_address + *bias;
    }
    config.max_frames = max_frames_;
    config.offsets = binary->info.offsets;
    ObjectTypes types{binary->info.code_type_address + *bias, binary->info.str_type_address + *bias,
                      binary->info.bytes_type_address + *bias};
    auto handler = std::make_unique<CpythonHandler>(
        *host_, process.pid, bpf_map__fd(walker_.skeleton()->maps.cpython_processes), binary,
        types, interner_);
    if (auto status = handler->start(config, walker_.slot()); !status) {
      host_->log(LogLevel::warn, status.message());
      return nullptr;
    }
    return handler;
  }

 private:
  Host* host_ = nullptr;
  LazyBpfProgram<cpython_bpf> walker_{
      [](cpython_bpf* skeleton) { return skeleton->progs.cpython_walk; },
      "the CPython frame walker", "Python processes are profiled as native code"};
  std::uint32_t max_frames_ = EMBER_MAX_RUNTIME_FRAMES;
  std::shared_ptr<FrameInterner> interner_ = std::make_shared<FrameInterner>();
};

}  // namespace
}  // namespace ember::cpython

EMBER_RUNTIME_PLUGIN(ember::cpython::CpythonPlugin, "cpython")

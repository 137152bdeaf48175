// The toyvm runtime plugin: an example of a runtime plugin with its own BPF
// program, built outside ember's tree against the installed SDK
// (docs/plugin-sdk.md walks through it).
//
// - configure: registers the "toyvm" frame kind, loads toyvm.bpf.c sharing
//   the sampler's maps and puts its program in a slot;
// - probe: a binary named `toyvm` (option `binary`) with a toyvm_top symbol;
// - attach: tells the BPF program where toyvm_top is in that process and has
//   the sampler tail-call it for the process's samples;
// - symbolize_runtime: names each toy frame the BPF program found (function
//   name, file and line read from the process), one group per toyvm_eval
//   call, anchored at the frame record on that call's C stack.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "ember/call_machinery.hpp"
#include "ember/elf_file.hpp"
#include "ember/option_reader.hpp"
#include "ember/plugin.hpp"
#include "toyvm.skel.h"
#include "toyvm_layout.h"

namespace {

constexpr const char* kKind = "toyvm";

class ToyvmHandler final : public ember::ProcessHandler {
 public:
  ToyvmHandler(ember::Host& host, std::uint32_t pid, std::uint32_t slot, int processes_fd,
               std::uint64_t top_address, const ember::CallMachinery& machinery)
      : host_(host), pid_(pid), processes_fd_(processes_fd), machinery_(machinery) {
    bpf_map_update_elem(processes_fd_, &pid_, &top_address, BPF_ANY);
    host_.set_process_program(pid_, slot);
  }
  ~ToyvmHandler() override {
    host_.set_process_program(pid_, 0);
    bpf_map_delete_elem(processes_fd_, &pid_);
  }

  void symbolize_runtime(const ember_sample& sample, ember::RuntimeFrameGroups& groups) override {
    std::uint32_t count = std::min<std::uint32_t>(sample.runtime_frame_count,
                                                  EMBER_MAX_RUNTIME_FRAMES);
    for (std::uint32_t i = 0; i < count; ++i) {
      const auto& word = sample.runtime_frames[i];
      ember::RuntimeFrameGroup group{{frame(word.word0, word.word1)}};
      if (i < sample.runtime_anchor_count) group.anchor = sample.runtime_anchors[i];
      groups.push_back(std::move(group));
    }
  }

  // Each toyvm_eval call runs one toy frame: the groups replace it.
  bool is_interpreter_frame(const ember::Frame& native) const override {
    return native.name == "toyvm_eval";
  }

  // toyvm_invoke between two toyvm_eval calls is the interpreter's own.
  bool is_call_machinery(const ember::Frame& native) const override {
    return machinery_.contains(native);
  }

 private:
  // Functions live for the whole run, so (function, line) names one frame
  // for the life of the process.
  ember::FrameHandle frame(std::uint64_t function, std::uint64_t line) {
    auto key = std::make_pair(function, line);
    if (auto it = frames_.find(key); it != frames_.end()) return it->second;
    toyvm_function read{};
    ember::Frame named;
    named.kind = kKind;
    named.line = static_cast<std::uint32_t>(line);
    if (host_.read_memory(pid_, function, &read, sizeof(read))) {
      named.name.assign(read.name, strnlen(read.name, sizeof(read.name)));
      named.file.assign(read.file, strnlen(read.file, sizeof(read.file)));
      named.module = named.file.substr(named.file.find_last_of('/') + 1);
    }
    if (named.name.empty()) {
      // Never drop a frame: an unreadable one still says where it was.
      char text[40];
      std::snprintf(text, sizeof(text), "[toyvm 0x%llx]",
                    static_cast<unsigned long long>(function));
      named.name = text;
    }
    auto handle = std::make_shared<const ember::Frame>(std::move(named));
    frames_.emplace(key, handle);
    return handle;
  }

  ember::Host& host_;
  std::uint32_t pid_;
  int processes_fd_;
  const ember::CallMachinery& machinery_;  // the plugin's, which outlives handlers
  std::map<std::pair<std::uint64_t, std::uint64_t>, ember::FrameHandle> frames_;
};

class ToyvmBinary final : public ember::BinaryData {
 public:
  std::string path;  // as processes name it
  ember::ElfFile elf;
  std::uint64_t top_address = 0;  // toyvm_top, link-time
};

class ToyvmPlugin final : public ember::RuntimePlugin {
 public:
  ~ToyvmPlugin() override { toyvm_bpf::destroy(skeleton_); }

  std::string_view name() const override { return kKind; }

  ember::Status configure(const ember::Options& options, ember::Host& host) override {
    host_ = &host;
    ember::OptionReader reader(options, "runtime.toyvm");
    binary_ = reader.get_string("binary", "toyvm");
    if (auto status = reader.finish(); !status) return status;
    if (auto status = host.register_frame_kind(kKind, "#e377c2"); !status) return status;
    machinery_.add_object(binary_);
    machinery_.add_symbols({"toyvm_invoke"});

    // The program writes into the sampler's sample and ends in its submit
    // program: it must use the sampler's maps, not copies of its own.
    skeleton_ = toyvm_bpf::open();
    if (!skeleton_) return ember::Status::error("cannot open the toyvm BPF object");
    for (auto* map : {skeleton_->maps.ember_scratch, skeleton_->maps.ember_programs,
                      skeleton_->maps.ember_stats}) {
      int fd = host.bpf_map_fd(bpf_map__name(map));
      if (fd < 0 || bpf_map__reuse_fd(map, fd) != 0) {
        return ember::Status::error(std::string("cannot share the sampler's map ") +
                                    bpf_map__name(map));
      }
    }
    if (toyvm_bpf::load(skeleton_) != 0) {
      return ember::Status::error("cannot load the toyvm BPF program");
    }
    return host.register_bpf_program(bpf_program__fd(skeleton_->progs.toyvm_walk), slot_);
  }

  std::shared_ptr<const ember::BinaryData> probe(const ember::BinaryRef& binary) override {
    std::string_view path = binary.path;
    if (path.substr(path.find_last_of('/') + 1) != binary_) return nullptr;
    auto data = std::make_shared<ToyvmBinary>();
    data->path = binary.path;
    if (!ember::ElfFile::open(binary.open_path, data->elf)) return nullptr;
    auto top = data->elf.find_symbol("toyvm_top");
    if (!top) return nullptr;
    data->top_address = top->address;
    return data;
  }

  std::unique_ptr<ember::ProcessHandler> attach(const ember::ProcessRef& process,
                                                std::shared_ptr<const ember::BinaryData> data) override {
    const auto& binary = static_cast<const ToyvmBinary&>(*data);
    if (!process.mappings) return nullptr;
    for (const ember::Mapping& mapping : *process.mappings) {
      if (mapping.path != binary.path) continue;
      auto bias = binary.elf.load_bias(mapping.start, mapping.offset);
      if (!bias) continue;
      return std::make_unique<ToyvmHandler>(*host_, process.pid, slot_,
                                            bpf_map__fd(skeleton_->maps.toyvm_processes),
                                            binary.top_address + *bias, machinery_);
    }
    return nullptr;
  }

 private:
  ember::Host* host_ = nullptr;
  toyvm_bpf* skeleton_ = nullptr;
  std::uint32_t slot_ = 0;
  std::string binary_;
  ember::CallMachinery machinery_;
};

}  // namespace

EMBER_RUNTIME_PLUGIN(ToyvmPlugin, "toyvm")

// A complete runtime plugin exercising every seam a real interpreter plugin
// (CPython, JVM, Node) uses: its own BPF object bound to the sampler's maps,
// a program slot, per-binary probing, per-process attach, runtime frame
// symbolization, the merge at the interpreter's native frames by the groups'
// anchors and its call machinery dropped between them.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <memory>
#include <string>

#include "ember/call_machinery.hpp"
#include "ember/elf_file.hpp"
#include "ember/option_reader.hpp"
#include "ember/plugin.hpp"
#include "fake_runtime.skel.h"

namespace {

class FakeHandler final : public ember::ProcessHandler {
 public:
  FakeHandler(ember::Host& host, std::uint32_t pid, std::uint32_t slot, int processes_fd,
              std::uint64_t top_address, bool anchors, const ember::CallMachinery& machinery)
      : host_(host), pid_(pid), processes_fd_(processes_fd), anchors_(anchors),
        machinery_(machinery) {
    bpf_map_update_elem(processes_fd_, &pid_, &top_address, BPF_ANY);
    host_.set_process_program(pid_, slot);
  }
  ~FakeHandler() override {
    host_.set_process_program(pid_, 0);
    bpf_map_delete_elem(processes_fd_, &pid_);
  }

  // One group per interpreter_loop run, anchored at its frame record: the
  // leaf for the inner one, its caller for the outer one.
  void symbolize_runtime(const ember_sample& sample, ember::RuntimeFrameGroups& groups) override {
    for (std::uint32_t i = 0; i < sample.runtime_frame_count && i < EMBER_MAX_RUNTIME_FRAMES; ++i) {
      ember::RuntimeFrameGroup group{{sample.runtime_frames[i].word0 == 1 ? leaf_ : caller_}};
      if (anchors_ && i < sample.runtime_anchor_count) group.anchor = sample.runtime_anchors[i];
      groups.push_back(std::move(group));
    }
  }

  bool is_interpreter_frame(const ember::Frame& native) const override {
    return native.name == "interpreter_loop";
  }

  bool is_call_machinery(const ember::Frame& native) const override {
    return machinery_.contains(native);
  }

 private:
  ember::Host& host_;
  std::uint32_t pid_;
  int processes_fd_;
  bool anchors_;
  const ember::CallMachinery& machinery_;  // the plugin's, which outlives handlers
  ember::FrameHandle leaf_ = std::make_shared<const ember::Frame>(
      ember::Frame{"fake_leaf", "script.fake", "script.fake", 7, ember::frame_kind::python, false});
  ember::FrameHandle caller_ = std::make_shared<const ember::Frame>(ember::Frame{
      "fake_caller", "script.fake", "script.fake", 3, ember::frame_kind::python, false});
};

class FakeBinary final : public ember::BinaryData {
 public:
  std::string path;  // as processes name it
  ember::ElfFile elf;
  std::uint64_t top_address = 0;  // toy_top, link-time
};

class FakeRuntimePlugin final : public ember::RuntimePlugin {
 public:
  ~FakeRuntimePlugin() override { fake_runtime_bpf::destroy(skeleton_); }

  std::string_view name() const override { return "fake"; }

  ember::Status configure(const ember::Options& options, ember::Host& host) override {
    host_ = &host;
    ember::OptionReader reader(options, "runtime.fake");
    binary_ = reader.get_string("binary", "fake_interpreter");
    // false: the groups go without their anchors, merged by position.
    anchors_ = reader.get_bool("anchors", true);
    if (auto status = reader.finish(); !status) return status;
    // The interpreter's trampolines between two of its frames; fake_builtin,
    // a "builtin" calling back into the interpreter, is not one of them.
    machinery_.add_object(binary_);
    machinery_.add_symbols({"call_trampoline*"});

    skeleton_ = fake_runtime_bpf::open();
    if (!skeleton_) return ember::Status::error("cannot open the fake runtime BPF object");
    for (auto* map : {skeleton_->maps.ember_scratch, skeleton_->maps.ember_programs,
                      skeleton_->maps.ember_stats}) {
      int fd = host.bpf_map_fd(bpf_map__name(map));
      if (fd < 0 || bpf_map__reuse_fd(map, fd) != 0) {
        return ember::Status::error(std::string("cannot share the sampler's map ") +
                                    bpf_map__name(map));
      }
    }
    if (fake_runtime_bpf::load(skeleton_) != 0) {
      return ember::Status::error("cannot load the fake runtime BPF program");
    }
    return host.register_bpf_program(bpf_program__fd(skeleton_->progs.fake_runtime_walk), slot_);
  }

  std::shared_ptr<const ember::BinaryData> probe(const ember::BinaryRef& binary) override {
    std::string_view path = binary.path;
    std::string_view base = path.substr(path.find_last_of('/') + 1);
    if (base != binary_) return nullptr;
    auto data = std::make_shared<FakeBinary>();
    data->path = binary.path;
    if (!ember::ElfFile::open(binary.open_path, data->elf)) return nullptr;
    auto top = data->elf.find_symbol("toy_top");
    if (!top) return nullptr;
    data->top_address = top->address;
    return data;
  }

  std::unique_ptr<ember::ProcessHandler> attach(const ember::ProcessRef& process,
                                                std::shared_ptr<const ember::BinaryData> data) override {
    const auto& binary = static_cast<const FakeBinary&>(*data);
    if (!process.mappings) return nullptr;
    for (const ember::Mapping& mapping : *process.mappings) {
      if (mapping.path != binary.path) continue;
      auto bias = binary.elf.load_bias(mapping.start, mapping.offset);
      if (!bias) continue;
      return std::make_unique<FakeHandler>(*host_, process.pid, slot_,
                                           bpf_map__fd(skeleton_->maps.fake_processes),
                                           binary.top_address + *bias, anchors_, machinery_);
    }
    return nullptr;
  }

 private:
  ember::Host* host_ = nullptr;
  fake_runtime_bpf* skeleton_ = nullptr;
  std::uint32_t slot_ = 0;
  std::string binary_;
  bool anchors_ = true;
  ember::CallMachinery machinery_;
};

}  // namespace

EMBER_RUNTIME_PLUGIN(FakeRuntimePlugin, "fake")

// The Go runtime plugin: claims the code of Go binaries (stripped or not,
// PIE or not) and names its addresses from the binary's own pclntab through
// the address symbolizer: function, file, line, and the calls inlined at
// that address as frames of their own (marked inlined), all of kind "go".
// Stacks are the native role's: Go keeps frame pointers on amd64, except in
// frameless leaf functions, which hide their caller from a frame-pointer
// walk; the plugin gives the native unwinder a rule per pc from the pcsp
// table (unwind_rule) to step over them from the sample's leaf snapshot.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "detect.hpp"
#include "ember/option_reader.hpp"
#include "ember/plugin.hpp"
#include "ember/runtime_plugin.hpp"

namespace ember::go {
namespace {

constexpr const char* kGoColor = "#57dbdb";  // the built-in kind's own color

std::string base_name(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

class GoBinaryData final : public BinaryData {
 public:
  std::string path;    // as processes name it
  std::string module;  // its file name, the frames' module
  GoBinary binary;
};

class GoHandler final : public ProcessHandler {
 public:
  GoHandler(const ProcessRef& process, std::shared_ptr<const GoBinaryData> data)
      : data_(std::move(data)) {
    on_mappings_changed(process);
  }

  bool claims_code() const { return !code_.empty(); }

  void on_mappings_changed(const ProcessRef& process) override {
    code_.clear();
    if (!process.mappings) return;
    const GoBinary& binary = data_->binary;
    for (const Mapping& mapping : *process.mappings) {
      if (!mapping.executable || mapping.path != data_->path) continue;
      for (const ElfSegment& segment : binary.file.segments()) {
        if (mapping.offset < segment.offset || mapping.offset - segment.offset >= segment.filesz) {
          continue;
        }
        std::uint64_t bias = mapping.start - (segment.vaddr + (mapping.offset - segment.offset));
        // Only the Go functions: C code linked beside them stays native.
        std::uint64_t start = std::max(mapping.start, binary.table.text_start() + bias);
        std::uint64_t end = std::min(mapping.end, binary.table.text_end() + bias);
        if (start < end) code_.push_back(Code{start, end, bias});
        break;
      }
    }
  }

  void code_ranges(std::vector<CodeRange>& ranges) const override {
    for (const Code& code : code_) ranges.push_back(CodeRange{code.start, code.end});
  }

  // Go code has no CFI. CFA = sp + the pcsp delta + 8 (the return address);
  // a function with a frame saved its caller's rbp just below the return
  // address (the Go amd64 prologue: SUBQ $n, SP; MOVQ BP, n-8(SP)).
  bool unwind_rule(std::uint64_t pc, UnwindRule& rule) const override {
    for (const Code& code : code_) {
      if (pc < code.start || pc >= code.end) continue;
      auto delta = data_->binary.table.sp_delta(pc - code.bias);
      if (!delta || *delta > (1 << 24)) return false;
      rule = UnwindRule{UnwindRule::CfaBase::sp, *delta + 8, -8, *delta > 0, -16};
      return true;
    }
    return false;
  }

  void symbolize_addresses(std::span<const std::uint64_t> pcs,
                           std::vector<std::vector<FrameHandle>>& frames) override {
    for (std::size_t i = 0; i < pcs.size(); ++i) {
      for (const Code& code : code_) {
        if (pcs[i] < code.start || pcs[i] >= code.end) continue;
        name(pcs[i] - code.bias, frames[i]);
        break;
      }
    }
  }

 private:
  struct Code {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::uint64_t bias = 0;  // runtime address - link-time address
  };

  // Unnamed pcs (a gap between functions) get no frames: the native role names them.
  void name(std::uint64_t link_pc, std::vector<FrameHandle>& out) {
    scratch_.clear();
    if (!data_->binary.table.frames(link_pc, scratch_)) return;
    for (const GoFrame& g : scratch_) {
      Frame f;
      f.name = g.function.empty() ? "[unnamed go function]" : std::string(g.function);
      f.module = data_->module;
      f.file = std::string(g.file);
      f.line = g.line;
      f.kind = frame_kind::go;
      f.inlined = g.inlined;
      out.push_back(std::make_shared<const Frame>(std::move(f)));
    }
  }

  std::shared_ptr<const GoBinaryData> data_;
  std::vector<Code> code_;
  std::vector<GoFrame> scratch_;
};

class GoPlugin final : public RuntimePlugin {
 public:
  std::string_view name() const override { return "go"; }

  Status configure(const Options& options, Host& host) override {
    host_ = &host;
    OptionReader reader(options, "runtime.go");
    if (auto status = reader.finish(); !status) return status;
    return host.register_frame_kind(frame_kind::go, kGoColor);
  }

  std::shared_ptr<const BinaryData> probe(const BinaryRef& binary) override {
    auto data = std::make_shared<GoBinaryData>();
    Status status = detect(binary.open_path, data->binary);
    if (!data->binary.is_go) {
      if (!status) host_->log(LogLevel::debug, binary.path + ": " + status.message());
      return nullptr;
    }
    std::string version = data->binary.version.empty() ? "Go (version unknown)"
                                                        : data->binary.version;
    if (!status) {
      host_->log(LogLevel::warn, binary.path + ": " + version + ", " + status.message() +
                                     "; its code is profiled as native code");
      return nullptr;
    }
    data->path = binary.path;
    data->module = base_name(binary.path);
    std::string message = version + " in " + binary.path + ": " +
                          std::to_string(data->binary.table.function_count()) + " functions";
    if (!data->binary.inline_trees) {
      message += "; inlined calls not expanded (" + data->binary.inline_trees_missing + ")";
    }
    host_->log(LogLevel::info, message);
    return data;
  }

  std::unique_ptr<ProcessHandler> attach(const ProcessRef& process,
                                         std::shared_ptr<const BinaryData> data) override {
    auto binary = std::dynamic_pointer_cast<const GoBinaryData>(data);
    if (!binary) return nullptr;
    auto handler = std::make_unique<GoHandler>(process, std::move(binary));
    return handler;
  }

 private:
  Host* host_ = nullptr;
};

}  // namespace
}  // namespace ember::go

EMBER_RUNTIME_PLUGIN(ember::go::GoPlugin, "go")

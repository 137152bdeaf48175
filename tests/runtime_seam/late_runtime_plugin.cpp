// A runtime plugin that only names addresses: it claims the library its
// `library` option names (libember_late.so) in any process that maps it, at
// start or later (a dlopen), and names the addresses of that library's
// executable mappings through the address symbolizer (code_ranges,
// symbolize_addresses): "late:" + the library's own symbol, of its own kind
// "late", so a test tells its frames from the native plugin's. No BPF program.
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ember/elf_file.hpp"
#include "ember/option_reader.hpp"
#include "ember/plugin.hpp"
#include "ember/runtime_plugin.hpp"

namespace {

std::string_view base_name(std::string_view path) {
  return path.substr(path.find_last_of('/') + 1);
}

// The library's symbols, read once per build.
struct LateLibrary final : ember::BinaryData {
  ember::ElfFile elf;
};

class LateHandler final : public ember::ProcessHandler {
 public:
  LateHandler(const ember::ProcessRef& process, std::string library,
              std::shared_ptr<const LateLibrary> data)
      : library_(std::move(library)), data_(std::move(data)) {
    on_mappings_changed(process);
  }

  void on_mappings_changed(const ember::ProcessRef& process) override {
    code_.clear();
    if (!process.mappings) return;
    for (const ember::Mapping& mapping : *process.mappings) {
      if (!mapping.executable || base_name(mapping.path) != library_) continue;
      auto bias = data_->elf.load_bias(mapping.start, mapping.offset);
      if (bias) code_.push_back(Code{mapping.start, mapping.end, *bias});
    }
  }

  void code_ranges(std::vector<ember::CodeRange>& ranges) const override {
    for (const Code& code : code_) ranges.push_back(ember::CodeRange{code.start, code.end});
  }

  void symbolize_addresses(std::span<const std::uint64_t> pcs,
                           std::vector<std::vector<ember::FrameHandle>>& frames) override {
    for (std::size_t i = 0; i < pcs.size(); ++i) frames[i].push_back(name(pcs[i]));
  }

 private:
  struct Code {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::uint64_t bias = 0;
  };

  ember::FrameHandle name(std::uint64_t pc) const {
    char offset[32];
    std::string name = "late:";
    for (const Code& code : code_) {
      if (pc < code.start || pc >= code.end) continue;
      std::uint64_t vaddr = pc - code.bias;
      if (auto symbol = data_->elf.find_function(vaddr)) {
        name.append(symbol->name);
      } else {
        std::snprintf(offset, sizeof offset, "+0x%llx", static_cast<unsigned long long>(vaddr));
        name.append(library_).append(offset);
      }
      break;
    }
    if (name == "late:") name.append("[outside the library]");
    return std::make_shared<const ember::Frame>(
        ember::Frame{std::move(name), library_, "", 0, "late", false});
  }

  std::string library_;
  std::shared_ptr<const LateLibrary> data_;
  std::vector<Code> code_;
};

class LateRuntimePlugin final : public ember::RuntimePlugin {
 public:
  std::string_view name() const override { return "late"; }

  ember::Status configure(const ember::Options& options, ember::Host& host) override {
    host_ = &host;
    ember::OptionReader reader(options, "runtime.late");
    library_ = reader.get_string("library", "libember_late.so");
    if (auto status = reader.finish(); !status) return status;
    return host.register_frame_kind("late", "#d1617a");
  }

  std::shared_ptr<const ember::BinaryData> probe(const ember::BinaryRef& binary) override {
    if (base_name(binary.path) != library_) return nullptr;
    auto data = std::make_shared<LateLibrary>();
    if (auto status = ember::ElfFile::open(binary.open_path, data->elf); !status) {
      host_->log(ember::LogLevel::warn, binary.path + ": " + status.message());
      return nullptr;
    }
    return data;
  }

  std::unique_ptr<ember::ProcessHandler> attach(
      const ember::ProcessRef& process, std::shared_ptr<const ember::BinaryData> data) override {
    return std::make_unique<LateHandler>(process, library_,
                                         std::static_pointer_cast<const LateLibrary>(data));
  }

 private:
  ember::Host* host_ = nullptr;
  std::string library_;
};

}  // namespace

EMBER_RUNTIME_PLUGIN(LateRuntimePlugin, "late")

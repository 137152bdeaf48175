#include "kernel_symbols.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "ember/text_file.hpp"

namespace ember::native {
namespace {

bool is_code(char type) { return type == 't' || type == 'T' || type == 'w' || type == 'W'; }

}  // namespace

// Collects code symbols line by line, then sorts them once.
class KernelSymbols::Builder {
 public:
  explicit Builder(std::function<bool(std::uint64_t)> keep = {}) : keep_(std::move(keep)) {}

  void add_line(std::string_view line) {
    // "ffffffff81000000 T _text" or "ffffffffc0a01000 t ext4_fill_super\t[ext4]"
    std::uint64_t address = 0;
    auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), address, 16);
    std::size_t at = static_cast<std::size_t>(end - line.data());
    if (error != std::errc() || at + 3 > line.size() || line[at] != ' ' || line[at + 2] != ' ') {
      return;
    }
    if (!is_code(line[at + 1])) return;
    std::string_view rest = line.substr(at + 3);
    std::string_view name = rest.substr(0, rest.find_first_of(" \t"));
    std::string_view module;
    std::size_t open = rest.find('[', name.size());
    std::size_t close = open == std::string_view::npos ? open : rest.find(']', open);
    if (close != std::string_view::npos) module = rest.substr(open + 1, close - open - 1);
    add(address, name, module);
  }

  // One code symbol; `module` is empty for the kernel image.
  void add(std::uint64_t address, std::string_view name, std::string_view module_name) {
    if (name.empty()) return;
    std::uint32_t module = 0;
    if (!module_name.empty()) {
      auto [it, added] = module_index_.emplace(std::string(module_name),
                                               static_cast<std::uint32_t>(result_.modules_.size()));
      if (added) result_.modules_.emplace_back(module_name);
      module = it->second;
    }
    any_code_ = true;
    all_zero_ &= address == 0;
    if (module == 0) note_bound(name, address);
    if (keep_ && !keep_(address)) return;
    auto name_offset = static_cast<std::uint32_t>(result_.names_.size());
    result_.names_.insert(result_.names_.end(), name.begin(), name.end());
    result_.names_.push_back('\0');
    result_.symbols_.push_back({address, name_offset, module});
  }

  // Complete lines of `text`; returns what is left after the last newline.
  std::string_view add_lines(std::string_view text) {
    for (std::size_t newline; (newline = text.find('\n')) != std::string_view::npos;) {
      add_line(text.substr(0, newline));
      text.remove_prefix(newline + 1);
    }
    return text;
  }

  void note_bound(std::string_view name, std::uint64_t address) {
    if (name == "_stext" || (name == "_text" && !bounds_[0])) bounds_[0] = address;
    if (name == "_etext") bounds_[1] = address;
    if (name == "_sinittext") bounds_[2] = address;
    if (name == "_einittext") bounds_[3] = address;
  }

  KernelSymbols finish() {
    for (std::size_t i = 0; i < 4; i += 2) {
      if (bounds_[i] && bounds_[i] < bounds_[i + 1]) {
        result_.image_text_.emplace_back(bounds_[i], bounds_[i + 1]);
      }
    }
    if (any_code_ && all_zero_) {
      result_.restricted_ = true;
      result_.symbols_.clear();
      result_.names_.clear();
    }
    // Aliases share an address: the first in kallsyms order names it.
    auto& symbols = result_.symbols_;
    std::stable_sort(symbols.begin(), symbols.end(),
                     [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
    symbols.erase(
        std::unique(symbols.begin(), symbols.end(),
                    [](const Symbol& a, const Symbol& b) { return a.address == b.address; }),
        symbols.end());
    symbols.shrink_to_fit();
    result_.names_.shrink_to_fit();
    return std::move(result_);
  }

 private:
  std::function<bool(std::uint64_t)> keep_;
  KernelSymbols result_;
  std::unordered_map<std::string, std::uint32_t> module_index_;
  std::uint64_t bounds_[4] = {};  // _stext, _etext, _sinittext, _einittext
  bool any_code_ = false;
  bool all_zero_ = true;
};

KernelSymbols KernelSymbols::parse(std::string_view text) {
  Builder builder;
  builder.add_line(builder.add_lines(text));  // the last line may lack a newline
  return builder.finish();
}

Status KernelSymbols::load(const std::string& path, KernelSymbols& out,
                           const std::function<bool(std::uint64_t)>& keep) {
  Builder builder(keep);
  Status read = read_lines_in_chunks(
      path, [&](std::string_view lines) { builder.add_line(builder.add_lines(lines)); });
  if (!read) return read;
  out = builder.finish();
  if (!keep && out.symbols_.empty() && !out.restricted_) {
    return Status::error(path + " has no kernel code symbols");
  }
  return Status::ok();
}

const KernelSymbols::Symbol* KernelSymbols::symbol_before(std::span<const Symbol> symbols,
                                                          std::uint64_t address) {
  // No kernel function is this long: an address further past the last symbol
  // before it sits in a gap (between the image and modules, or past the end).
  constexpr std::uint64_t kMaxSymbolReach = 1 << 20;
  auto after = std::upper_bound(symbols.begin(), symbols.end(), address,
                                [](std::uint64_t a, const Symbol& s) { return a < s.address; });
  if (after == symbols.begin()) return nullptr;
  const Symbol& symbol = *std::prev(after);
  if (address - symbol.address >= kMaxSymbolReach) return nullptr;
  return &symbol;
}

std::size_t KernelSymbols::heap_bytes() const {
  std::size_t bytes = symbols_.capacity() * sizeof(Symbol) + names_.capacity();
  if (file_) bytes += sizeof(InFile) + file_->index.capacity() * sizeof(std::uint64_t);
  for (const std::string& module : modules_) bytes += sizeof(module) + module.capacity();
  return bytes;
}

std::optional<KernelSymbols::Found> KernelSymbols::find(std::uint64_t address) const {
  if (file_) return find_in_file(address);
  const Symbol* symbol = symbol_before(symbols_, address);
  if (!symbol) return std::nullopt;
  return Found{std::string(names_.data() + symbol->name), modules_[symbol->module],
               symbol->address};
}

}  // namespace ember::native

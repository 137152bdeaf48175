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

// No kernel function is this long: an address further past the last symbol
// before it sits in a gap (between the image and modules, or past the end).
constexpr std::uint64_t kMaxSymbolReach = 1 << 20;

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
    auto name_offset = static_cast<std::uint32_t>(result_.owned_names_.size());
    result_.owned_names_.insert(result_.owned_names_.end(), name.begin(), name.end());
    result_.owned_names_.push_back('\0');
    result_.owned_symbols_.push_back({address, name_offset, module});
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
      result_.owned_symbols_.clear();
      result_.owned_names_.clear();
    }
    // Aliases share an address: the first in kallsyms order names it.
    auto& symbols = result_.owned_symbols_;
    std::stable_sort(symbols.begin(), symbols.end(),
                     [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
    symbols.erase(
        std::unique(symbols.begin(), symbols.end(),
                    [](const Symbol& a, const Symbol& b) { return a.address == b.address; }),
        symbols.end());
    symbols.shrink_to_fit();
    result_.owned_names_.shrink_to_fit();
    result_.symbols_ = result_.owned_symbols_;
    result_.names_ = std::string_view(result_.owned_names_.data(), result_.owned_names_.size());
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

std::string_view KernelSymbols::in_place_bytes() const {
  if (!backing_ || symbols_.empty()) return {};
  const char* begin = reinterpret_cast<const char*>(symbols_.data());
  return std::string_view(begin, static_cast<std::size_t>(names_.data() + names_.size() - begin));
}

std::optional<KernelSymbols::Found> KernelSymbols::find(std::uint64_t address) const {
  auto after = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                                [](std::uint64_t a, const Symbol& s) { return a < s.address; });
  if (after == symbols_.begin()) return std::nullopt;
  const Symbol& symbol = *std::prev(after);
  if (address - symbol.address >= kMaxSymbolReach) return std::nullopt;
  return Found{std::string_view(names_.data() + symbol.name), modules_[symbol.module],
               symbol.address};
}

}  // namespace ember::native

namespace ember::native {
namespace {

constexpr std::string_view kSymbolsMagic = "EMBERKS2";

// Modules that are not modules: symbols the kernel adds and drops at run time.
bool is_transient_module(std::string_view module) {
  return module == "bpf" || module.starts_with("__builtin__");
}

template <typename T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

template <typename T>
bool take(std::string_view& in, T& value) {
  if (in.size() < sizeof(value)) return false;
  std::memcpy(&value, in.data(), sizeof(value));
  in.remove_prefix(sizeof(value));
  return true;
}

}  // namespace

std::string KernelSymbols::serialize() const {
  std::vector<bool> transient(modules_.size());
  for (std::size_t i = 0; i < modules_.size(); ++i) transient[i] = is_transient_module(modules_[i]);
  std::string out(kSymbolsMagic);
  put(out, static_cast<std::uint8_t>(restricted_));
  put(out, static_cast<std::uint32_t>(image_text_.size()));
  for (auto [start, end] : image_text_) {
    put(out, start);
    put(out, end);
  }
  put(out, static_cast<std::uint32_t>(modules_.size()));
  for (const std::string& module : modules_) {
    put(out, static_cast<std::uint32_t>(module.size()));
    out += module;
  }
  std::uint64_t kept = 0;
  for (const Symbol& symbol : symbols_) kept += !transient[symbol.module];
  out.append((8 - out.size() % 8) % 8, '\0');  // the array is read in place
  put(out, kept);
  for (const Symbol& symbol : symbols_) {
    if (transient[symbol.module]) continue;
    put(out, symbol.address);
    put(out, symbol.name);
    put(out, symbol.module);
  }
  put(out, static_cast<std::uint64_t>(names_.size()));
  out.append(names_.data(), names_.size());
  return out;
}

bool KernelSymbols::view(std::string_view in, std::shared_ptr<const void> backing,
                         KernelSymbols& out) {
  const char* start = in.data();
  if (!in.starts_with(kSymbolsMagic)) return false;
  in.remove_prefix(kSymbolsMagic.size());
  KernelSymbols read;
  std::uint8_t restricted = 0;
  std::uint32_t ranges = 0;
  if (!take(in, restricted) || !take(in, ranges) || ranges > 2) return false;
  for (std::uint32_t i = 0; i < ranges; ++i) {
    std::uint64_t first = 0;
    std::uint64_t end = 0;
    if (!take(in, first) || !take(in, end)) return false;
    read.image_text_.emplace_back(first, end);
  }
  std::uint32_t modules = 0;
  if (!take(in, modules) || modules == 0 || modules > in.size()) return false;
  read.restricted_ = restricted != 0;
  read.modules_.clear();
  for (std::uint32_t i = 0; i < modules; ++i) {
    std::uint32_t length = 0;
    if (!take(in, length) || length > in.size()) return false;
    read.modules_.emplace_back(in.substr(0, length));
    in.remove_prefix(length);
  }
  std::size_t padding = (8 - static_cast<std::size_t>(in.data() - start) % 8) % 8;
  if (in.size() < padding) return false;
  in.remove_prefix(padding);
  std::uint64_t count = 0;
  if (!take(in, count) || count > in.size() / sizeof(Symbol)) return false;
  // Written field by field in the struct's own layout, aligned: used in place.
  static_assert(sizeof(Symbol) == 16 && offsetof(Symbol, name) == 8 &&
                offsetof(Symbol, module) == 12);
  if (reinterpret_cast<std::uintptr_t>(in.data()) % alignof(Symbol) != 0) return false;
  std::size_t bytes = static_cast<std::size_t>(count) * sizeof(Symbol);
  read.symbols_ =
      std::span(reinterpret_cast<const Symbol*>(in.data()), static_cast<std::size_t>(count));
  in.remove_prefix(bytes);
  std::uint64_t names = 0;
  if (!take(in, names) || names != in.size()) return false;
  read.names_ = in;
  for (std::size_t i = 0; i < read.symbols_.size(); ++i) {
    const Symbol& symbol = read.symbols_[i];
    // Every offset inside the names and every module known, addresses in
    // order: a damaged file must not make find() read out of bounds.
    if (symbol.name >= read.names_.size() || symbol.module >= read.modules_.size() ||
        (i > 0 && read.symbols_[i - 1].address >= symbol.address)) {
      return false;
    }
  }
  if (!read.names_.empty() && read.names_.back() != '\0') return false;
  read.backing_ = std::move(backing);
  out = std::move(read);
  return true;
}

}  // namespace ember::native

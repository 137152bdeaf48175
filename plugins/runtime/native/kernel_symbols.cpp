#include "kernel_symbols.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_map>

namespace ember::native {
namespace {

// No kernel function is this long: an address further past the last symbol
// before it sits in a gap (between the image and modules, or past the end).
constexpr std::uint64_t kMaxSymbolReach = 1 << 20;

bool is_code(char type) { return type == 't' || type == 'T' || type == 'w' || type == 'W'; }

Status read_text(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open " + path + ": " + std::strerror(errno));
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      ::close(fd);
      if (n < 0) return Status::error("cannot read " + path + ": " + std::strerror(error));
      return Status::ok();
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

KernelSymbols KernelSymbols::parse(std::string_view text) {
  KernelSymbols result;
  std::unordered_map<std::string_view, std::uint32_t> module_index;
  bool any_code = false;
  bool all_zero = true;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);

    // "ffffffff81000000 T _text" or "ffffffffc0a01000 t ext4_fill_super\t[ext4]"
    std::uint64_t address = 0;
    auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), address, 16);
    std::size_t at = static_cast<std::size_t>(end - line.data());
    if (error != std::errc() || at + 3 > line.size() || line[at] != ' ' || line[at + 2] != ' ') {
      continue;
    }
    if (!is_code(line[at + 1])) continue;
    std::string_view rest = line.substr(at + 3);
    std::string_view name = rest.substr(0, rest.find_first_of(" \t"));
    if (name.empty()) continue;
    std::uint32_t module = 0;
    std::size_t open = rest.find('[', name.size());
    std::size_t close = open == std::string_view::npos ? open : rest.find(']', open);
    if (close != std::string_view::npos) {
      std::string_view module_name = rest.substr(open + 1, close - open - 1);
      auto [it, added] =
          module_index.emplace(module_name, static_cast<std::uint32_t>(result.modules_.size()));
      if (added) result.modules_.emplace_back(module_name);
      module = it->second;
    }
    any_code = true;
    all_zero &= address == 0;
    auto name_offset = static_cast<std::uint32_t>(result.names_.size());
    result.names_.insert(result.names_.end(), name.begin(), name.end());
    result.names_.push_back('\0');
    result.symbols_.push_back({address, name_offset, module});
  }
  if (any_code && all_zero) {
    result.restricted_ = true;
    result.symbols_.clear();
    result.names_.clear();
  }
  // Aliases share an address: the first in kallsyms order names it.
  std::stable_sort(result.symbols_.begin(), result.symbols_.end(),
                   [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
  result.symbols_.erase(std::unique(result.symbols_.begin(), result.symbols_.end(),
                                    [](const Symbol& a, const Symbol& b) {
                                      return a.address == b.address;
                                    }),
                        result.symbols_.end());
  result.symbols_.shrink_to_fit();
  result.names_.shrink_to_fit();
  return result;
}

Status KernelSymbols::load(const std::string& path, KernelSymbols& out) {
  std::string text;
  if (Status status = read_text(path, text); !status) return status;
  out = parse(text);
  if (out.symbols_.empty() && !out.restricted_) {
    return Status::error(path + " has no kernel code symbols");
  }
  return Status::ok();
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

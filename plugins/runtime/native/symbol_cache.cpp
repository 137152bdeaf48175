#include "symbol_cache.hpp"

#include "debug_file_finder.hpp"
#include "debug_links.hpp"
#include "demangle.hpp"
#include "minidebuginfo.hpp"

namespace ember::native {

BinarySymbols::BinarySymbols(SymbolSources sources, const NativeOptions& options, Host& host)
    : sources_(std::move(sources)),
      demangle_(options.demangle),
      max_cached_(options.max_cached_frames),
      host_(&host) {
  awaiting_.store(sources_.fetched || sources_.fetched_alt, std::memory_order_release);
  lines_ = options.lines;
}

BinarySymbols::BinarySymbols(std::string error) : error_(std::move(error)) {}

BinarySymbols::~BinarySymbols() {
  if (sources_.dwarf && sources_.dwarf_id) sources_.dwarf->remove(sources_.dwarf_id);
}

bool BinarySymbols::has_extra_symbols() const {
  std::lock_guard lock(mutex_);
  if (awaiting_.load(std::memory_order_relaxed)) take_fetched();
  return sources_.extra.function_count() > 0;
}

bool BinarySymbols::has_dwarf() const {
  std::lock_guard lock(mutex_);
  if (awaiting_.load(std::memory_order_relaxed)) take_fetched();
  return sources_.dwarf_id != 0;
}

void BinarySymbols::take_fetched() const {
  if (sources_.fetched) take_fetched_debug_file();
  if (sources_.fetched_alt) take_fetched_alt_file();
  awaiting_.store(sources_.fetched || sources_.fetched_alt, std::memory_order_release);
}

void BinarySymbols::take_fetched_debug_file() const {
  FetchedDebugFile::State state = sources_.fetched->state();
  if (state == FetchedDebugFile::State::pending) return;
  if (state == FetchedDebugFile::State::ready) {
    DebugFile debug = sources_.fetched->take();
    // A debug file's .symtab holds what MiniDebugInfo's does, and more.
    if (debug.symbols.function_count() > 0) sources_.extra = std::move(debug.symbols);
    if (lines_ && debug.has_dwarf && sources_.dwarf) {
      sources_.dwarf_id = sources_.dwarf->add(debug.path, debug.identity, std::move(debug.alt));
    }
    // Function keys and chains came from the tables just replaced.
    by_function_.clear();
    by_address_.clear();
    source_chains_.clear();
  }
  sources_.fetched.reset();
}

void BinarySymbols::take_fetched_alt_file() const {
  FetchedDebugFile::State state = sources_.fetched_alt->state();
  if (state == FetchedDebugFile::State::pending) return;
  if (state == FetchedDebugFile::State::ready && sources_.dwarf_id != 0) {
    DebugFile file = sources_.fetched_alt->take();
    AltDebugFile alt;
    alt.build_id = file.symbols.build_id();
    alt.path = std::move(file.path);
    alt.identity = file.identity;
    sources_.dwarf->set_alt(sources_.dwarf_id, std::move(alt));
    by_address_.clear();  // named without the alt file's names
    source_chains_.clear();
  }
  sources_.fetched_alt.reset();
}

std::optional<BinarySymbols::Function> BinarySymbols::find_function(std::uint64_t vaddr) const {
  const ElfFunctionTable& elf = sources_.functions;
  std::optional<std::size_t> own = elf.find_function_index(vaddr);
  std::optional<std::size_t> extra = sources_.extra.find_function_index(vaddr);
  // Both may hold it: the one starting later is the more precise (a local
  // function the object's .dynsym does not list, inside an exported one's
  // stretched range).
  if (extra && (!own || sources_.extra.function(*extra).address > elf.function(*own).address)) {
    return Function{&sources_.extra, *extra, elf.function_count() + *extra};
  }
  if (own) return Function{&elf, *own, *own};
  return std::nullopt;
}

std::string BinarySymbols::display_name(std::string_view symbol) const {
  return demangle_ ? demangle(symbol) : std::string(symbol);
}

std::string BinarySymbols::function_name(const Function& function, std::string_view module) const {
  std::string name = function.table->name(function.index);
  if (name.empty() && !names_unreadable_) {
    names_unreadable_ = true;  // once: every later sample in it would say the same
    host_->log(LogLevel::info, std::string(module) +
                                   ": function names can no longer be read from the file (changed "
                                   "or truncated since it was opened): the names already read are "
                                   "kept, others are module+offset");
  }
  return name;
}

ChainHandle BinarySymbols::function_chain(const Function& function, std::string_view module) const {
  auto it = by_function_.find(function.key);
  if (it != by_function_.end() && it->second->front()->module == module) return it->second;
  std::string name = function_name(function, module);
  if (name.empty()) return nullptr;
  ChainHandle chain = single_frame(named_frame(display_name(name), module, frame_kind::native));
  // The same object under two names (rare): only the first name is shared.
  if (it == by_function_.end()) by_function_.emplace(function.key, chain);
  return chain;
}

std::optional<std::uint32_t> BinarySymbols::source_chain(
    std::uint64_t vaddr, std::string_view module, const std::optional<Function>& function) const {
  std::string error;
  bool found = sources_.dwarf->lookup(sources_.dwarf_id, vaddr, scratch_, error);
  if (!found && !error.empty()) {
    host_->log(LogLevel::debug, "no source lines, frames keep function names: " + error);
  }
  if (found && !error.empty()) host_->log(LogLevel::debug, error);  // its alt file was left out
  // The outermost function keeps its symbol's name, as without DWARF, so a
  // profile names it the same with or without debug info. Addresses DWARF
  // does not cover (PLT, start-up code) are their function alone.
  std::string symbol = function ? function_name(*function, module) : "";
  if (!found) {
    if (symbol.empty()) return std::nullopt;
    SourceChains::Site site{.name = source_chains_.name_id(display_name(symbol))};
    return source_chains_.add({&site, 1});
  }
  std::vector<SourceChains::Site> sites;
  sites.reserve(scratch_.size());
  for (std::size_t i = 0; i < scratch_.size(); ++i) {
    const SourceFunction& source = scratch_[i];
    std::string name;
    if (i + 1 == scratch_.size() && !symbol.empty()) {
      name = display_name(symbol);
    } else if (!source.name.empty()) {
      name = display_name(source.name);
    } else {
      name = std::string(module) + "+" + hex(vaddr);
    }
    sites.push_back({.name = source_chains_.name_id(name),
                     .file = source_chains_.file_id(source.file),
                     .line = source.line,
                     .inlined = source.inlined});
  }
  return source_chains_.add(sites);
}

ChainHandle BinarySymbols::frames(std::uint64_t vaddr, std::string_view module) const {
  std::lock_guard lock(mutex_);
  if (awaiting_.load(std::memory_order_relaxed)) take_fetched();
  if (sources_.dwarf_id == 0) {
    std::optional<Function> function = find_function(vaddr);
    return function ? function_chain(*function, module) : nullptr;
  }
  if (std::optional<std::uint32_t> known = by_address_.find(vaddr)) {
    return source_chains_.frames(*known, module);
  }
  if (by_address_.size() >= max_cached_) {
    by_address_.clear();
    source_chains_.clear();
  }
  std::optional<std::uint32_t> chain = source_chain(vaddr, module, find_function(vaddr));
  if (!chain) return nullptr;
  by_address_.insert(vaddr, *chain);
  return source_chains_.frames(*chain, module);
}

SymbolCache::SymbolCache(Host& host, const NativeOptions& options)
    : host_(host),
      options_(options),
      dwarf_pool_(std::make_shared<DwarfPool>(
          options.max_debug_info_bytes, options.max_open_debug_files,
          options.cache_dir.empty()
              ? nullptr
              : std::make_shared<UncompressedDebugFiles>(options.cache_dir + "/debug",
                                                         options.max_cache_bytes, host),
          DwarfPool::kReleaseInterval, options.debug_file_idle_close)) {
  if (options.debuginfod_urls.empty()) return;
  if (options.cache_dir.empty()) {
    host_.log(LogLevel::warn, "debuginfod is off: " + options.debuginfod_urls_from +
                                  " is set but [runtime.native] cache_dir is empty, and "
                                  "fetched debug files are kept there");
    return;
  }
  DebuginfodFetcher::Settings settings;
  settings.urls = options.debuginfod_urls;
  settings.cache_path = options.cache_dir + "/debuginfod";
  settings.max_cache_bytes = options.max_debuginfod_cache_bytes;
  settings.debug_dirs = options.debug_dirs;
  std::string error;
  fetcher_ = DebuginfodFetcher::start(settings, host, error);
  if (!fetcher_) {
    host_.log(LogLevel::warn, "debuginfod is off: " + error);
    return;
  }
  host_.log(LogLevel::info, "debuginfod: debug files no local source has are fetched from " +
                                options.debuginfod_urls.front() +
                                (options.debuginfod_urls.size() > 1 ? " and others" : "") +
                                " (" + options.debuginfod_urls_from + ") into " +
                                settings.cache_path);
}

std::shared_ptr<const BinarySymbols> SymbolCache::lookup(Entries& entries, const std::string& key) {
  auto it = entries.find(key);
  if (it == entries.end()) return nullptr;
  return it->second.lock();
}

std::shared_ptr<const BinarySymbols> SymbolCache::read(const MappedFile& file,
                                                       const std::string& path,
                                                       const std::string& root) {
  SymbolSources sources;
  Status status = ElfFile::open_fd(file.fd(), path, sources.elf, ElfReadOptions{.symbols = false});
  if (status) status = ElfFunctionTable::open_fd(file.fd(), path, sources.functions);
  if (!status) return std::make_shared<const BinarySymbols>(status.message());
  sources.dwarf = dwarf_pool_;

  DebugLinks links;
  if (Status links_status = read_debug_links(file.fd(), path, links); !links_status) {
    host_.log(LogLevel::debug, links_status.message());
  }
  std::string dwarf_path;
  FileIdentity dwarf_identity;
  AltDebugFile alt;
  std::vector<std::string> roots;
  if (!root.empty() && root != "/") roots.push_back(root);
  roots.push_back("");
  if (links.has_dwarf) {
    dwarf_path = file.opened_path();
    dwarf_identity = file.identity();
    alt = linked_alt_file(links);
  } else if (!options_.debug_dirs.empty()) {
    DebugFileQuery query;
    query.roots = roots;
    query.debug_dirs = options_.debug_dirs;
    query.build_id = sources.elf.build_id();
    query.object_path = path;
    query.object = file.identity();
    query.debuglink = links.debuglink;
    query.debuglink_crc = links.debuglink_crc;
    DebugFile debug;
    if (find_debug_file(query, debug)) {
      host_.log(LogLevel::debug, path + ": debug file " + debug.path);
      sources.extra = std::move(debug.symbols);
      if (debug.has_dwarf) {
        dwarf_path = debug.path;
        dwarf_identity = debug.identity;
        alt = std::move(debug.alt);
      }
    }
  }
  if (sources.extra.function_count() == 0 && !links.debugdata.empty()) {
    if (Status mini = read_minidebuginfo(links.debugdata, path, sources.extra); !mini) {
      host_.log(LogLevel::warn,
                "cannot read MiniDebugInfo, stripped functions will be named "
                "module+offset: " +
                    mini.message());
    }
  }
  if (options_.lines && !dwarf_path.empty()) {
    // The dwz alt file: found here (inside the process' root too) and
    // opened with the DWARF, or fetched.
    if (alt.wanted() && !find_alt_file(dwarf_path, roots, options_.debug_dirs, alt)) {
      if (fetcher_) {
        sources.fetched_alt = fetcher_->request(alt.build_id);
      } else {
        host_.log(LogLevel::debug, dwarf_path + ": no dwz alt file " + alt.name + " (build id " +
                                       alt.build_id +
                                       "), the names dwz moved there stay missing");
      }
    }
    // Reopened by path after the process that led to it may be gone.
    dwarf_path = path_outliving_root(dwarf_path, root, dwarf_identity);
    if (alt.found()) alt.path = path_outliving_root(alt.path, root, alt.identity);
    sources.dwarf_id = dwarf_pool_->add(dwarf_path, dwarf_identity, alt);
  }
  // The last source: asked in the background, taken in by a later lookup.
  if (fetcher_ && dwarf_path.empty() && !sources.elf.build_id().empty() &&
      (options_.lines || sources.extra.function_count() == 0)) {
    sources.fetched = fetcher_->request(sources.elf.build_id());
  }
  return std::make_shared<const BinarySymbols>(std::move(sources), options_, host_);
}

std::shared_ptr<const BinarySymbols> SymbolCache::get(const MappedFile& file,
                                                      const std::string& path,
                                                      const std::string& root) {
  std::string identity = file.identity().key();
  std::shared_ptr<const BinarySymbols> pushed_out;  // let go after the lock
  {
    std::lock_guard lock(mutex_);
    if (auto known = lookup(by_identity_, identity)) {
      pushed_out = kept_.touch(known, Clock::now());
      return known;
    }
  }
  // Read outside the lock: a big binary takes a while, other processes need not wait.
  std::shared_ptr<const BinarySymbols> entry = read(file, path, root);

  std::lock_guard lock(mutex_);
  if (entry->readable() && !entry->elf().build_id().empty()) {
    // Another path (or container) may already have brought the same build.
    if (auto same = lookup(by_build_id_, entry->elf().build_id())) {
      entry = same;
    } else {
      by_build_id_[entry->elf().build_id()] = entry;
    }
  }
  if (!entry->readable() && reported_.insert(identity).second) {
    // Executable memfds of JITs are not ELF at all: expected, not worth a warning.
    bool foreign = entry->error().ends_with("not an ELF file");
    host_.log(foreign ? LogLevel::debug : LogLevel::warn,
              "cannot read symbols, frames will be named module+offset: " + entry->error());
  }
  by_identity_[identity] = entry;
  if (++inserts_since_sweep_ >= 256) sweep();
  pushed_out = kept_.touch(entry, Clock::now());
  return entry;
}

void SymbolCache::expire_kept(Clock::time_point now) {
  if (!kept_.expiry_due(now)) return;
  std::vector<std::shared_ptr<const BinarySymbols>> expired;  // let go after the lock
  std::lock_guard lock(mutex_);
  expired = kept_.expire(now);
}

void SymbolCache::sweep() {
  inserts_since_sweep_ = 0;
  for (Entries* entries : {&by_identity_, &by_build_id_}) {
    std::erase_if(*entries, [](const auto& item) { return item.second.expired(); });
  }
}

std::size_t SymbolCache::live_entries() {
  std::lock_guard lock(mutex_);
  sweep();
  std::unordered_set<const BinarySymbols*> live;
  for (const auto& [key, weak] : by_identity_) {
    if (auto entry = weak.lock()) live.insert(entry.get());
  }
  return live.size();
}

}  // namespace ember::native

#include "process_symbolizer.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <span>
#include <string_view>

#include "frame_names.hpp"

namespace ember::native {
namespace {

bool same_mapping(const Mapping& a, const Mapping& b) {
  return a.start == b.start && a.end == b.end && a.offset == b.offset && a.inode == b.inode &&
         a.dev_major == b.dev_major && a.dev_minor == b.dev_minor && a.deleted == b.deleted &&
         a.executable == b.executable && a.path == b.path;
}

// glibc's clone and clone3 under their aliases (musl's is __clone).
constexpr std::array<std::string_view, 6> kClones = {"clone3", "__clone3", "__GI___clone3",
                                                     "clone",  "__clone",  "__GI___clone"};
// Where a thread begins: nothing is rootward of these.
constexpr std::array<std::string_view, 7> kThreadStarts = {
    "start_thread", "clone3", "__clone3", "__GI___clone3", "clone", "__clone", "__GI___clone"};

}  // namespace

ProcessSymbolizer::ProcessSymbolizer(const ProcessRef& process, std::shared_ptr<SymbolCache> cache,
                                     Host& host, const NativeOptions& options,
                                     std::shared_ptr<UnwindObjectCache> unwind_cache,
                                     std::shared_ptr<UnwindStateLru> lru)
    : pid_(process.pid),
      root_(process.root.empty() ? "/proc/" + std::to_string(process.pid) + "/root" : process.root),
      cache_(std::move(cache)),
      host_(host),
      refresh_interval_(options.maps_refresh_interval),
      max_cached_frames_(options.max_cached_frames),
      last_refresh_(Clock::now()),
      lru_(lru ? std::move(lru) : std::make_shared<UnwindStateLru>()),
      unwind_cache_(unwind_cache ? std::move(unwind_cache)
                                 : std::make_shared<UnwindObjectCache>(host)),
      unwinder_(pid_, root_, unwind_cache_, host, options.stack_snapshot) {
  std::vector<Mapping> maps;
  if (process.mappings) {
    maps = *process.mappings;
  } else if (Status status = read_proc_maps(pid_, maps); !status) {
    host_.log(LogLevel::debug, "pid " + std::to_string(pid_) + ": " + status.message());
  }
  set_maps(std::move(maps));
}

ProcessSymbolizer::~ProcessSymbolizer() { lru_->forget(*this); }

void ProcessSymbolizer::use_unwind_state() {
  if (lru_->use(*this)) {
    host_.log(LogLevel::info,
              "unwind state is kept for the " + std::to_string(lru_->capacity()) +
                  " most recently sampled processes: the others' is dropped and rebuilt at "
                  "their next sample");
  }
}

void ProcessSymbolizer::drop_unwind_state() {
  unwinder_.drop_state();
  ChainCache().swap(frames_);
  ChainCache().swap(unmapped_);
}

void ProcessSymbolizer::unwind_user(const ember_sample& sample, NativeStack& stack) {
  // Every sample passes here, lookups or not: what the DWARF lookups of a
  // burst left resident is given back once it is over, and what exited
  // processes' binaries left kept once its time is up.
  cache_->dwarf_pool().release_if_due();
  const auto now = SymbolCache::Clock::now();
  cache_->expire_kept(now);
  unwind_cache_->expire_kept(now);
  use_unwind_state();
  if (std::string report = lru_->report_if_due(Clock::now()); !report.empty()) {
    host_.log(LogLevel::debug, report);
  }
  std::size_t first = stack.leaf_first.size();
  if (at_thread_start(sample)) {
    stack.leaf_first.push_back(NativeFrame{sample.user_ip, 0});
    open_objects_of(stack.leaf_first);
    return;
  }
  try {
    unwinder_.unwind(sample, stack.leaf_first, stack.truncated);
  } catch (const std::exception& error) {
    host_.log(LogLevel::error, std::string("unwinding a user stack failed: ") + error.what());
    stack.truncated = true;
  }
  // Index 0 is the exact IP; the others are return addresses, which point
  // past the call and may already be in the next function.
  for (std::size_t i = first + 1; i < stack.leaf_first.size(); ++i) --stack.leaf_first[i].pc;
  // A stack that reached its thread's start is whole, though the unwinder
  // could not step past it: a copy the sampler cut to the leaf copy (a full
  // ring) ends there when the frame-pointer walk went on.
  if (stack.truncated && stack.leaf_first.size() > first &&
      in_function(stack.leaf_first.back().pc, kThreadStarts)) {
    stack.truncated = false;
  }
  open_objects_of(stack.leaf_first);
}

// Whether `pc` is in one of `names` (or a function inlined into it); cached:
// a lookup for all but the first time an address is asked.
bool ProcessSymbolizer::in_function(std::uint64_t pc, std::span<const std::string_view> names) {
  ChainHandle chain = resolve(pc);
  return std::any_of(chain->begin(), chain->end(), [&](const FrameHandle& frame) {
    return std::find(names.begin(), names.end(), frame->name) != names.end();
  });
}

// clone and clone3 return to the same instruction, after their syscall, in
// the parent and in the new thread, whose registers (rbp too) are then the
// parent's and whose stack is empty: any unwind from there goes on into the
// parent's frames or garbage. glibc ends their CFI before the syscall and
// starts the child's at the branch target its `jz` takes, so the few
// instructions between (test, jl, jz; and ret, the parent's) have none: a
// new thread sampled on any of them is its start. Only in the parent is the
// word at sp a return address into code (clone3 pushes nothing before its
// syscall).
bool ProcessSymbolizer::at_thread_start(const ember_sample& sample) {
  std::uint64_t ip = sample.user_ip;
  if (!in_function(ip, kClones) || unwinder_.has_cfi(ip)) return false;
  std::uint64_t top = 0;
  std::uint64_t size = std::min<std::uint64_t>(sample.snapshot_size, EMBER_MAX_STACK_SNAPSHOT);
  if (size >= sizeof(top)) {
    std::memcpy(&top, sample.stack_snapshot, sizeof(top));
  } else if (!host_.read_memory(pid_, sample.user_sp, &top, sizeof(top))) {
    return false;
  }
  const Mapping* mapping = find_mapping(*maps_, top);
  return !mapping || !mapping->executable;
}

// The host may name a sample's addresses a while after unwinding it, when a
// short-lived process has exited and its files can no longer be opened
// through /proc/PID: the objects its frames run in are opened now.
void ProcessSymbolizer::open_objects_of(const std::vector<NativeFrame>& frames) {
  const Mapping* last = nullptr;
  for (const NativeFrame& frame : frames) {
    if (last && last->contains(frame.pc)) continue;
    last = find_mapping(*maps_, frame.pc);
    if (!last || !last->is_file() || !last->executable) continue;
    auto index = static_cast<std::size_t>(last - maps_->data());
    if (!objects_[index].opened) open_object(index);
  }
}

void ProcessSymbolizer::on_mappings_changed(const ProcessRef& process) {
  last_refresh_ = Clock::now();
  if (process.mappings) {
    set_maps(*process.mappings);
  } else {
    refresh_maps();
  }
}

void ProcessSymbolizer::symbolize_native(std::uint64_t pc, std::vector<FrameHandle>& leaf_first) {
  use_unwind_state();
  try {
    ChainHandle chain = resolve(pc);
    // Each frame handed out keeps its chain alive (an aliasing handle): the
    // chain stays in the cache for as long as a window holds any of them.
    for (const FrameHandle& frame : *chain) leaf_first.emplace_back(chain, frame.get());
  } catch (const std::exception& error) {
    host_.log(LogLevel::error, std::string("symbolizing a user frame failed: ") + error.what());
    leaf_first.push_back(offset_frame("[unknown]", pc, frame_kind::native));
  }
}

ChainHandle ProcessSymbolizer::resolve(std::uint64_t address) {
  if (ChainHandle known = cached(frames_, address)) return known;
  if (ChainHandle known = cached(unmapped_, address)) {
    if (!could_be_mapped(address) || !refresh_due()) return known;
    refresh_maps();
  }
  const Mapping* mapping = find_mapping(*maps_, address);
  if (!mapping && could_be_mapped(address) && refresh_due()) {
    refresh_maps();
    mapping = find_mapping(*maps_, address);
  }
  if (!mapping) {
    ChainHandle chain = single_frame(offset_frame("[unknown]", address, frame_kind::native));
    remember(unmapped_, address, chain);
    return chain;
  }
  auto index = static_cast<std::size_t>(mapping - maps_->data());
  ChainHandle chain = resolve_mapped(index, address);
  // Named before the object's debug file arrived: named again next time.
  const ObjectState& object = objects_[index];
  if (!object.symbols || !object.symbols->awaiting_debug_file()) remember(frames_, address, chain);
  return chain;
}

ChainHandle ProcessSymbolizer::resolve_mapped(std::size_t index, std::uint64_t address) {
  const Mapping& mapping = (*maps_)[index];
  if (!mapping.is_file()) {
    // [vdso], [heap], [stack], JIT code in anonymous memory.
    return single_frame(offset_frame(mapping.path.empty() ? "[anon]" : mapping.path,
                                     address - mapping.start, frame_kind::native));
  }
  std::string_view module = base_name(mapping.path);
  ObjectState& object = objects_[index];
  // Only code is worth opening: an address in data is walk garbage.
  if (!object.opened && mapping.executable) open_object(index);
  if (object.symbols && object.symbols->readable() && object.bias) {
    std::uint64_t vaddr = address - *object.bias;
    if (ChainHandle chain = object.symbols->frames(vaddr, module)) return chain;
    return single_frame(offset_frame(module, vaddr, frame_kind::native));  // what addr2line -e wants
  }
  return single_frame(
      offset_frame(module, address - mapping.start + mapping.offset, frame_kind::native));
}

void ProcessSymbolizer::open_object(std::size_t index) {
  const Mapping& mapping = (*maps_)[index];
  ObjectState& object = objects_[index];
  object.opened = true;
  MappedFile file;
  if (Status status = MappedFile::open(pid_, root_, mapping, file); !status) {
    host_.log(LogLevel::debug, "pid " + std::to_string(pid_) + ": " + status.message());
    return;
  }
  object.symbols = cache_->get(file, mapping.path, root_);
  if (object.symbols->readable()) {
    object.bias = object.symbols->elf().load_bias(mapping.start, mapping.offset);
  }
}

bool ProcessSymbolizer::refresh_due() const {
  return Clock::now() - last_refresh_ >= refresh_interval_;
}

void ProcessSymbolizer::refresh_maps() {
  last_refresh_ = Clock::now();
  std::vector<Mapping> fresh;
  if (Status status = read_proc_maps(pid_, fresh); !status) {
    // Most likely the process exited: what we have is the best there is.
    host_.log(LogLevel::debug, "pid " + std::to_string(pid_) + ": " + status.message());
    return;
  }
  set_maps(std::move(fresh));
}

void ProcessSymbolizer::set_maps(std::vector<Mapping> maps) {
  use_unwind_state();
  // Keep what was learned about mappings that did not change; only a
  // removed or changed mapping can make a cached frame wrong.
  std::vector<ObjectState> objects(maps.size());
  std::size_t kept = 0;
  for (std::size_t i = 0; i < maps.size(); ++i) {
    const Mapping* old = find_mapping(*maps_, maps[i].start);
    if (old && same_mapping(*old, maps[i])) {
      objects[i] = std::move(objects_[static_cast<std::size_t>(old - maps_->data())]);
      ++kept;
    }
  }
  if (kept != maps_->size()) frames_.clear();
  unmapped_.clear();
  auto shared = std::make_shared<const std::vector<Mapping>>(std::move(maps));
  unwinder_.set_maps(shared);  // compares with the maps it had, then shares these
  maps_ = std::move(shared);
  objects_ = std::move(objects);
}

ChainHandle ProcessSymbolizer::cached(const ChainCache& cache, std::uint64_t address) {
  auto it = cache.find(address);
  return it == cache.end() ? nullptr : it->second.lock();
}

void ProcessSymbolizer::remember(ChainCache& cache, std::uint64_t address,
                                 const ChainHandle& chain) {
  if (cache.size() >= max_cached_frames_) cache.clear();
  cache.insert_or_assign(address, chain);
}

}  // namespace ember::native

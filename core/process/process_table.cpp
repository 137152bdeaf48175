#include "process_table.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>

#include "container_id.hpp"
#include "ember/elf_file.hpp"
#include "ember/text_file.hpp"

namespace ember {
namespace {

// Empty when the file cannot be read (the process exited, no permission).
std::string read_file(const std::string& path) {
  std::string text;
  read_text_file(path, text);
  return text;
}

std::string trim_newline(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text;
}

}  // namespace

void read_process_names(std::uint32_t pid, ProcessInfo& info) {
  const std::string proc = "/proc/" + std::to_string(pid);
  std::string comm = trim_newline(read_file(proc + "/comm"));
  if (!comm.empty()) info.comm = comm;

  char exe[4096];
  ssize_t length = readlink((proc + "/exe").c_str(), exe, sizeof(exe) - 1);
  if (length > 0) info.exe.assign(exe, static_cast<std::size_t>(length));

  std::string cmdline = trim_newline(read_file(proc + "/cmdline"));
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  if (!cmdline.empty()) info.cmdline = cmdline;
}

void read_process(std::uint32_t pid, ProcessState& state) {
  const std::string proc = "/proc/" + std::to_string(pid);
  state.info.pid = pid;
  read_process_names(pid, state.info);

  std::string cgroup = read_file(proc + "/cgroup");
  if (!cgroup.empty()) {
    state.info.container_id = container_id_from_cgroup(cgroup);
    state.info.pod_uid = pod_uid_from_cgroup(cgroup);
  }

  std::vector<Mapping> mappings;
  if (read_proc_maps(pid, mappings) && !mappings.empty()) state.mappings = std::move(mappings);
}

namespace {

// The PT_LOAD segments of the file `code` maps, read in the agent's view
// when it is that very file (device and inode), cached by file identity.
const std::vector<ElfLoadSegment>* file_segments(const Mapping& code) {
  static std::unordered_map<std::string, std::vector<ElfLoadSegment>> cache;
  const std::string key = std::to_string(code.dev_major) + ":" + std::to_string(code.dev_minor) +
                          ":" + std::to_string(code.inode);
  if (auto known = cache.find(key); known != cache.end()) return &known->second;
  struct stat st {};
  if (stat(code.path.c_str(), &st) != 0 || st.st_ino != code.inode ||
      major(st.st_dev) != code.dev_major || minor(st.st_dev) != code.dev_minor) {
    return nullptr;
  }
  ElfFile elf;
  ElfReadOptions options;
  options.symbols = false;
  if (!ElfFile::open(code.path, elf, options)) return nullptr;
  if (cache.size() >= 256) cache.clear();  // bounded: the libraries of a host's programs
  auto& segments = cache[key];
  segments.assign(elf.load_segments().begin(), elf.load_segments().end());
  return &segments;
}

// The kernel reports executable mappings only; the unwinder also reads the
// read-only ones (.eh_frame_hdr and .eh_frame sit outside the code segment).
// They are where the file's other PT_LOAD segments go, by the code's bias.
void add_read_only_segments(const Mapping& code, std::vector<Mapping>& out) {
  if (!code.is_file()) return;
  const std::vector<ElfLoadSegment>* segments = file_segments(code);
  if (!segments) return;
  std::optional<std::uint64_t> bias;
  for (const ElfLoadSegment& segment : *segments) {
    if (segment.executable && segment.offset <= code.offset &&
        code.offset < segment.offset + std::max(segment.filesz, std::uint64_t{1})) {
      bias = code.start - code.offset - (segment.vaddr - segment.offset);
    }
  }
  if (!bias) return;
  constexpr std::uint64_t kPage = 4096;
  for (const ElfLoadSegment& segment : *segments) {
    if (segment.executable || segment.writable || !segment.readable || segment.filesz == 0) continue;
    Mapping data = code;
    data.start = (*bias + segment.vaddr) & ~(kPage - 1);
    data.end = (*bias + segment.vaddr + segment.filesz + kPage - 1) & ~(kPage - 1);
    data.offset = segment.offset & ~(kPage - 1);
    data.executable = data.writable = data.shared = false;
    data.readable = true;
    // Only where nothing is known to be mapped.
    auto overlaps = [&](const Mapping& m) { return m.start < data.end && data.start < m.end; };
    if (data.start < data.end && std::none_of(out.begin(), out.end(), overlaps)) {
      insert_mapping(out, data);
    }
  }
}

}  // namespace

bool mappings_after_exit(const ExecImage* image, const std::vector<Mapping>& known,
                         std::vector<Mapping>& out) {
  if (!image || image->mappings.empty()) return false;
  bool same_image = known.empty();
  for (const Mapping& code : image->mappings) {
    const Mapping* at = find_mapping(known, code.start);
    if (!at || !at->executable || !code.is_file()) continue;
    // Another file, or the same one elsewhere: the image of a later exec.
    if (at->inode != code.inode || at->dev_major != code.dev_major ||
        at->dev_minor != code.dev_minor || at->start - at->offset != code.start - code.offset) {
      return false;
    }
    same_image = true;
  }
  if (!same_image) return false;
  out = known;
  for (const Mapping& code : image->mappings) insert_mapping(out, code);
  for (const Mapping& code : image->mappings) add_read_only_segments(code, out);
  return true;
}

void ProcessTable::read(std::uint32_t pid, ProcessState& state) {
  read_process(pid, state);
  if (!state.mappings.empty() || !exec_images_) return;
  // Gone from /proc already (a program that ran for a millisecond).
  const ExecImage* image = exec_images_(pid);
  std::vector<Mapping> mappings;
  if (!mappings_after_exit(image, {}, mappings)) return;
  state.mappings = std::move(mappings);
  if (state.info.exe.empty()) state.info.exe = image->exe;
}

ProcessHandler* ProcessState::runtime(std::string_view plugin) const {
  for (const AttachedRuntime& attached : runtimes) {
    if (attached.plugin == plugin) return attached.handler;
  }
  return nullptr;
}

ProcessHandler* ProcessState::interpreter(std::uint32_t program) const {
  if (program == 0) return nullptr;
  for (const AttachedRuntime& attached : runtimes) {
    if (attached.program == program) return attached.handler;
  }
  return nullptr;
}

bool ProcessState::has_interpreter() const {
  for (const AttachedRuntime& attached : runtimes) {
    if (attached.program != 0) return true;
  }
  return false;
}

ProcessState* ProcessTable::find(std::uint32_t pid) {
  auto it = processes_.find(pid);
  return it == processes_.end() ? nullptr : it->second.get();
}

std::shared_ptr<ProcessState> ProcessTable::share(std::uint32_t pid) {
  auto it = processes_.find(pid);
  return it == processes_.end() ? nullptr : it->second;
}

ProcessState& ProcessTable::get(std::uint32_t pid, bool& is_new) {
  auto& slot = processes_[pid];
  is_new = !slot;
  if (is_new) {
    slot = std::make_shared<ProcessState>();
    slot->serial = ++entries_made_;
    read(pid, *slot);
    if (labeler_) labeler_->label(slot->info);
    if (auto exit = recent_exits_.find(pid); exit != recent_exits_.end()) {
      slot->exited = true;
      slot->info.exit_time_ns = exit->second;
    }
  }
  return *slot;
}

ProcessState& ProcessTable::replace(std::uint32_t pid) {
  auto& slot = processes_[pid];
  if (slot) slot->left_table = true;
  slot = std::make_shared<ProcessState>();
  slot->serial = ++entries_made_;
  read(pid, *slot);
  if (labeler_) labeler_->label(slot->info);
  return *slot;
}

ProcessState& ProcessTable::fork(std::uint32_t pid, const ProcessState& parent) {
  auto& slot = processes_[pid];
  if (slot) slot->left_table = true;
  slot = std::make_shared<ProcessState>();
  slot->serial = ++entries_made_;
  slot->info = parent.info;
  slot->info.pid = pid;
  slot->info.exit_time_ns = 0;
  slot->mappings = parent.mappings;
  return *slot;
}

void ProcessTable::set_labeler(std::unique_ptr<ProcessLabeler> labeler) {
  labeler_ = std::move(labeler);
  if (!labeler_) return;
  for (auto& [pid, state] : processes_) labeler_->label(state->info);
}

void ProcessTable::mark_exited(std::uint32_t pid, std::int64_t exit_time_ns) {
  recent_exits_[pid] = exit_time_ns;
  if (ProcessState* state = find(pid)) {
    state->exited = true;
    state->info.exit_time_ns = exit_time_ns;
  }
}

void ProcessTable::forget_exits_before(std::int64_t time_ns) {
  std::erase_if(recent_exits_, [&](const auto& exit) { return exit.second < time_ns; });
}

std::vector<std::shared_ptr<ProcessState>> ProcessTable::remove_exited(
    std::int64_t exited_before_ns) {
  std::vector<std::shared_ptr<ProcessState>> removed;
  for (auto it = processes_.begin(); it != processes_.end();) {
    const ProcessState& state = *it->second;
    if (state.exited && state.info.exit_time_ns < exited_before_ns) {
      it->second->left_table = true;
      removed.push_back(std::move(it->second));
      it = processes_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

std::vector<std::uint32_t> ProcessTable::clear() {
  std::vector<std::uint32_t> pids;
  for (const auto& [pid, state] : processes_) {
    pids.push_back(pid);
    state->left_table = true;
  }
  processes_.clear();
  return pids;
}

void ProcessTable::setting_up(std::vector<std::shared_ptr<ProcessState>>& out) const {
  out.clear();
  for (const auto& [pid, state] : processes_) {
    if (state->setting_up && !state->exited) out.push_back(state);
  }
}

void ProcessTable::sampled_since(std::uint64_t since, std::vector<std::uint32_t>& out) const {
  out.clear();
  for (const auto& [pid, state] : processes_) {
    if (!state->filtered_out && state->last_sampled_window >= since) out.push_back(pid);
  }
}

std::vector<std::uint32_t> ProcessTable::remove_exited_and_idle(std::uint64_t idle_before) {
  std::vector<std::uint32_t> removed;
  for (auto it = processes_.begin(); it != processes_.end();) {
    if (it->second->exited || it->second->last_sampled_window < idle_before) {
      removed.push_back(it->first);
      it->second->left_table = true;
      it = processes_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace ember

#include "process_table.hpp"

#include <unistd.h>

#include <algorithm>

#include "container_id.hpp"
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

void read_process(std::uint32_t pid, ProcessState& state) {
  const std::string proc = "/proc/" + std::to_string(pid);
  state.info.pid = pid;

  std::string comm = trim_newline(read_file(proc + "/comm"));
  if (!comm.empty()) state.info.comm = comm;

  char exe[4096];
  ssize_t length = readlink((proc + "/exe").c_str(), exe, sizeof(exe) - 1);
  if (length > 0) state.info.exe.assign(exe, static_cast<std::size_t>(length));

  std::string cmdline = trim_newline(read_file(proc + "/cmdline"));
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  if (!cmdline.empty()) state.info.cmdline = cmdline;

  std::string cgroup = read_file(proc + "/cgroup");
  if (!cgroup.empty()) {
    state.info.container_id = container_id_from_cgroup(cgroup);
    state.info.pod_uid = pod_uid_from_cgroup(cgroup);
  }

  std::vector<Mapping> mappings;
  if (read_proc_maps(pid, mappings) && !mappings.empty()) state.mappings = std::move(mappings);
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
    read_process(pid, *slot);
    if (labeler_) labeler_->label(slot->info);
  }
  return *slot;
}

ProcessState& ProcessTable::replace(std::uint32_t pid) {
  auto& slot = processes_[pid];
  slot = std::make_shared<ProcessState>();
  read_process(pid, *slot);
  if (labeler_) labeler_->label(slot->info);
  return *slot;
}

ProcessState& ProcessTable::fork(std::uint32_t pid, const ProcessState& parent) {
  auto& slot = processes_[pid];
  slot = std::make_shared<ProcessState>();
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
  if (ProcessState* state = find(pid)) {
    state->exited = true;
    state->info.exit_time_ns = exit_time_ns;
  }
}

std::size_t ProcessTable::release_exited_handlers(std::int64_t exited_before_ns) {
  std::size_t released = 0;
  for (auto& [pid, state] : processes_) {
    if (!state->exited || state->info.exit_time_ns >= exited_before_ns) continue;
    if (state->handlers.empty() && state->mappings.empty()) continue;
    state->native = nullptr;
    state->runtimes.clear();
    state->code_claims.clear();
    state->code_names.clear();
    state->handlers.clear();
    state->mappings = {};
    ++released;
  }
  return released;
}

std::vector<std::uint32_t> ProcessTable::clear() {
  std::vector<std::uint32_t> pids;
  for (const auto& [pid, state] : processes_) pids.push_back(pid);
  processes_.clear();
  return pids;
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
      it = processes_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace ember

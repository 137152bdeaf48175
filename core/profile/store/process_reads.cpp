#include "process_reads.hpp"

#include <algorithm>

#include "summed_rows.hpp"
#include "window_process_key.hpp"

namespace ember::store {
namespace {

// Each row's pid replaced by the one its process is folded into (rows come
// by pid: one lookup a run).
template <typename Row>
void fold_pids(const NameFold& fold, std::vector<Row>& rows) {
  std::uint32_t last_pid = 0, last_for = 0;
  bool looked_up = false;
  for (Row& row : rows) {
    if (!looked_up || row.pid != last_pid) {
      last_pid = row.pid;
      last_for = fold.pid_for(row.pid);
      looked_up = true;
    }
    row.pid = last_for;
  }
}

}  // namespace

void NameFold::add(std::uint32_t pid, std::string_view comm) {
  constexpr std::uint32_t kUnnamed = ~0u;
  std::uint32_t index = kUnnamed;
  if (!comm.empty()) {
    auto [it, inserted] =
        name_index_.try_emplace(std::string(comm), static_cast<std::uint32_t>(names_.size()));
    if (inserted) names_.emplace_back(comm);
    index = it->second;
  }
  rows_.emplace_back(pid, index);
}

void NameFold::rekey(const std::function<std::uint32_t(std::uint32_t)>& to) {
  for (auto& row : rows_) row.first = to(row.first);
}

std::vector<ProcessInfo> NameFold::finish() {
  // The last row of each pid wins: a stable sort keeps rows in the order added.
  std::stable_sort(rows_.begin(), rows_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::uint32_t, std::uint32_t>> last;  // (pid, name index)
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (i + 1 < rows_.size() && rows_[i + 1].first == rows_[i].first) continue;
    last.push_back(rows_[i]);
  }
  rows_ = {};
  // By pid: the first of a name is its lowest.
  std::vector<std::uint32_t> first_pid(names_.size(), 0);
  std::vector<bool> seen(names_.size(), false);
  std::vector<ProcessInfo> processes;
  auto fold_into = [&processes](std::uint32_t pid, std::string comm) {
    ProcessInfo folded;
    folded.pid = pid;
    folded.comm = std::move(comm);
    processes.push_back(std::move(folded));
  };
  pids_.clear();
  pids_.reserve(last.size());
  for (const auto& [pid, index] : last) {
    if (index >= names_.size()) {  // unnamed: its own
      pids_.emplace_back(pid, pid);
      fold_into(pid, "");
      continue;
    }
    if (!seen[index]) {
      seen[index] = true;
      first_pid[index] = pid;
      fold_into(pid, names_[index]);
    }
    pids_.emplace_back(pid, first_pid[index]);
  }
  return processes;
}

std::uint32_t NameFold::pid_for(std::uint32_t pid) const {
  auto it = std::lower_bound(pids_.begin(), pids_.end(), pid,
                             [](const auto& entry, std::uint32_t p) { return entry.first < p; });
  return it != pids_.end() && it->first == pid ? it->second : pid;
}

void ProcessSelection::add(ProcessInfo process, std::uint32_t key) {
  const bool keep = wanted_(&process, process.pid);
  rows_.emplace_back(key, static_cast<std::uint32_t>(rows_.size()));
  auto it = index_.find(key);
  if (it == index_.end()) {
    if (!keep) return;
    index_.emplace(key, processes_.size());
    processes_.push_back(std::move(process));
    keys_.push_back(key);
    dropped_.push_back(false);
    return;
  }
  if (keep) processes_[it->second] = std::move(process);
  dropped_[it->second] = !keep;  // the newest row decides
}

std::vector<ProcessInfo> ProcessSelection::finish(std::vector<std::uint32_t>& keys) {
  // Each process with its key, the dropped ones out.
  std::vector<std::pair<ProcessInfo, std::uint32_t>> kept;
  for (std::size_t i = 0; i < processes_.size(); ++i) {
    if (!dropped_[i]) kept.emplace_back(std::move(processes_[i]), keys_[i]);
  }
  processes_ = {};
  keys_ = {};
  // Each key's first row: a stable sort keeps rows in the order added.
  std::stable_sort(rows_.begin(), rows_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  rows_.erase(std::unique(rows_.begin(), rows_.end(),
                          [](const auto& a, const auto& b) { return a.first == b.first; }),
              rows_.end());
  auto place = [this](std::uint32_t key) {
    return std::lower_bound(rows_.begin(), rows_.end(), key,
                            [](const auto& row, std::uint32_t k) { return row.first < k; })
        ->second;
  };
  std::stable_sort(kept.begin(), kept.end(),
                   [&](const auto& a, const auto& b) { return place(a.second) < place(b.second); });
  std::vector<ProcessInfo> processes;
  keys.clear();
  for (auto& [process, key] : kept) {
    processes.push_back(std::move(process));
    keys.push_back(key);
    kept_.push_back(key);
  }
  std::sort(kept_.begin(), kept_.end());
  index_ = {};
  dropped_ = {};
  return processes;
}

bool ProcessSelection::keeps(std::uint32_t key) const {
  if (std::binary_search(kept_.begin(), kept_.end(), key)) return true;
  auto row = std::lower_bound(rows_.begin(), rows_.end(), key,
                              [](const auto& r, std::uint32_t k) { return r.first < k; });
  const bool described = row != rows_.end() && row->first == key;
  return !described && wanted_(nullptr, pid_of_key(key));
}

void keep_rows(const ProcessSelection& selection, std::vector<StoredSample>& rows) {
  std::uint32_t last_pid = 0;
  bool looked_up = false, last_kept = false;
  std::erase_if(rows, [&](const StoredSample& s) {  // rows come by pid: one lookup a run
    if (!looked_up || s.pid != last_pid) {
      last_pid = s.pid;
      last_kept = selection.keeps(s.pid);
      looked_up = true;
    }
    return !last_kept;
  });
  rows.shrink_to_fit();
}

void fold_rows(const NameFold& fold, std::vector<StoredSample>& rows) {
  fold_pids(fold, rows);
  sum_rows_by(rows, [](const StoredSample& s) { return std::pair(s.pid, s.stack_id); });
  rows.shrink_to_fit();
}

void fold_samples(const NameFold& fold, Window& window) {
  for (StackCount& s : window.samples) {
    s.pid = window_process_key(s);
    s.instance = 0;
  }
  fold_pids(fold, window.samples);
  for (StackCount& s : window.samples) set_pid_and_instance(s, s.pid);
  sum_threads(window);
  window.samples.shrink_to_fit();
}

void fold_by_name(Window& window) {
  NameFold fold;
  for (const ProcessInfo& p : window.processes) fold.add(window_process_key(p), p.comm);
  window.processes = fold.finish();
  for (ProcessInfo& p : window.processes) set_pid_and_instance(p, p.pid);
  fold_samples(fold, window);
}

}  // namespace ember::store

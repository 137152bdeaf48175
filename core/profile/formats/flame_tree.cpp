#include "flame_tree.hpp"

#include <algorithm>
#include <functional>
#include <span>
#include <tuple>
#include <unordered_map>

#include "process_name.hpp"

namespace ember::formats {
namespace {

using Key = std::tuple<std::string_view, std::string_view, std::string_view>;  // name, kind, file

struct KeyHash {
  std::size_t operator()(const Key& k) const {
    std::hash<std::string_view> h;
    std::size_t seed = h(std::get<0>(k));
    seed ^= h(std::get<1>(k)) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    seed ^= h(std::get<2>(k)) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    return seed;
  }
};

constexpr std::string_view kUnknown = "[unknown]";

// Numbers functions as they are met, then renumbers them in drawing order.
class FunctionNumbering {
 public:
  std::uint32_t id(std::string_view name, std::string_view kind, std::string_view file,
                   std::string_view module, std::uint32_t line) {
    auto [it, inserted] =
        ids_.try_emplace(Key{name, kind, file}, static_cast<std::uint32_t>(functions_.size()));
    if (inserted) functions_.push_back(FlameFunction{name, kind, file, module, line});
    return it->second;
  }

  // The functions sorted by name, kind, file; `rank` maps an id to its place.
  std::vector<FlameFunction> sorted(std::vector<std::uint32_t>& rank) const {
    std::vector<std::uint32_t> order(functions_.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      const FlameFunction &x = functions_[a], &y = functions_[b];
      return std::tie(x.name, x.kind, x.file) < std::tie(y.name, y.kind, y.file);
    });
    rank.assign(order.size(), 0);
    std::vector<FlameFunction> out;
    out.reserve(order.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) {
      rank[order[i]] = i;
      out.push_back(functions_[order[i]]);
    }
    return out;
  }

 private:
  std::unordered_map<Key, std::uint32_t, KeyHash> ids_;
  std::vector<FlameFunction> functions_;
};

// One window's frames and processes as function ids.
struct WindowIds {
  std::vector<std::uint32_t> frame;
  std::unordered_map<std::uint32_t, std::uint32_t> process;  // pid -> id
  std::uint32_t unknown = 0;                                 // a frame index out of range
};

WindowIds number_window(const Window& window, FunctionNumbering& numbering,
                        std::deque<std::string>& owned) {
  WindowIds ids;
  ids.unknown = numbering.id(kUnknown, "unknown", "", "", 0);
  ids.frame.reserve(window.frames.size());
  for (const Frame& f : window.frames) {
    ids.frame.push_back(numbering.id(f.name.empty() ? kUnknown : std::string_view(f.name), f.kind,
                                     f.file, f.module, f.line));
  }
  for (const ProcessInfo& p : window.processes) {
    if (!p.comm.empty()) ids.process[p.pid] = numbering.id(p.comm, "process", "", "", 0);
  }
  for (const StackCount& s : window.samples) {
    if (ids.process.count(s.pid)) continue;
    owned.push_back(unnamed_process_name(s.pid));
    ids.process[s.pid] = numbering.id(owned.back(), "process", "", "", 0);
  }
  return ids;
}

// A distinct (process, stack) of one window: its process, its stack's ids
// in `flat`, its samples.
struct Path {
  std::uint32_t process = 0, offset = 0, length = 0;
  std::uint64_t count = 0, base_count = 0;
};

class PathTable {
 public:
  void add(const Window& window, const WindowIds& ids, bool base) {
    // A stack is nearly always one process's: its first process's path in
    // `first`, the others (a stack shared by processes) in `shared`. The
    // paths of one stack share its ids in `flat_` (a day of a host has three
    // times as many paths as stacks).
    constexpr std::uint32_t kNone = ~0u;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> first(window.stacks.size(), {kNone, 0});
    std::vector<std::uint32_t> offset(window.stacks.size(), kNone);
    std::unordered_map<std::uint64_t, std::uint32_t> shared;  // process << 32 | stack
    std::size_t frames = 0;
    for (const auto& stack : window.stacks) frames += stack.size();
    flat_.reserve(flat_.size() + frames);
    paths_.reserve(paths_.size() + window.stacks.size());
    for (const StackCount& s : window.samples) {
      if (s.count == 0 || s.stack >= window.stacks.size()) continue;
      std::uint32_t process = ids.process.at(s.pid);
      auto& [first_process, first_path] = first[s.stack];
      std::uint32_t path = 0;
      if (first_process == process) {
        path = first_path;
      } else {
        bool is_first = first_process == kNone;
        auto [it, inserted] = is_first
                                  ? std::pair{shared.end(), true}
                                  : shared.try_emplace(std::uint64_t{process} << 32 | s.stack,
                                                       static_cast<std::uint32_t>(paths_.size()));
        path = is_first ? static_cast<std::uint32_t>(paths_.size()) : it->second;
        if (is_first) first[s.stack] = {process, path};
        if (inserted) {
          if (offset[s.stack] == kNone) offset[s.stack] = append(window.stacks[s.stack], ids);
          paths_.push_back(Path{process, offset[s.stack],
                                static_cast<std::uint32_t>(window.stacks[s.stack].size()), 0, 0});
        }
      }
      (base ? paths_[path].base_count : paths_[path].count) += s.count;
    }
  }

  // Ids in drawing order, then the paths sorted (by process, then stack):
  // siblings come out in order.
  void sort(const std::vector<std::uint32_t>& rank) {
    for (std::uint32_t& id : flat_) id = rank[id];
    for (Path& p : paths_) p.process = rank[p.process];
    std::sort(paths_.begin(), paths_.end(), [&](const Path& a, const Path& b) {
      if (a.process != b.process) return a.process < b.process;
      return std::lexicographical_compare(
          flat_.begin() + a.offset, flat_.begin() + a.offset + a.length, flat_.begin() + b.offset,
          flat_.begin() + b.offset + b.length);
    });
  }

  const std::vector<Path>& paths() const { return paths_; }
  std::span<const std::uint32_t> stack(const Path& p) const {
    return {flat_.data() + p.offset, p.length};
  }

 private:
  std::uint32_t append(const std::vector<std::uint32_t>& frames, const WindowIds& ids) {
    auto offset = static_cast<std::uint32_t>(flat_.size());
    for (std::uint32_t f : frames)
      flat_.push_back(f < ids.frame.size() ? ids.frame[f] : ids.unknown);
    return offset;
  }

  std::vector<std::uint32_t> flat_;
  std::vector<Path> paths_;
};

// The preorder tree from sorted paths: a path opens the nodes below the
// prefix it shares with the open path; a node closes (its total is final)
// when a path leaves it, and is dropped then with its subtree if too small.
class PreorderBuilder {
 public:
  PreorderBuilder(std::vector<FlameNode>& nodes, std::uint32_t root, std::uint64_t min_total)
      : nodes_(nodes), min_total_(min_total) {
    nodes_.push_back(FlameNode{root, 0, 0, 0, 0, 0});
    open_.push_back(0);
  }

  // The path `head`, then `tail`.
  void add(std::uint32_t head, std::span<const std::uint32_t> tail, std::uint64_t count,
           std::uint64_t base_count) {
    std::size_t length = tail.size() + 1;
    auto id = [&](std::size_t k) { return k == 0 ? head : tail[k - 1]; };
    std::size_t shared = 0, most = std::min(open_.size() - 1, length);
    while (shared < most && nodes_[open_[shared + 1]].function == id(shared)) ++shared;
    while (open_.size() > shared + 1) close();
    for (std::size_t k = shared; k < length; ++k) {
      open_.push_back(static_cast<std::uint32_t>(nodes_.size()));
      nodes_.push_back(FlameNode{id(k), 0, 0, 0, 0, 0});
      ++created_;
    }
    FlameNode& leaf = nodes_[open_.back()];
    leaf.self += count;
    leaf.total += count;
    leaf.base_self += base_count;
    leaf.base_total += base_count;
  }

  // Closes every open node; the nodes left out.
  std::uint64_t finish() {
    while (open_.size() > 1) close();
    return created_ + 1 - nodes_.size();
  }

 private:
  void close() {
    std::uint32_t node = open_.back();
    open_.pop_back();
    FlameNode& parent = nodes_[open_.back()];
    std::uint64_t total = nodes_[node].total, base_total = nodes_[node].base_total;
    parent.total += total;
    parent.base_total += base_total;
    if (std::max(total, base_total) < min_total_) {
      nodes_.resize(node);
    } else {
      ++parent.children;
    }
  }

  std::vector<FlameNode>& nodes_;
  std::uint64_t min_total_;
  std::vector<std::uint32_t> open_;  // the path of open nodes from the root
  std::uint64_t created_ = 0;
};

}  // namespace

FlameTree build_flame_tree(const Window& window, const Window* baseline, std::uint64_t min_total) {
  FlameTree tree;
  FunctionNumbering numbering;
  std::uint32_t root = numbering.id("all", "all", "", "", 0);
  WindowIds ids = number_window(window, numbering, tree.owned_names);
  PathTable paths;
  paths.add(window, ids, false);
  if (baseline) {
    WindowIds base_ids = number_window(*baseline, numbering, tree.owned_names);
    paths.add(*baseline, base_ids, true);
  }
  std::vector<std::uint32_t> rank;
  tree.functions = numbering.sorted(rank);
  paths.sort(rank);

  PreorderBuilder builder(tree.nodes, rank[root], min_total);
  for (const Path& p : paths.paths()) builder.add(p.process, paths.stack(p), p.count, p.base_count);
  tree.pruned = builder.finish();
  return tree;
}

std::uint64_t min_total_for(const FlameTree& tree, std::size_t max_nodes) {
  if (tree.nodes.size() <= max_nodes || max_nodes == 0) return 0;
  std::vector<std::uint64_t> sizes;
  sizes.reserve(tree.nodes.size());
  for (const FlameNode& n : tree.nodes) sizes.push_back(std::max(n.total, n.base_total));
  std::nth_element(sizes.begin(), sizes.begin() + (max_nodes - 1), sizes.end(), std::greater<>());
  return sizes[max_nodes - 1] + 1;
}

std::uint32_t max_depth(const FlameTree& tree) {
  std::uint32_t deepest = 0;
  std::vector<std::uint32_t> left;  // children still to come per open node
  for (const FlameNode& n : tree.nodes) {
    while (!left.empty() && left.back() == 0) left.pop_back();
    if (!left.empty()) --left.back();
    deepest = std::max(deepest, static_cast<std::uint32_t>(left.size()));
    left.push_back(n.children);
  }
  return deepest;
}

}  // namespace ember::formats

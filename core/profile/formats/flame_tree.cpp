#include "flame_tree.hpp"

#include <algorithm>
#include <functional>
#include <tuple>
#include <unordered_map>

#include "process_name.hpp"
#include "window_process_key.hpp"

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

// One window's frames and processes as function ids, then (rank) as their
// places in drawing order.
struct WindowIds {
  std::vector<std::uint32_t> frame;
  std::unordered_map<std::uint32_t, std::uint32_t> process;  // window_process_key -> id
  std::uint32_t unknown = 0;                                 // a frame index out of range

  void rank(const std::vector<std::uint32_t>& rank_of) {
    for (std::uint32_t& id : frame) id = rank_of[id];
    for (auto& [pid, id] : process) id = rank_of[id];
    unknown = rank_of[unknown];
  }
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
    if (!p.comm.empty()) {
      ids.process[window_process_key(p)] = numbering.id(p.comm, "process", "", "", 0);
    }
  }
  const StackCount* previous = nullptr;  // samples come by process: one lookup a process
  for (const StackCount& s : window.samples) {
    if (previous && window_process_key(*previous) == window_process_key(s)) continue;
    previous = &s;
    if (ids.process.count(window_process_key(s))) continue;
    owned.push_back(unnamed_process_name(s.pid));
    ids.process[window_process_key(s)] = numbering.id(owned.back(), "process", "", "", 0);
  }
  return ids;
}

// A distinct (process, stack) of one window: its process, its stack's
// frames (indices into the window's frames, whose drawing ranks `ranks`
// holds), its samples.
struct Path {
  const std::uint32_t* frames = nullptr;
  std::uint32_t length = 0;
  std::uint32_t process = 0;  // drawing rank
  const WindowIds* ids = nullptr;
  std::uint64_t count = 0, base_count = 0;
};

// Every distinct (process, stack) of a window, with its samples.
void add_paths(const Window& window, const WindowIds& ids, bool base, std::vector<Path>& paths) {
  // A stack is nearly always one process's: its first process's path in
  // `first`, the others (a stack shared by processes) in `shared`.
  constexpr std::uint32_t kNone = ~0u;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> first(window.stacks.size(), {kNone, 0});
  std::unordered_map<std::uint64_t, std::uint32_t> shared;  // process << 32 | stack
  paths.reserve(paths.size() + window.stacks.size());
  std::uint32_t last_key = 0, process = 0;  // samples come by process: one lookup a process
  bool looked_up = false;
  for (const StackCount& s : window.samples) {
    if (s.count == 0 || s.stack >= window.stacks.size()) continue;
    if (!looked_up || window_process_key(s) != last_key) {
      last_key = window_process_key(s);
      process = ids.process.at(last_key);
      looked_up = true;
    }
    auto& [first_process, first_path] = first[s.stack];
    std::uint32_t path = 0;
    if (first_process == process) {
      path = first_path;
    } else {
      bool is_first = first_process == kNone;
      auto [it, inserted] = is_first
                                ? std::pair{shared.end(), true}
                                : shared.try_emplace(std::uint64_t{process} << 32 | s.stack,
                                                     static_cast<std::uint32_t>(paths.size()));
      path = is_first ? static_cast<std::uint32_t>(paths.size()) : it->second;
      if (is_first) first[s.stack] = {process, path};
      if (inserted) {
        const std::vector<std::uint32_t>& stack = window.stacks[s.stack];
        paths.push_back(
            Path{stack.data(), static_cast<std::uint32_t>(stack.size()), process, &ids, 0, 0});
      }
    }
    (base ? paths[path].base_count : paths[path].count) += s.count;
  }
}

// The tree top down: a node's paths (a range of `order_`) are sorted by
// their function one level down, which groups them into its children in
// drawing order; a node's size is known before its children are looked at,
// so a node under min_total is left out at once, its subtree only counted.
// A node that one path alone runs through is the top of a chain: its nodes
// are written (or counted) without sorting.
class TopDownBuilder {
 public:
  TopDownBuilder(const std::vector<Path>& paths, std::vector<FlameNode>& nodes,
                 std::uint64_t min_total)
      : paths_(paths), nodes_(nodes), min_total_(min_total) {}

  // The tree under the root `root`; the nodes left out.
  std::uint64_t build(std::uint32_t root) {
    order_.resize(paths_.size());
    std::uint64_t total = 0, base_total = 0;
    for (std::uint32_t i = 0; i < paths_.size(); ++i) {
      order_[i] = i;
      total += paths_[i].count;
      base_total += paths_[i].base_count;
    }
    todo_.push_back(Item{0, static_cast<std::uint32_t>(paths_.size()), 0, root, true, total,
                         base_total});
    while (!todo_.empty()) {
      Item item = todo_.back();
      todo_.pop_back();
      visit(item);
    }
    return pruned_;
  }

 private:
  struct Item {
    std::uint32_t begin, end;  // its paths in order_
    std::uint32_t depth;       // the root's is 0, a process's 1
    std::uint32_t function;
    bool kept;                 // else counted only
    std::uint64_t total, base_total;
  };

  static constexpr std::uint32_t kEnds = 0;  // the key of a path that ends at the node

  // The function (its rank + 1) of `path` one level below `depth`, or kEnds.
  std::uint32_t key(const Path& path, std::uint32_t depth) const {
    if (depth == 0) return path.process + 1;
    if (depth > path.length) return kEnds;
    std::uint32_t frame = path.frames[depth - 1];
    const WindowIds& ids = *path.ids;
    return (frame < ids.frame.size() ? ids.frame[frame] : ids.unknown) + 1;
  }

  void visit(const Item& item) {
    if (item.end - item.begin == 1) return chain(item);
    if (!item.kept) ++pruned_;
    // Sorted by key; among equal keys, paths stay in order.
    keyed_.clear();
    std::uint32_t most = 0;
    for (std::uint32_t i = item.begin; i < item.end; ++i) {
      std::uint32_t k = key(paths_[order_[i]], item.depth);
      most = std::max(most, k);
      keyed_.push_back(std::uint64_t{k} << 32 | order_[i]);
    }
    sort_keyed(most);
    for (std::uint32_t i = item.begin; i < item.end; ++i) {
      order_[i] = static_cast<std::uint32_t>(keyed_[i - item.begin]);
    }
    // Its children, in drawing order; those that end here are its self.
    std::uint64_t self = 0, base_self = 0;
    std::uint32_t children = 0;
    std::size_t first_child = children_.size();
    for (std::size_t i = 0; i < keyed_.size();) {
      auto k = static_cast<std::uint32_t>(keyed_[i] >> 32);
      std::size_t j = i;
      std::uint64_t total = 0, base_total = 0;
      for (; j < keyed_.size() && keyed_[j] >> 32 == k; ++j) {
        const Path& p = paths_[static_cast<std::uint32_t>(keyed_[j])];
        total += p.count;
        base_total += p.base_count;
      }
      if (k == kEnds) {
        self = total;
        base_self = base_total;
      } else {
        bool kept = item.kept && std::max(total, base_total) >= min_total_;
        children += kept;
        children_.push_back(Item{item.begin + static_cast<std::uint32_t>(i),
                                 item.begin + static_cast<std::uint32_t>(j), item.depth + 1, k - 1,
                                 kept, total, base_total});
      }
      i = j;
    }
    if (item.kept) {
      nodes_.push_back(
          FlameNode{item.function, children, self, item.total, base_self, item.base_total});
    }
    // Visited first child first: preorder.
    todo_.insert(todo_.end(), children_.rbegin(), children_.rend() - first_child);
    children_.resize(first_child);
  }

  // keyed_ sorted, its keys at most `most`. A node's paths come in path
  // order (its parent's sort put equal keys so), so counting them by key,
  // stable, sorts as comparing would: many paths over few keys (the root's
  // ~550,000 paths of a day over its processes) are counted, not compared.
  void sort_keyed(std::uint32_t most) {
    if (std::is_sorted(keyed_.begin(), keyed_.end())) return;
    if (keyed_.size() < kCountedFrom || most >= keyed_.size()) {
      std::sort(keyed_.begin(), keyed_.end());
      return;
    }
    starts_.assign(std::size_t{most} + 2, 0);
    for (std::uint64_t k : keyed_) ++starts_[(k >> 32) + 1];
    for (std::size_t i = 1; i < starts_.size(); ++i) starts_[i] += starts_[i - 1];
    counted_.resize(keyed_.size());
    for (std::uint64_t k : keyed_) counted_[starts_[k >> 32]++] = k;
    keyed_.swap(counted_);
  }

  // A node only `path` runs through, and the nodes below it: one each level
  // to its end.
  void chain(const Item& item) {
    const Path& path = paths_[order_[item.begin]];
    std::uint32_t below = path.length + 1 - item.depth;  // nodes under this one
    if (!item.kept) {
      pruned_ += 1 + below;
      return;
    }
    std::uint32_t function = item.function;
    for (std::uint32_t depth = item.depth;; ++depth) {
      bool last = depth == path.length + 1;
      nodes_.push_back(FlameNode{function, last ? 0u : 1u, last ? path.count : 0, path.count,
                                 last ? path.base_count : 0, path.base_count});
      if (last) break;
      function = key(path, depth) - 1;
    }
  }

  const std::vector<Path>& paths_;
  std::vector<FlameNode>& nodes_;
  std::uint64_t min_total_;
  std::vector<std::uint32_t> order_;   // path indices, each node's contiguous
  std::vector<std::uint64_t> keyed_;   // key << 32 | path, of the node being visited
  std::vector<std::uint64_t> counted_;  // keyed_ counted into place (sort_keyed)
  std::vector<std::uint32_t> starts_;   // each key's first place in counted_
  // Below this many paths a node's keys are compared (a count costs its
  // range of keys too).
  static constexpr std::size_t kCountedFrom = 1024;
  std::vector<Item> todo_, children_;  // nodes to visit, last first
  std::uint64_t pruned_ = 0;
};

}  // namespace

FlameTree build_flame_tree(const Window& window, const Window* baseline, std::uint64_t min_total) {
  FlameTree tree;
  FunctionNumbering numbering;
  std::uint32_t root = numbering.id("all", "all", "", "", 0);
  WindowIds ids = number_window(window, numbering, tree.owned_names);
  WindowIds base_ids;
  if (baseline) base_ids = number_window(*baseline, numbering, tree.owned_names);
  std::vector<std::uint32_t> rank;
  tree.functions = numbering.sorted(rank);
  ids.rank(rank);
  std::vector<Path> paths;
  add_paths(window, ids, false, paths);
  if (baseline) {
    base_ids.rank(rank);
    add_paths(*baseline, base_ids, true, paths);
  }
  TopDownBuilder builder(paths, tree.nodes, min_total);
  tree.pruned = builder.build(rank[root]);
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

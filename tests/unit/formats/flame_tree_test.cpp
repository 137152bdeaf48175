// The flame tree (flame_tree.hpp): on a small story window, its shape; on a
// random host, against a plain reference (every sample's path of names
// counted in a map): the same paths with the same counts, siblings in name
// order; what a threshold leaves out is exactly the nodes under it; a compare
// tree holds both trees' counts.
#include "flame_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include "sample_windows.hpp"

namespace ember::formats {
namespace {

struct Counts {
  std::uint64_t self = 0, total = 0, base_self = 0, base_total = 0;
  bool operator==(const Counts&) const = default;
};
using Paths = std::map<std::vector<std::string>, Counts>;

// Many processes sharing function names, stacks shared by processes, lines
// of one function in separate frames, a process without a comm, a frame
// index out of range. `stacks` and `samples` many.
Window random_host(std::uint64_t seed, int stacks = 300, int samples = 2000) {
  std::mt19937_64 random(seed);
  Window w;
  for (int f = 0; f < 40; ++f) {
    Frame frame;
    frame.name = f == 7 ? "" : "fn" + std::to_string(f % 30);
    frame.kind = f % 3 == 0 ? "python" : "native";
    frame.file = f % 3 == 0 ? "app.py" : "";
    frame.line = static_cast<std::uint32_t>(f);
    frame.module = "mod" + std::to_string(f % 4);
    w.frames.push_back(frame);
  }
  for (int s = 0; s < stacks; ++s) {
    std::vector<std::uint32_t> stack;
    int depth = 1 + static_cast<int>(random() % 8);
    for (int d = 0; d < depth; ++d)
      stack.push_back(static_cast<std::uint32_t>(random() % 8 + (d > 2 ? random() % 33 : 0)));
    if (s == 5) stack.push_back(999);
    w.stacks.push_back(stack);
  }
  for (std::uint32_t pid = 1; pid <= 6; ++pid) {
    ProcessInfo process;
    process.pid = pid;
    process.comm = pid == 6 ? "" : "comm" + std::to_string(pid % 3);
    w.processes.push_back(process);
  }
  for (int n = 0; n < samples; ++n) {
    std::uint32_t pid = 1 + static_cast<std::uint32_t>(random() % 7);  // pid 7: no process row
    w.samples.push_back(StackCount{static_cast<std::uint32_t>(random() % stacks), pid, pid,
                                   1 + random() % 20, 0});
  }
  return w;
}

std::string key(std::string_view name, std::string_view kind, std::string_view file) {
  return std::string(name) + "/" + std::string(kind) + "/" + std::string(file);
}

// Every prefix of every sample's path [all, process, frames...], counted.
void count_paths(const Window& w, bool base, Paths& out) {
  std::map<std::uint32_t, std::string> comm;
  for (const ProcessInfo& p : w.processes) comm[p.pid] = p.comm;
  for (const StackCount& s : w.samples) {
    if (s.count == 0 || s.stack >= w.stacks.size()) continue;
    std::string process = comm[s.pid].empty() ? "[pid " + std::to_string(s.pid) + "]" : comm[s.pid];
    std::vector<std::string> path{key("all", "all", ""), key(process, "process", "")};
    for (std::uint32_t f : w.stacks[s.stack]) {
      if (f >= w.frames.size()) {
        path.push_back(key("[unknown]", "unknown", ""));
      } else {
        const Frame& frame = w.frames[f];
        path.push_back(key(frame.name.empty() ? "[unknown]" : frame.name, frame.kind, frame.file));
      }
    }
    for (std::size_t depth = 1; depth <= path.size(); ++depth) {
      Counts& c = out[std::vector<std::string>(path.begin(), path.begin() + depth)];
      (base ? c.base_total : c.total) += s.count;
      if (depth == path.size()) (base ? c.base_self : c.self) += s.count;
    }
  }
}

// The compact tree's paths; checks the preorder's children counts add up.
Paths paths_of(const FlameTree& tree) {
  Paths out;
  std::vector<std::string> path;
  std::vector<std::uint32_t> left;  // children still to come per open node
  for (const FlameNode& n : tree.nodes) {
    while (!left.empty() && left.back() == 0) {
      left.pop_back();
      path.pop_back();
    }
    if (!left.empty()) --left.back();
    const FlameFunction& f = tree.functions[n.function];
    path.push_back(key(f.name, f.kind, f.file));
    EXPECT_EQ(out.count(path), 0u) << "a path twice";
    out[path] = Counts{n.self, n.total, n.base_self, n.base_total};
    left.push_back(n.children);
  }
  for (std::uint32_t l : left) EXPECT_EQ(l, 0u) << "a node says it has more children";
  return out;
}

Paths reference(const Window& window, const Window* baseline) {
  Paths out;
  count_paths(window, false, out);
  if (baseline) count_paths(*baseline, true, out);
  return out;
}

// The node of `name` among the children of the node at `parent`, or -1.
int child(const FlameTree& tree, int parent, std::string_view name) {
  std::size_t i = static_cast<std::size_t>(parent) + 1;
  for (std::uint32_t k = 0; k < tree.nodes[parent].children; ++k) {
    if (tree.functions[tree.nodes[i].function].name == name) return static_cast<int>(i);
    std::uint64_t pending = 1;  // skip the subtree
    while (pending > 0) pending += tree.nodes[i++].children, --pending;
  }
  return -1;
}

std::vector<std::string> children(const FlameTree& tree, int parent) {
  std::vector<std::string> names;
  std::size_t i = static_cast<std::size_t>(parent) + 1;
  for (std::uint32_t k = 0; k < tree.nodes[parent].children; ++k) {
    names.emplace_back(tree.functions[tree.nodes[i].function].name);
    std::uint64_t pending = 1;
    while (pending > 0) pending += tree.nodes[i++].children, --pending;
  }
  return names;
}

// The tree as a plain trie would make it: each sample's path of (name,
// kind, file) added to nested maps (siblings in name, kind, file order),
// each function's line and module those of its first frame in numbering
// order, then written in preorder without the nodes under min_total; every
// field of every node, the functions and `pruned` as build_flame_tree gives
// them.
struct PlainNode {
  std::uint32_t function = 0, children = 0;
  std::uint64_t self = 0, total = 0, base_self = 0, base_total = 0;
  std::string name, kind, file, module;
  std::uint32_t line = 0;
  bool operator==(const PlainNode&) const = default;
};

std::vector<PlainNode> plain_nodes(const FlameTree& tree) {
  std::vector<PlainNode> out;
  for (const FlameNode& n : tree.nodes) {
    const FlameFunction& f = tree.functions[n.function];
    out.push_back(PlainNode{0, n.children, n.self, n.total, n.base_self, n.base_total,
                            std::string(f.name), std::string(f.kind), std::string(f.file),
                            std::string(f.module), f.line});
  }
  return out;
}

struct PlainTree {
  using Key = std::tuple<std::string, std::string, std::string>;  // name, kind, file
  struct Trie {
    std::map<Key, Trie> children;
    Counts counts;
  };
  Trie root;
  std::map<Key, std::pair<std::uint32_t, std::string>> first;  // line, module

  void number(const Window& w) {
    first.try_emplace(Key{"[unknown]", "unknown", ""}, 0, "");
    for (const Frame& f : w.frames) {
      first.try_emplace(Key{f.name.empty() ? "[unknown]" : f.name, f.kind, f.file}, f.line,
                        f.module);
    }
  }

  void add(const Window& w, bool base) {
    std::map<std::uint32_t, std::string> comm;
    for (const ProcessInfo& p : w.processes) comm[p.pid] = p.comm;
    for (const StackCount& s : w.samples) {
      if (s.count == 0 || s.stack >= w.stacks.size()) continue;
      std::string process =
          comm[s.pid].empty() ? "[pid " + std::to_string(s.pid) + "]" : comm[s.pid];
      std::vector<Key> path{Key{process, "process", ""}};
      for (std::uint32_t f : w.stacks[s.stack]) {
        if (f >= w.frames.size()) {
          path.push_back(Key{"[unknown]", "unknown", ""});
        } else {
          const Frame& frame = w.frames[f];
          path.push_back(Key{frame.name.empty() ? "[unknown]" : frame.name, frame.kind, frame.file});
        }
      }
      Trie* node = &root;
      auto count = [&](Trie& t, bool last) {
        (base ? t.counts.base_total : t.counts.total) += s.count;
        if (last) (base ? t.counts.base_self : t.counts.self) += s.count;
      };
      count(root, false);
      for (std::size_t i = 0; i < path.size(); ++i) {
        node = &node->children[path[i]];
        count(*node, i + 1 == path.size());
      }
    }
  }

  static std::uint64_t size(const Trie& t) {
    std::uint64_t n = 1;
    for (const auto& [key, child] : t.children) n += size(child);
    return n;
  }

  void write(const Key& key, const Trie& t, std::uint64_t min_total, std::vector<PlainNode>& out,
             std::uint64_t& pruned) const {
    const auto& [name, kind, file] = key;
    auto numbered = first.find(key);
    std::uint32_t line = numbered == first.end() ? 0 : numbered->second.first;
    std::string module = numbered == first.end() ? "" : numbered->second.second;
    std::size_t at = out.size();
    out.push_back(PlainNode{0, 0, t.counts.self, t.counts.total, t.counts.base_self,
                            t.counts.base_total, name, kind, file, module, line});
    for (const auto& [child_key, child] : t.children) {
      if (std::max(child.counts.total, child.counts.base_total) < min_total) {
        pruned += size(child);
        continue;
      }
      ++out[at].children;
      write(child_key, child, min_total, out, pruned);
    }
  }
};

void expect_plain_tree(const Window& w, const Window* baseline, std::uint64_t min_total) {
  PlainTree plain;
  plain.first.try_emplace(PlainTree::Key{"all", "all", ""}, 0, "");
  plain.number(w);
  if (baseline) plain.number(*baseline);
  plain.add(w, false);
  if (baseline) plain.add(*baseline, true);
  std::vector<PlainNode> expected;
  std::uint64_t pruned = 0;
  plain.write(PlainTree::Key{"all", "all", ""}, plain.root, min_total, expected, pruned);

  FlameTree tree = build_flame_tree(w, baseline, min_total);
  std::vector<PlainNode> nodes = plain_nodes(tree);
  ASSERT_EQ(nodes.size(), expected.size()) << "min_total " << min_total;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    ASSERT_EQ(nodes[i], expected[i]) << "node " << i << " (" << expected[i].name << "), min_total "
                                     << min_total;
  }
  EXPECT_EQ(tree.pruned, pruned);
}

TEST(FlameTree, EqualsAPlainTrieNodeByNode) {
  for (std::uint64_t seed = 10; seed < 14; ++seed) {
    Window w = random_host(seed);
    for (std::uint64_t share : {0, 10000, 500, 50, 5}) {
      expect_plain_tree(w, nullptr, share ? w.total_samples() / share : 0);
    }
    Window before = random_host(seed + 100);
    before.frames[3].name = "only_before";
    before.frames[4].line = 4444;  // not the first frame of its function: not its line
    for (std::uint64_t share : {0, 1000, 50}) {
      expect_plain_tree(w, &before, share ? w.total_samples() / share : 0);
    }
  }
  expect_plain_tree(Window{}, nullptr, 0);
  expect_plain_tree(test::sample_window(), nullptr, 3);
}

// Nodes of thousands of paths (the root, each process, their first frames)
// have their paths counted into place rather than compared: the same tree.
TEST(FlameTree, ManyPathsEqualAPlainTrieNodeByNode) {
  Window w = random_host(20, 4000, 40000);
  for (std::uint64_t share : {0, 10000, 50}) {
    expect_plain_tree(w, nullptr, share ? w.total_samples() / share : 0);
  }
  expect_plain_tree(w, &w, 0);
}

TEST(FlameTree, ProcessesThenFramesWithTotalsAndSelf) {
  Window w = test::sample_window();
  FlameTree tree = build_flame_tree(w);
  EXPECT_EQ(tree.functions[tree.nodes[0].function].name, "all");
  EXPECT_EQ(tree.nodes[0].total, w.total_samples());
  EXPECT_EQ(children(tree, 0), (std::vector<std::string>{"nginx", "python3"}));  // by name
  int python = child(tree, 0, "python3");
  ASSERT_GE(python, 0);
  EXPECT_EQ(tree.functions[tree.nodes[python].function].kind, "process");
  EXPECT_EQ(tree.nodes[python].total, 10u);  // pids 100 and 200 under one comm
  int handler = child(tree, child(tree, python, "main"), "handler");
  ASSERT_GE(handler, 0);
  EXPECT_EQ(tree.functions[tree.nodes[handler].function].kind, "python");
  EXPECT_EQ(tree.nodes[handler].total, 10u);
  EXPECT_EQ(tree.nodes[handler].self, 8u);
  int open = child(tree, handler, "do_sys_open");
  ASSERT_GE(open, 0);
  EXPECT_EQ(tree.functions[tree.nodes[open].function].kind, "kernel");
  EXPECT_EQ(tree.nodes[open].self, 2u);
  EXPECT_EQ(max_depth(tree), 4u);
}

TEST(FlameTree, LinesOfOneFunctionAreOneBox) {
  Window w = test::later_window();
  w.frames.push_back(test::frame("handler", frame_kind::python, "app.py", 9));  // another line
  w.stacks.push_back({1, 3});
  w.samples.push_back({2, 100, 100, 4});
  FlameTree tree = build_flame_tree(w);
  int main = child(tree, child(tree, 0, "python3"), "main");
  EXPECT_EQ(children(tree, main), (std::vector<std::string>{"handler", "idle"}));
  EXPECT_EQ(tree.nodes[child(tree, main, "handler")].total, 7u + 4u);
}

TEST(FlameTree, BadIndicesAndZeroCountsAreSkippedOrUnknown) {
  Window w = test::later_window();
  w.stacks.push_back({1, 99});
  w.samples.push_back({2, 100, 100, 3});
  w.samples.push_back({7, 100, 100, 5});  // no such stack
  w.samples.push_back({0, 100, 100, 0});
  FlameTree tree = build_flame_tree(w);
  EXPECT_EQ(tree.nodes[0].total, 8u + 3u);
  int main = child(tree, child(tree, 0, "python3"), "main");
  EXPECT_EQ(tree.nodes[child(tree, main, "[unknown]")].total, 3u);
}

TEST(FlameTree, HoldsEverySamplesPathWithItsCounts) {
  Window w = random_host(1);
  FlameTree tree = build_flame_tree(w);
  Paths expected = reference(w, nullptr);
  EXPECT_GT(expected.size(), 500u);
  EXPECT_EQ(paths_of(tree), expected);
  EXPECT_EQ(tree.pruned, 0u);
  EXPECT_EQ(tree.nodes[0].total, w.total_samples());
}

TEST(FlameTree, SiblingsInNameOrder) {
  Window w = random_host(2);
  FlameTree tree = build_flame_tree(w);
  std::vector<std::string> processes = children(tree, 0);
  EXPECT_GT(processes.size(), 3u);
  EXPECT_TRUE(std::is_sorted(processes.begin(), processes.end()));
  std::vector<std::string> below = children(tree, 1);
  EXPECT_GT(below.size(), 3u);
  EXPECT_TRUE(std::is_sorted(below.begin(), below.end()));
}

TEST(FlameTree, LeavesOutExactlyTheNodesUnderTheThreshold) {
  Window w = random_host(3);
  Paths all = reference(w, nullptr);
  std::uint64_t min_total = w.total_samples() / 200;
  FlameTree tree = build_flame_tree(w, nullptr, min_total);
  Paths kept = paths_of(tree);
  std::size_t big = 0;
  for (const auto& [path, counts] : all) {
    bool stays = counts.total >= min_total || path.size() == 1;  // the root always stays
    big += stays;
    if (stays) {
      ASSERT_EQ(kept.count(path), 1u) << path.back();
      EXPECT_EQ(kept[path].total, counts.total);  // left-out samples stay in the total
      EXPECT_EQ(kept[path].self, counts.self);
    }
  }
  EXPECT_EQ(kept.size(), big);
  EXPECT_LT(big, all.size());
  EXPECT_EQ(tree.pruned, all.size() - big);
}

TEST(FlameTree, CompareHoldsBothTrees) {
  Window after = random_host(4), before = random_host(5);
  before.frames[3].name = "only_before";
  FlameTree tree = build_flame_tree(after, &before, 0);
  EXPECT_EQ(paths_of(tree), reference(after, &before));
}

TEST(FlameTree, NodeCapAsAThreshold) {
  Window w = random_host(6);
  FlameTree tree = build_flame_tree(w, nullptr, 0);
  EXPECT_EQ(min_total_for(tree, tree.nodes.size()), 0u);
  std::uint64_t least = min_total_for(tree, 50);
  FlameTree cut = build_flame_tree(w, nullptr, least);
  EXPECT_LE(cut.nodes.size(), 50u);
  EXPECT_GT(cut.nodes.size(), 10u);
  EXPECT_EQ(cut.pruned, tree.nodes.size() - cut.nodes.size());
}

}  // namespace
}  // namespace ember::formats

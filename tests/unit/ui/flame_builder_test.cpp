// The API's integer-id flame tree against the profile library's string tree
// (flame_tree.hpp) on a random host: the same paths with the same counts,
// in the same sibling order; what a threshold leaves out is exactly the
// nodes under it; a compare tree holds both trees' counts.
#include "flame_builder.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "flame_tree.hpp"

namespace ember::ui {
namespace {

struct Counts {
  std::uint64_t self = 0, total = 0, base_self = 0, base_total = 0;
  bool operator==(const Counts&) const = default;
};
using Paths = std::map<std::vector<std::string>, Counts>;

// Many processes sharing function names, stacks shared by processes, lines
// of one function in separate frames, a process without a comm, a frame
// index out of range.
Window random_host(std::uint64_t seed) {
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
  for (int s = 0; s < 300; ++s) {
    std::vector<std::uint32_t> stack;
    int depth = 1 + static_cast<int>(random() % 8);
    for (int d = 0; d < depth; ++d)
      stack.push_back(static_cast<std::uint32_t>(random() % 8 + (d > 2 ? random() % 33 : 0)));
    if (s == 5) stack.push_back(999);
    w.stacks.push_back(stack);
  }
  for (std::uint32_t pid = 1; pid <= 6; ++pid) {
    w.processes.push_back(ProcessInfo{pid, pid == 6 ? "" : "comm" + std::to_string(pid % 3)});
  }
  for (int n = 0; n < 2000; ++n) {
    std::uint32_t pid = 1 + static_cast<std::uint32_t>(random() % 7);  // pid 7: no process row
    w.samples.push_back(
        StackCount{static_cast<std::uint32_t>(random() % 300), pid, pid, 1 + random() % 20, 0});
  }
  return w;
}

void walk(const formats::FlameTree& tree, std::uint32_t node, std::vector<std::string>& path,
          bool base, Paths& out) {
  const formats::FlameNode& n = tree.nodes[node];
  path.push_back(n.name + "/" + n.kind + "/" + n.file);
  Counts& c = out[path];
  (base ? c.base_self : c.self) += n.self;
  (base ? c.base_total : c.total) += n.total;
  for (std::uint32_t child : n.children) walk(tree, child, path, base, out);
  path.pop_back();
}

// The compact tree's paths; checks the preorder's children counts add up.
Paths paths_of(const CompactFlameTree& tree) {
  Paths out;
  std::vector<std::string> path;
  std::vector<std::uint32_t> left;  // children still to come per open node
  for (const FlameTreeNode& n : tree.nodes) {
    while (!left.empty() && left.back() == 0) {
      left.pop_back();
      path.pop_back();
    }
    if (!left.empty()) --left.back();
    const FlameFunction& f = tree.functions[n.function];
    path.push_back(std::string(f.name) + "/" + std::string(f.kind) + "/" + std::string(f.file));
    EXPECT_EQ(out.count(path), 0u) << "a path twice";
    out[path] = Counts{n.self, n.total, n.base_self, n.base_total};
    left.push_back(n.children);
  }
  for (std::uint32_t l : left) EXPECT_EQ(l, 0u) << "a node says it has more children";
  return out;
}

Paths reference(const Window& window, const Window* baseline) {
  Paths out;
  std::vector<std::string> path;
  walk(formats::build_flame_tree(window), 0, path, false, out);
  if (baseline) walk(formats::build_flame_tree(*baseline), 0, path, true, out);
  return out;
}

TEST(CompactFlameTree, HoldsTheSamePathsAsTheStringTree) {
  Window w = random_host(1);
  CompactFlameTree tree = build_compact_flame_tree(w, nullptr, 0);
  Paths expected = reference(w, nullptr);
  EXPECT_GT(expected.size(), 500u);
  EXPECT_EQ(paths_of(tree), expected);
  EXPECT_EQ(tree.pruned, 0u);
  EXPECT_EQ(tree.nodes[0].total, w.total_samples());
}

TEST(CompactFlameTree, SiblingsInTheStringTreesOrder) {
  Window w = random_host(2);
  CompactFlameTree tree = build_compact_flame_tree(w, nullptr, 0);
  formats::FlameTree strings = formats::build_flame_tree(w);
  // The root's children (processes) and the first process's in both trees.
  std::vector<std::string> compact, expected;
  for (std::uint32_t c : strings.nodes[0].children) expected.push_back(strings.nodes[c].name);
  std::size_t i = 1;
  for (std::uint32_t k = 0; k < tree.nodes[0].children; ++k) {
    compact.push_back(std::string(tree.functions[tree.nodes[i].function].name));
    // Skip the subtree: count nodes until its children are all seen.
    std::uint64_t pending = 1;
    while (pending > 0) pending += tree.nodes[i++].children, --pending;
  }
  EXPECT_EQ(compact, expected);
}

TEST(CompactFlameTree, LeavesOutExactlyTheNodesUnderTheThreshold) {
  Window w = random_host(3);
  Paths all = reference(w, nullptr);
  std::uint64_t min_total = w.total_samples() / 200;
  CompactFlameTree tree = build_compact_flame_tree(w, nullptr, min_total);
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

TEST(CompactFlameTree, CompareHoldsBothTrees) {
  Window after = random_host(4), before = random_host(5);
  before.frames[3].name = "only_before";
  CompactFlameTree tree = build_compact_flame_tree(after, &before, 0);
  EXPECT_EQ(paths_of(tree), reference(after, &before));
}

TEST(CompactFlameTree, NodeCapAsAThreshold) {
  Window w = random_host(6);
  CompactFlameTree tree = build_compact_flame_tree(w, nullptr, 0);
  EXPECT_EQ(min_total_for(tree, tree.nodes.size()), 0u);
  std::uint64_t least = min_total_for(tree, 50);
  CompactFlameTree cut = build_compact_flame_tree(w, nullptr, least);
  EXPECT_LE(cut.nodes.size(), 50u);
  EXPECT_GT(cut.nodes.size(), 10u);
  EXPECT_EQ(cut.pruned, tree.nodes.size() - cut.nodes.size());
}

}  // namespace
}  // namespace ember::ui

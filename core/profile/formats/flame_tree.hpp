// A window as a flame graph's tree: root "all", then one node per process
// name (comm), then the frames root first. Siblings with the same function
// name, kind and file are one node (lines of one Python function merge), and
// are in order of name, then kind, then file, as flamegraph.pl orders them,
// so equal profiles draw equal pictures. The SVG writer and the web UI's API
// both draw this tree.
//
// Built on integer ids: each distinct function (name, kind, file) and
// process name is numbered once, in drawing order; each distinct (process,
// stack) is a path. The tree grows top down: a node's paths, sorted by
// their function one level down, are its children in drawing order, each
// with its size. Strings are touched only when functions are numbered and
// when the kept nodes are written.
//
// Nodes with fewer samples than `min_total` (in either window of a compare)
// are left out with their subtrees: their samples stay in their parent's
// total. A node is never bigger than its parent, so what stays is still one
// tree. A left-out subtree is only counted (`pruned`), and a node only one
// path runs through heads a chain that is written or counted whole, so a
// day's tree at the web UI's resolution looks at the first few frames of
// most stacks only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "ember/window.hpp"

namespace ember::formats {

// A function (or process: kind "process"; the root: kind "all") of the tree.
struct FlameFunction {
  std::string_view name, kind, file, module;  // views into the windows
  std::uint32_t line = 0;                     // of the first frame numbered
};

struct FlameNode {
  std::uint32_t function = 0;  // index into FlameTree::functions
  std::uint32_t children = 0;  // kept children; they follow in preorder
  std::uint64_t self = 0, total = 0;
  std::uint64_t base_self = 0, base_total = 0;  // the baseline's, in compare mode
};

struct FlameTree {
  std::vector<FlameFunction> functions;
  std::vector<FlameNode> nodes;         // preorder; nodes[0] is the root "all"
  std::uint64_t pruned = 0;             // nodes left out
  std::deque<std::string> owned_names;  // "[pid N]" for processes without a comm
};

// The tree of `window`, or (with `baseline`) the union of both trees with
// the baseline's counts in base_self / base_total. The windows must outlive
// the tree (names are views into them).
FlameTree build_flame_tree(const Window& window, const Window* baseline = nullptr,
                           std::uint64_t min_total = 0);

// The node count cap as a threshold: the smallest size a node may have and
// stay when the tree keeps at most `max_nodes` (nodes of the size of the
// max_nodes-th biggest go too: never more than max_nodes). 0 when it fits.
std::uint64_t min_total_for(const FlameTree& tree, std::size_t max_nodes);

// The depth of the deepest node (the root's is 0, a process's 1).
std::uint32_t max_depth(const FlameTree& tree);

}  // namespace ember::formats

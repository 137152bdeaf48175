// Flame trees as the API sends them: string tables plus nodes in preorder,
// each [name, kind, file, line, module, self, total, children] (strings as
// indices into "strings"), so 100k nodes stay a few MB and parse fast. Compare
// mode adds the baseline's [base_self, base_total] to each node of the union
// of both trees. Trees over `max_nodes` keep their biggest nodes (a node is
// never bigger than its parent, so what stays is still one tree); "pruned"
// says how many were left out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ember/window.hpp"
#include "flame_tree.hpp"
#include "json_writer.hpp"

namespace ember::ui {

struct FlameViewNode {
  const formats::FlameNode* node = nullptr;  // of either tree (names, file, module)
  std::uint64_t self = 0, total = 0;
  std::uint64_t base_self = 0, base_total = 0;
  std::vector<std::uint32_t> children;  // indices into the view
};

// One tree, or the union of `after` and `before` (compare mode). Both trees
// must outlive the view.
std::vector<FlameViewNode> flame_view(const formats::FlameTree& tree);
std::vector<FlameViewNode> diff_view(const formats::FlameTree& after,
                                     const formats::FlameTree& before);

// "strings", "kinds" ([{kind, color}], colors from `window`), "nodes",
// "pruned" as fields of the object being written.
void write_flame(JsonWriter& json, const std::vector<FlameViewNode>& view, const Window& window,
                 bool with_base, std::size_t max_nodes);

}  // namespace ember::ui

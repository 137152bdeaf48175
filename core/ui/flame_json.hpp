// Flame trees as the API sends them: string tables plus nodes in preorder,
// each [name, kind, file, line, module, self, total, children] (strings as
// indices into "strings"), so 100k nodes stay a few MB and parse fast.
// Compare mode adds the baseline's [base_self, base_total] to each node of
// the union of both trees. Small nodes are left out (flame_tree.hpp);
// "pruned" says how many.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ember/window.hpp"
#include "flame_tree.hpp"
#include "json_writer.hpp"

namespace ember::ui {

// How much of a tree is sent: nodes under 1/resolution of the samples (of
// either window) are left out (0: none), then the smallest until at most
// max_nodes remain.
struct FlameLimits {
  std::size_t max_nodes = 200'000;
  std::uint64_t resolution = 0;
};

// The tree of `window` (with `baseline`: both, compare mode) within `limits`.
formats::FlameTree limited_flame_tree(const Window& window, const Window* baseline,
                                    const FlameLimits& limits);

// "strings", "kinds" ([{kind, color}], colors from `window`), "nodes",
// "pruned" as fields of the object being written.
void write_flame(JsonWriter& json, const formats::FlameTree& tree, const Window& window,
                 bool with_base);

}  // namespace ember::ui

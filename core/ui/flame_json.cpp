#include "flame_json.hpp"

#include <map>
#include <string_view>
#include <unordered_map>

namespace ember::ui {
namespace {

class Strings {
 public:
  std::uint32_t id(std::string_view text) {
    auto [it, inserted] = ids_.try_emplace(text, static_cast<std::uint32_t>(list_.size()));
    if (inserted) list_.push_back(text);
    return it->second;
  }
  const std::vector<std::string_view>& list() const { return list_; }

 private:
  std::unordered_map<std::string_view, std::uint32_t> ids_;
  std::vector<std::string_view> list_;
};

// A function's strings as ids into the table, numbered when first written.
struct FunctionStrings {
  bool numbered = false;
  std::uint32_t name = 0, kind = 0, file = 0, module = 0;
};

std::uint64_t samples_of(const Window& window, const Window* baseline) {
  std::uint64_t total = window.total_samples();
  return baseline ? std::max(total, baseline->total_samples()) : total;
}

}  // namespace

formats::FlameTree limited_flame_tree(const Window& window, const Window* baseline,
                                    const FlameLimits& limits) {
  std::uint64_t min_total = 0;
  if (limits.resolution > 0) {
    min_total = samples_of(window, baseline) / limits.resolution;  // below: under 1/resolution
  }
  formats::FlameTree tree = formats::build_flame_tree(window, baseline, min_total);
  std::uint64_t cap = formats::min_total_for(tree, limits.max_nodes);
  if (cap > min_total) tree = formats::build_flame_tree(window, baseline, cap);
  return tree;
}

void write_flame(JsonWriter& json, const formats::FlameTree& tree, const Window& window,
                 bool with_base) {
  Strings strings;
  std::vector<FunctionStrings> ids(tree.functions.size());
  std::map<std::string_view, bool> kinds;
  JsonWriter nodes;
  nodes.begin_array();
  for (const formats::FlameNode& n : tree.nodes) {
    FunctionStrings& s = ids[n.function];
    if (!s.numbered) {
      const formats::FlameFunction& f = tree.functions[n.function];
      s = FunctionStrings{true, strings.id(f.name), strings.id(f.kind), strings.id(f.file),
                          strings.id(f.module)};
      kinds[f.kind] = true;
    }
    nodes.begin_array();
    nodes.value(s.name).value(s.kind).value(s.file).value(tree.functions[n.function].line);
    nodes.value(s.module).value(n.self).value(n.total).value(n.children);
    if (with_base) nodes.value(n.base_self).value(n.base_total);
    nodes.end_array();
  }
  nodes.end_array();

  json.key("strings").begin_array();
  for (std::string_view s : strings.list()) json.value(s);
  json.end_array();
  json.key("kinds").begin_array();
  for (const auto& [kind, unused] : kinds) {
    if (kind == "all" || kind == "process") continue;
    json.begin_object().field("kind", kind).field("color", window.kind_color(kind)).end_object();
  }
  json.end_array();
  json.field("pruned", tree.pruned);
  json.key("nodes");
  // The nodes were written apart (strings had to be numbered first): splice them in.
  json.raw(nodes.text());
}

}  // namespace ember::ui

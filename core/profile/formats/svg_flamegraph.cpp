#include "svg_flamegraph.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string_view>

#include "flame_tree.hpp"
#include "utc_time.hpp"
#include "utf8.hpp"

namespace ember::formats {
namespace {

constexpr double kFrameHeight = 16;
constexpr double kPad = 10;
constexpr double kGraphTop = 64;
constexpr double kCharWidth = 7;  // 12 px Verdana, roughly
constexpr double kMinWidth = 0.1;

// Text for XML content and attribute values: markup characters escaped,
// control characters (illegal in XML 1.0) and invalid UTF-8 replaced.
std::string xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::size_t length = valid_utf8_length(text.substr(i));
      out.append(length ? text.substr(i, length) : kUtf8Replacement);
      i += length ? length : 1;
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
    }
    ++i;
  }
  return out;
}

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

// A kind's color as HSL: frames vary its hue and lightness a little by name,
// the legend shows it as it is.
struct Hsl {
  int hue = 0;
  int saturation = 0;
  int lightness = 0;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

// "#rrggbb" to whole-number HSL; false for anything else.
bool hsl_of(std::string_view hex, Hsl& out) {
  if (!is_valid_frame_kind_color(hex)) return false;
  double rgb[3];
  for (int i = 0; i < 3; ++i) {
    rgb[i] = (hex_digit(hex[1 + 2 * i]) * 16 + hex_digit(hex[2 + 2 * i])) / 255.0;
  }
  double high = std::max({rgb[0], rgb[1], rgb[2]});
  double low = std::min({rgb[0], rgb[1], rgb[2]});
  double lightness = (high + low) / 2;
  double hue = 0, saturation = 0;
  if (high > low) {
    double range = high - low;
    saturation = lightness > 0.5 ? range / (2 - high - low) : range / (high + low);
    if (high == rgb[0]) {
      hue = std::fmod((rgb[1] - rgb[2]) / range + 6, 6);
    } else if (high == rgb[1]) {
      hue = (rgb[2] - rgb[0]) / range + 2;
    } else {
      hue = (rgb[0] - rgb[1]) / range + 4;
    }
  }
  out.hue = static_cast<int>(std::lround(hue * 60)) % 360;
  out.saturation = static_cast<int>(std::lround(saturation * 100));
  out.lightness = static_cast<int>(std::lround(lightness * 100));
  return true;
}

std::string css(const Hsl& c) {
  return "hsl(" + std::to_string(c.hue) + "," + std::to_string(c.saturation) + "%," +
         std::to_string(c.lightness) + "%)";
}

const char* const kGray = "hsl(0,0%,78%)";

// The built-in kinds in the legend, Python first (yellow, as in ember's
// story); registered kinds follow under their own names.
struct LegendLabel {
  const char* kind;
  const char* label;
};
constexpr LegendLabel kBuiltinLegend[] = {
    {frame_kind::python, "Python"}, {frame_kind::native, "native"}, {frame_kind::kernel, "kernel"},
    {frame_kind::java, "Java"},     {frame_kind::node, "Node"},     {frame_kind::go, "Go"},
};

std::string color(const FlameFunction& node, const Window& window) {
  Hsl base;
  if (node.kind == "all" || node.kind == "process" || node.kind == frame_kind::unknown ||
      !hsl_of(window.kind_color(node.kind), base)) {
    return kGray;  // (a kind nobody registered too)
  }
  // The same function gets the same shade in every graph.
  std::size_t h = std::hash<std::string_view>()(node.name);
  Hsl shade = base;
  shade.lightness = std::clamp(base.lightness - 8 + static_cast<int>(h % 18), 0, 100);
  shade.hue = (base.hue + static_cast<int>((h >> 8) % 9) - 4 + 360) % 360;
  return css(shade);
}

// The label that fits in `width` pixels; the script redoes this after a zoom.
std::string fitted(std::string_view name, double width) {
  auto chars = static_cast<long>(std::floor((width - 6) / kCharWidth));
  if (chars < 3) return "";
  if (static_cast<long>(name.size()) <= chars) return std::string(name);
  std::string cut(name.substr(0, static_cast<std::size_t>(chars - 2)));
  // Don't end in the middle of a UTF-8 sequence.
  while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80) cut.pop_back();
  if (!cut.empty() && static_cast<unsigned char>(cut.back()) >= 0xC0) cut.pop_back();
  return cut + "..";
}

class SvgBuilder {
 public:
  SvgBuilder(const FlameTree& tree, const Window& window, const SvgOptions& options)
      : tree_(tree), window_(window), options_(options) {}

  std::string build() {
    double width = options_.width;
    double graph_height = (max_depth(tree_) + 1) * kFrameHeight;
    // Icicle: the hover line and the legend under the header, then the graph
    // from its root down. Flame: the graph up from its root, then those two.
    double graph_top = options_.flame ? kGraphTop : kGraphTop + 40;
    double bottom = graph_top + graph_height;
    double details_y = options_.flame ? bottom + 18 : kGraphTop + 12;
    double legend_y = options_.flame ? bottom + 32 : kGraphTop + 18;
    double height = options_.flame ? bottom + 56 : bottom + 16;
    std::uint64_t total = tree_.nodes[0].total;
    std::string title = options_.title.empty() ? "ember flame graph" : options_.title;

    out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
    out_ += "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(width) +
            "\" height=\"" + number(height) + "\" viewBox=\"0 0 " + number(width) + " " +
            number(height) + "\" data-width=\"" + number(width) + "\" data-total=\"" +
            std::to_string(total) + "\" data-pad=\"" + number(kPad) + "\">\n";
    out_ +=
        "<style>text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}"
        "g.f rect{stroke:#fff;stroke-width:0.5}g.f:hover rect{stroke:#000;stroke-width:1}"
        "g.f text{pointer-events:none}g.f.parent{opacity:0.5}g.f.hidden{display:none}"
        "#unzoom{cursor:pointer;opacity:0}#unzoom.on{opacity:1}"
        "#title{font-size:17px}</style>\n";
    out_ += "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#f8f8f4\"/>\n";
    out_ += "<text id=\"title\" x=\"" + number(width / 2) + "\" y=\"22\" text-anchor=\"middle\">" +
            xml(title) + "</text>\n";
    std::string subtitle = std::to_string(total) + " samples";
    if (window_.start_ns) {
      subtitle += ", " + utc_iso8601(window_.start_ns) + " to " + utc_iso8601(window_.end_ns);
    }
    if (window_.frequency_hz) subtitle += " at " + std::to_string(window_.frequency_hz) + " Hz";
    if (!window_.host.empty()) subtitle += " on " + window_.host;
    out_ += "<text id=\"subtitle\" x=\"" + number(width / 2) +
            "\" y=\"38\" text-anchor=\"middle\" style=\"font-size:11px;fill:#555\">" +
            xml(subtitle) + "</text>\n";
    out_ += "<foreignObject x=\"" + number(kPad) +
            "\" y=\"40\" width=\"260\" height=\"22\"><input xmlns=\"http://www.w3.org/1999/xhtml\""
            " id=\"search\" type=\"search\" placeholder=\"Search functions\" "
            "style=\"width:250px;font-size:12px\"/></foreignObject>\n";
    out_ += "<text id=\"unzoom\" x=\"" + number(kPad + 270) + "\" y=\"56\">Reset zoom</text>\n";
    out_ += "<text id=\"matched\" x=\"" + number(width - kPad) +
            "\" y=\"56\" text-anchor=\"end\"> </text>\n";
    out_ += "<g id=\"frames\">\n";
    if (total > 0) draw(0, 0, 0, total, graph_top, bottom);
    out_ += "</g>\n";
    out_ += "<text id=\"details\" x=\"" + number(kPad) + "\" y=\"" + number(details_y) +
            "\"> </text>\n";
    legend(legend_y);
    out_ += "<script type=\"text/ecmascript\"><![CDATA[\n";
    out_ += kFlameGraphScript;
    out_ += "\n]]></script>\n</svg>\n";
    return out_;
  }

 private:
  // Draws the node at `index` (preorder) and its subtree; the index after it.
  // A node under kMinWidth is skipped with its subtree (all smaller still).
  std::uint32_t draw(std::uint32_t index, std::uint32_t depth, std::uint64_t start,
                     std::uint64_t total, double top, double bottom, bool visible = true) {
    const FlameNode& node = tree_.nodes[index];
    double usable = options_.width - 2 * kPad;
    double x = kPad + usable * static_cast<double>(start) / static_cast<double>(total);
    double w = usable * static_cast<double>(node.total) / static_cast<double>(total);
    visible = visible && w >= kMinWidth;
    if (visible) {
      const FlameFunction& f = tree_.functions[node.function];
      double y = options_.flame ? bottom - (depth + 1) * kFrameHeight : top + depth * kFrameHeight;
      std::string name = xml(f.name);
      std::string kind(f.kind);
      char share[32];
      std::snprintf(share, sizeof share, "%.2f",
                    100.0 * static_cast<double>(node.total) / static_cast<double>(total));
      out_ += "<g class=\"f\" data-n=\"" + name + "\" data-k=\"" + kind + "\" data-v=\"" +
              std::to_string(node.total) + "\" data-x=\"" + std::to_string(start) +
              "\" data-d=\"" + std::to_string(depth) + "\"><title>" + name + " (" + kind +
              "): " + std::to_string(node.total) + " samples, " + share + "%</title><rect x=\"" +
              number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(w) + "\" height=\"" +
              number(kFrameHeight - 1) + "\" fill=\"" + color(f, window_) + "\"/><text x=\"" +
              number(x + 3) + "\" y=\"" + number(y + 11.5) + "\">" + xml(fitted(f.name, w)) +
              "</text></g>\n";
    }
    std::uint32_t next = index + 1;
    std::uint64_t child_start = start;
    for (std::uint32_t c = 0; c < node.children; ++c) {
      std::uint64_t child_total = tree_.nodes[next].total;
      next = draw(next, depth + 1, child_start, total, top, bottom, visible);
      child_start += child_total;
    }
    return next;
  }

  void legend(double y) {
    double x = kPad;
    out_ += "<g id=\"legend\">\n";
    auto item = [&](std::string_view kind, std::string_view label) {
      Hsl fill;
      if (!hsl_of(window_.kind_color(kind), fill)) return;
      out_ += "<g class=\"legend-item\" data-k=\"" + xml(kind) + "\"><rect x=\"" + number(x) +
              "\" y=\"" + number(y) + "\" width=\"14\" height=\"14\" fill=\"" + css(fill) +
              "\"/><text x=\"" + number(x + 19) + "\" y=\"" + number(y + 11.5) + "\">" +
              xml(label) + "</text></g>\n";
      x += 90;
    };
    for (const LegendLabel& builtin : kBuiltinLegend) item(builtin.kind, builtin.label);
    for (const FrameKindColor& k : window_.frame_kinds) {
      if (!builtin_frame_kind_color(k.kind)) item(k.kind, k.kind);
    }
    out_ += "</g>\n";
  }

  const FlameTree& tree_;
  const Window& window_;
  const SvgOptions& options_;
  std::string out_;
};

}  // namespace

std::string svg_flamegraph(const Window& window, const SvgOptions& options) {
  FlameTree tree = build_flame_tree(window);
  return SvgBuilder(tree, window, options).build();
}

}  // namespace ember::formats

// write_test_profiles FIXTURE.json OUTDIR: builds a Window from a fixture
// (story_profile.json) and writes it in every export format, for the checks
// that read the files with the real readers (go tool pprof, Chromium,
// speedscope's schema). Also deep.svg: a Python service whose import-time
// stacks are 117 frames deep beside its hot handler 5 frames down.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "collapsed_writer.hpp"
#include "mini_json.hpp"
#include "output_file.hpp"
#include "pprof_writer.hpp"
#include "speedscope_writer.hpp"
#include "svg_flamegraph.hpp"

namespace {

using ember::test::Json;

std::string kind_of(const std::string& name) {
  if (ember::builtin_frame_kind_color(name)) return name;
  throw std::runtime_error("unknown frame kind " + name);
}

std::string text(const Json& object, const std::string& key) {
  return object.has(key) ? object[key].text : "";
}

std::uint64_t whole(const Json& value) { return std::stoull(value.text); }

ember::Window window_of(const Json& doc) {
  ember::Window w;
  w.start_ns = std::stoll(doc["start_ns"].text);
  w.end_ns = std::stoll(doc["end_ns"].text);
  w.frequency_hz = static_cast<std::uint32_t>(whole(doc["frequency_hz"]));
  w.host = text(doc, "host");
  for (const Json& p : doc["processes"].array) {
    ember::ProcessInfo info;
    info.pid = static_cast<std::uint32_t>(whole(p["pid"]));
    info.comm = text(p, "comm");
    info.exe = text(p, "exe");
    info.container_id = text(p, "container_id");
    info.container_name = text(p, "container_name");
    info.service = text(p, "service");
    w.processes.push_back(info);
  }
  for (const Json& t : doc["threads"].array) {
    w.threads.push_back({static_cast<std::uint32_t>(whole(t["pid"])),
                         static_cast<std::uint32_t>(whole(t["tid"])), text(t, "name")});
  }
  for (const Json& f : doc["frames"].array) {
    ember::Frame frame;
    frame.name = text(f, "name");
    frame.kind = kind_of(text(f, "kind"));
    frame.module = text(f, "module");
    frame.file = text(f, "file");
    frame.line = f.has("line") ? static_cast<std::uint32_t>(whole(f["line"])) : 0;
    w.frames.push_back(frame);
  }
  for (const Json& s : doc["samples"].array) {
    std::vector<std::uint32_t> stack;
    for (const Json& index : s["stack"].array)
      stack.push_back(static_cast<std::uint32_t>(whole(index)));
    w.stacks.push_back(stack);
    w.samples.push_back({static_cast<std::uint32_t>(w.stacks.size() - 1),
                         static_cast<std::uint32_t>(whole(s["pid"])),
                         static_cast<std::uint32_t>(whole(s["tid"])), whole(s["count"])});
  }
  return w;
}

// 90 samples in handle -> hot_function (depth 5 under the process box), 10 in
// a 117-frame import chain: the graph is ~2,000 px tall.
ember::Window deep_window() {
  ember::Window w;
  w.frequency_hz = 99;
  auto frame = [&w](std::string name) {
    ember::Frame f;
    f.name = std::move(name);
    f.kind = ember::frame_kind::python;
    f.file = "service.py";
    w.frames.push_back(f);
    return static_cast<std::uint32_t>(w.frames.size() - 1);
  };
  std::vector<std::uint32_t> hot = {frame("<module>"), frame("serve"), frame("handle"),
                                    frame("hot_function")};
  std::vector<std::uint32_t> imports = {hot[0]};
  for (int i = 0; i < 116; ++i) imports.push_back(frame("_find_and_load_" + std::to_string(i)));
  w.stacks = {hot, imports};
  w.samples = {{0, 1, 1, 90}, {1, 1, 1, 10}};
  ember::ProcessInfo p;
  p.pid = 1;
  p.comm = "python3";
  w.processes = {p};
  w.threads = {{1, 1, "python3"}};
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s FIXTURE.json OUTDIR\n", argv[0]);
    return 2;
  }
  try {
    std::ifstream in(argv[1]);
    std::stringstream buffer;
    buffer << in.rdbuf();
    ember::Window w = window_of(ember::test::JsonParser::parse(buffer.str()));
    std::filesystem::path dir = argv[2];
    std::filesystem::create_directories(dir);
    namespace f = ember::formats;
    const std::pair<const char*, std::string> outputs[] = {
        {"story.folded", f::collapsed_text(w)},
        {"story.speedscope.json", f::speedscope_json(w, {"story"})},
        {"story.pb.gz", f::pprof_gzip(w)},
        {"story.svg", f::svg_flamegraph(w, {"story", 1200})},
        {"deep.svg", f::svg_flamegraph(deep_window(), {"deep", 1200})},
    };
    for (const auto& [name, contents] : outputs) {
      ember::Status written = f::write_file_atomically((dir / name).string(), contents);
      if (!written) throw std::runtime_error(written.message());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "write_test_profiles: %s\n", e.what());
    return 1;
  }
  return 0;
}

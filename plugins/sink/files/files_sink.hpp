// The files sink: profiles as files, in collapsed ("folded"), speedscope,
// pprof or SVG flame graph format (writers in formats/). Two modes, chosen in [sink.files]:
//   path = "out.folded"             every window merged into one file, written
//                                   at close(); the extension picks the format
//   directory = "..." + formats     one file per window per format, named from
//                                   the window start (ember-20261125T190512Z.folded)
// thread_frames = true adds a "<thread>/<tid>" frame to collapsed stacks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "collapsed_writer.hpp"
#include "ember/sink_plugin.hpp"
#include "window_merger.hpp"

namespace ember::files {

enum class Format { collapsed, speedscope, pprof, svg };

class FilesSink final : public SinkPlugin {
 public:
  std::string_view name() const override { return "files"; }
  Status configure(const Options& options, Host& host) override;
  Status on_window(const Window& window) override;
  Status close() override;

 private:
  Status write_window(const Window& window);
  Status write_merged();
  std::string render(Format format, const Window& window, const std::string& name) const;

  Host* host_ = nullptr;
  std::string path_;  // path mode
  Format path_format_ = Format::collapsed;
  std::string directory_;  // directory mode
  std::vector<Format> formats_;
  formats::CollapsedOptions collapsed_options_;
  formats::WindowMerger merger_;
  bool closed_ = false;
};

}  // namespace ember::files

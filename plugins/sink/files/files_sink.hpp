// The files sink: profiles as files, in collapsed ("folded"), speedscope,
// pprof or SVG flame graph format (writers in core/profile/formats/). Two
// modes, chosen in [sink.files]:
//   path = "out.folded"             every window merged into one file, written
//                                   at close(); the extension picks the format
//                                   (folded: kept as compact lines, written in
//                                   pieces; others: one merged Window)
//   directory = "..." + formats     one file per window per format, named from
//                                   the window start (ember-20261125T190512Z.folded),
//                                   kept within max_age and max_size
//                                   (profile_retention.hpp)
// thread_frames = true adds a "<thread>/<tid>" frame to collapsed stacks;
// flame = true puts an SVG's root at the bottom.
// view = "runtime" (the default) writes the runtime view (runtime_view.hpp),
// as `ember report` shows it; "native" every frame.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collapsed_lines.hpp"
#include "ember/sink_plugin.hpp"
#include "profile_format.hpp"
#include "profile_retention.hpp"
#include "window_merger.hpp"

namespace ember::files {

class FilesSink final : public SinkPlugin {
 public:
  std::string_view name() const override { return "files"; }
  Status configure(const Options& options, Host& host) override;
  Status on_window(const Window& window) override;
  Status close() override;

 private:
  Status write_window(const Window& window);
  // Profiles an older ember left readable in directory_ get the mode and
  // group of new ones (ember/private_files.hpp), once per run.
  void make_old_files_private();
  // Removes what max_age and max_size leave no room for; `written`: the
  // window just written, which stays.
  void prune(const std::vector<std::string>& written);
  Status write_merged();
  // The window as the files show it: its runtime view (kept in `viewed`)
  // unless view = "native" or there is nothing to fold.
  const Window& shown(const Window& window, Window& viewed) const;
  std::string render(formats::ProfileFormat format, const Window& window,
                     const std::string& name) const;
  Status write_profile(const std::string& path, formats::ProfileFormat format,
                       const Window& window, const std::string& name) const;

  Host* host_ = nullptr;
  std::string path_;  // path mode
  formats::ProfileFormat path_format_ = formats::ProfileFormat::folded;
  std::string directory_;  // directory mode
  std::vector<formats::ProfileFormat> formats_;
  ProfileLimits limits_;  // directory mode
  bool thread_frames_ = false;
  bool runtime_view_ = true;
  bool flame_ = false;
  formats::WindowMerger merger_;                   // path mode, not folded
  std::unique_ptr<formats::CollapsedLines> folded_;  // path mode, folded
  bool closed_ = false;
  bool made_old_files_private_ = false;
  bool prune_error_logged_ = false;
};

}  // namespace ember::files

// A plugin's first load happens in a child process: its constructors run and
// its ABI is checked there (by ember-plugin-load-check), so a plugin that
// crashes, aborts or hangs while loading costs the agent nothing but a log
// line naming it. Only a plugin that loaded cleanly there is loaded into the
// agent.
#pragma once

#include <string>
#include <vector>

#include "ember/status.hpp"

namespace ember {

// <dir of the running binary>/../lib/ember/ember-plugin-load-check, beside
// the default plugin directory.
std::string default_plugin_load_checker();

// Ok when `path` loads in a child running `checker` and passes the ABI
// checks of load_plugin_library; otherwise the child's own error, or how it
// died ("crashed while loading: signal 6 (Aborted)"). The answer is kept per
// file (device, inode, size, modification time): a config reload does not
// run the child again for a file that did not change.
Status trial_load_plugin(const std::string& path,
                         const std::string& checker = default_plugin_load_checker());

// Runs the trials of `paths` not yet answered side by side, one child each,
// and keeps their answers for trial_load_plugin: an agent starting beside a
// busy host's load waits for the slowest child, not for the sum of them.
void trial_load_plugins(const std::vector<std::string>& paths,
                        const std::string& checker = default_plugin_load_checker());

}  // namespace ember

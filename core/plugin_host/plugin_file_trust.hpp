// emberd runs as root and runs the code of every plugin it loads: a plugin
// file, or any directory above it, that someone else could write to is a way
// to root. Such paths are refused before anything is loaded from them.
#pragma once

#include <string>

#include "ember/status.hpp"

namespace ember {

// Ok when `path` (a plugin file or directory, symlinks followed) belongs to
// root, to the user the agent runs as, or to the owner of the ember binary
// itself (who could change ember anyway: `sudo build/bin/emberd` from a
// developer's build tree), and neither its group nor others may write to it;
// otherwise an error saying which and how to fix it.
// `what` names the path in the message ("plugin", "plugin directory").
Status check_plugin_path_trusted(const std::string& path, const std::string& what);

// The whole chain a plugin file is reached through: the file (a regular
// file), its directory and every directory above it, symlinks resolved,
// each as check_plugin_path_trusted judges it. Only a directory above the
// plugin's own may be writable by others when its sticky bit is set (as
// /tmp): there nobody but an entry's owner can rename or remove it, and the
// entry below is checked in turn.
Status check_plugin_file_chain_trusted(const std::string& path);

}  // namespace ember

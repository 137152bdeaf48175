// Reading a pprof profile (profile.proto, gzip-compressed or not) into a
// Window: ember's own pprof output and other profilers' (a Go CPU profile as
// `go tool pprof -proto` writes it). Counts are the "samples" value when the
// profile has one, else its first value. Inlined lines of a location become
// inlined frames. Ember's sample labels are read back (pid, tid, process,
// thread, service, container, pod; other string labels stay labels); a frame's
// kind is the sample's one "kind" label when it has exactly one, else guessed
// from the source file's extension (.py python, .go go, .java java, .js node),
// else native.
#pragma once

#include <string_view>

#include "ember/status.hpp"
#include "ember/window.hpp"

namespace ember::formats {

// Errors say what is wrong: not gzip, not a profile, an index out of range.
Status read_pprof(std::string_view bytes, Window& out);

}  // namespace ember::formats

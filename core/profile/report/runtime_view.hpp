// The runtime view of a profile, as py-spy shows a Python program: a
// runtime's own internals (CPython's eval loop and builtins in libpython or
// the python executable, HotSpot's libjvm.so, V8 and the builtins in node)
// fold into the code that called them, the innermost Python, Java or
// JavaScript frame above them; C extensions, other native libraries and the
// kernel stay. The frames of a runtime fold only in stacks holding that
// runtime's frames, and only below (callee side of) its first one, so a
// process's native start-up and its pure native threads keep every frame.
// Unsymbolized addresses ("python3.11+0x5a22d4") become one frame per
// module ("python3.11 [no symbols]"), since their offsets tell nothing apart.
// The runtimes' objects are those of the runtime plugins ember ships.
#pragma once

#include <cstdint>
#include <string_view>

#include "ember/window.hpp"

namespace ember::report {

struct RuntimeView {
  Window window;
  std::uint64_t changed_samples = 0;  // samples with a frame folded or grouped
};

// The view's frames are those its stacks show (folded internals go).
// Takes the window by value: one with nothing to fold or group (a native
// program with every frame named) comes back as it went in, uncopied.
RuntimeView runtime_view(Window window);

// The same view of a window the caller keeps (a sink's shared window): only
// the frames its stacks show and its metadata are copied, never its stacks
// and samples.
RuntimeView runtime_view_of(const Window& window);

// Whether runtime_view would change anything in `window` (cheap: frames only).
bool runtime_view_changes(const Window& window);

// runtime_view(window).changed_samples without making the view: each stack
// looked at once, nothing copied.
std::uint64_t runtime_view_changed_samples(const Window& window);

// The kind of the runtime whose own object `module` (a file name or path) is:
// python, java or node; nullptr for any other object.
const char* runtime_of_object(std::string_view module);

}  // namespace ember::report

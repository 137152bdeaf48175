"""A library dlopen'ed after the profiled process started, with real BPF: the
workload spins in its own code for 5 s, then dlopens libember_late.so and
spins in it. The first sample with an address in the new mapping makes the
host re-read the process' maps and re-probe; the late test plugin claims the
library, is attached next to the native plugin, and names exactly the
library's addresses through the address symbolizer ("late:" + symbol, kind
"late"), while
the workload's own functions and libc keep their native names."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import ember_it as it  # noqa: E402

SEAM_PLUGIN_DIR = os.environ.get("SEAM_PLUGIN_DIR", "")
LOADER = os.environ.get("LATE_LOADER", "")
LIBRARY = os.environ.get("LATE_LIBRARY", "")

LIBRARY_FUNCTIONS = {"late_work", "late_spin_outer", "late_spin_inner"}
# The library's own init and fini code, which the dynamic loader runs in it
# during dlopen: a sample may land there (once in a sanitizer build).
LIBRARY_STUBS = {"_init", "_fini"}
WORKLOAD_FUNCTIONS = {"main", "spin_before_dlopen", "call_late"}
# Samples taken in the library before the re-probe named them natively.
ALLOWED_BEFORE_REPROBE = 3


class LateMappingTest(unittest.TestCase):
    def test_a_library_dlopened_late_is_claimed_and_named_by_its_plugin(self):
        scratch = it.scratch_dir(self)
        config = it.config_file(self, '[runtime.native]\nenabled = true\n'
                                '[runtime.late]\nenabled = true\nrequired = true\n'
                                'library = "libember_late.so"\n',
                                plugin_dirs=[SEAM_PLUGIN_DIR])
        output = os.path.join(scratch, "late.speedscope.json")
        proc = it.start(self, [LOADER, LIBRARY, "5"])
        res = it.record(self, output, pids=[proc.pid], duration=9, frequency=199,
                        config=config, extra=["--log-level", "debug"])
        profile = it.Speedscope(output)
        stacks = [s for p in profile.for_pid(proc.pid) for s in p.stacks]
        total = sum(w for _, _, w in stacks)
        self.assertGreater(total, 200, res.describe())
        detail = "\n" + it.summarize(stacks, 12) + "\n" + res.stderr[-3000:]

        # Attached before the dlopen: the late path, not the one at attach.
        before = sum(w for names, _, w in stacks if "spin_before_dlopen" in names)
        self.assertGreater(before, 50, "no samples before the dlopen" + detail)
        self.assertIn("libember_late.so", "\n".join(
            line for line in res.stderr.splitlines() if "re-read" in line),
            "the host did not re-probe the new mapping" + detail)

        plugin = sum(w for names, _, w in stacks
                     if any(n.startswith("late:") for n in names))
        self.assertGreater(plugin, 100, "the plugin named no samples" + detail)
        native_named = sum(w for names, _, w in stacks
                           if any(n in LIBRARY_FUNCTIONS or n.startswith("libember_late.so+")
                                  for n in names))
        self.assertLessEqual(native_named, ALLOWED_BEFORE_REPROBE,
                             "the library's addresses kept native names" + detail)

        # Exactly its range: the plugin names only the library's functions,
        # and the workload's own frames and libc's stay native around them.
        for names, kinds, _ in stacks:
            for name, kind in zip(names, kinds):
                if name.startswith("late:"):
                    self.assertIn(name[len("late:"):], LIBRARY_FUNCTIONS | LIBRARY_STUBS,
                                  detail)
                    self.assertEqual(kind, "late", detail)
                elif name in WORKLOAD_FUNCTIONS:
                    self.assertEqual(kind, "native", name + detail)
        run = ["main", "call_late", "late:late_work", "late:late_spin_outer",
               "late:late_spin_inner"]
        merged = sum(w for names, _, w in stacks if it.contains_run(names, run))
        self.assertGreater(it.share(merged, plugin), 80.0,
                           f"stacks without {' → '.join(run)}" + detail)
        libc = sum(w for names, _, w in stacks
                   if names and names[0] in ("__libc_start_call_main", "__libc_start_main",
                                             "_start"))
        self.assertGreater(it.share(libc, total), 80.0, "libc's frames lost their names" + detail)


if __name__ == "__main__":
    it.main()

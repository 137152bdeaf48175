"""The runtime-plugin seam with real BPF: a fake interpreter plugin's BPF
program is tail-called by the sampler, its frames come back through
symbolize_runtime and replace the interpreter's native frames in the stack;
between them the C "builtin" stays and the call machinery the plugin claims
(is_call_machinery) is dropped."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import ember_it as it  # noqa: E402

SEAM_PLUGIN_DIR = os.environ.get("SEAM_PLUGIN_DIR", "")
INTERPRETER = os.environ.get("SEAM_INTERPRETER", "")


class RuntimeSeamTest(unittest.TestCase):
    def test_interpreter_frames_replace_the_eval_frame(self):
        scratch = it.scratch_dir(self)
        config = os.path.join(scratch, "seam.toml")
        with open(config, "w") as f:
            f.write(f'[agent]\nplugin_dirs = ["{it.PLUGIN_DIR}", "{SEAM_PLUGIN_DIR}"]\n'
                    '[runtime.native]\nenabled = true\n'
                    '[runtime.fake]\nenabled = true\nrequired = true\n'
                    'binary = "fake_interpreter"\n')
        output = os.path.join(scratch, "seam.speedscope.json")
        proc = it.start(self, [INTERPRETER], ready=None)
        res = it.record(self, output, pids=[proc.pid], duration=2, frequency=499,
                        config=config)
        profile = it.Speedscope(output)
        stacks = [s for p in profile.for_pid(proc.pid) for s in p.stacks]
        total = sum(w for _, _, w in stacks)
        self.assertGreater(total, 100, res.describe())

        run = ["main", "fake_caller", "fake_builtin", "fake_leaf", "spin"]
        merged = sum(w for names, _, w in stacks if it.contains_run(names, run))
        self.assertGreater(it.share(merged, total), 90.0,
                           f"stacks without {' → '.join(run)}:\n" + it.summarize(stacks))
        machinery = sum(w for names, _, w in stacks if "call_trampoline" in names)
        self.assertEqual(machinery, 0, "the call machinery between the interpreter's frames "
                         "was not dropped:\n" + it.summarize(stacks))
        replaced = sum(w for names, _, w in stacks if "interpreter_loop" in names)
        self.assertEqual(replaced, 0, "the interpreter's native frame was not replaced:\n"
                         + it.summarize(stacks))
        kinds = {name: kind for names, ks, _ in stacks for name, kind in zip(names, ks)}
        self.assertEqual(kinds.get("fake_leaf"), "python")
        self.assertEqual(kinds.get("spin"), "native")


if __name__ == "__main__":
    it.main()

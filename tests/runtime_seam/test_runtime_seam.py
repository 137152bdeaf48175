"""The runtime-plugin seam with real BPF: a fake interpreter plugin's BPF
program is tail-called by the sampler, its frames come back through
symbolize_runtime and replace the interpreter's native frames in the stack;
between them the C "builtin" stays and the call machinery the plugin claims
(is_call_machinery) is dropped. Each group goes to the native frame that holds
its anchor, so the window where the interpreter has entered its eval loop but
not yet pushed its frame (or popped it, not yet returned) is not taken for
the caller's frame."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import ember_it as it  # noqa: E402

SEAM_PLUGIN_DIR = os.environ.get("SEAM_PLUGIN_DIR", "")
INTERPRETER = os.environ.get("SEAM_INTERPRETER", "")


WINDOW = ("set_up_frame", "tear_down_frame")  # the inner eval call's window work


class RuntimeSeamTest(unittest.TestCase):
    def profile(self, argv, anchors=True):
        """The fake interpreter's stacks, recorded with the fake plugin."""
        scratch = it.scratch_dir(self)
        config = it.config_file(self, '[runtime.native]\nenabled = true\n'
                                '[runtime.fake]\nenabled = true\nrequired = true\n'
                                f'binary = "fake_interpreter"\nanchors = {str(anchors).lower()}\n',
                                plugin_dirs=[SEAM_PLUGIN_DIR])
        output = os.path.join(scratch, "seam.speedscope.json")
        proc = it.start(self, argv, ready=None)
        res = it.record(self, output, pids=[proc.pid], duration=2, frequency=499,
                        config=config)
        profile = it.Speedscope(output)
        stacks = [s for p in profile.for_pid(proc.pid) for s in p.stacks]
        total = sum(w for _, _, w in stacks)
        self.assertGreater(total, 100, res.describe())
        return stacks, total

    def test_interpreter_frames_replace_the_eval_frame(self):
        stacks, total = self.profile([INTERPRETER])

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


    def test_eval_window_is_not_misattributed(self):
        """The inner eval call spends a third of its time before pushing its
        frame and after popping it. Those samples belong to fake_caller's
        frame, which called fake_builtin: fake_caller rootward of fake_builtin,
        no fake_leaf. By position, fake_caller's group would replace the inner
        call's native frame instead, leafward of fake_builtin."""
        def window(names):
            return "fake_builtin" in names and any(w in names for w in WINDOW)

        def misattributed(names):
            return ("fake_leaf" in names or "fake_caller" not in names
                    or names.index("fake_caller") > names.index("fake_builtin"))

        stacks, total = self.profile([INTERPRETER, "window"])
        in_window = [s for s in stacks if window(s[0])]
        window_share = it.share(sum(w for _, _, w in in_window), total)
        self.assertGreater(window_share, 15.0, "the eval window was hardly sampled:\n"
                           + it.summarize(stacks))
        wrong = [s for s in in_window if misattributed(s[0])]
        self.assertEqual(sum(w for _, _, w in wrong), 0,
                         "samples in the eval window misattributed:\n" + it.summarize(wrong))
        run = ["main", "fake_caller", "fake_builtin", "fake_leaf", "spin"]
        body = sum(w for names, _, w in stacks if it.contains_run(names, run))
        self.assertGreater(it.share(body, total), 40.0, it.summarize(stacks))

        # The same workload merged by position: the window is misattributed,
        # which is what the anchors are for.
        stacks, total = self.profile([INTERPRETER, "window"], anchors=False)
        wrong = sum(w for names, _, w in stacks if window(names) and misattributed(names))
        self.assertGreater(it.share(wrong, total), 15.0,
                           "by position, the window was expected misattributed:\n"
                           + it.summarize(stacks))


if __name__ == "__main__":
    it.main()

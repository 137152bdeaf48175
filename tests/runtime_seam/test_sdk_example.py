"""The SDK as a package, used the way a plugin author outside ember's tree
uses it: the build's SDK is installed (`cmake --install --component sdk`)
into a scratch prefix, the toyvm example (sdk/examples/toyvm: an interpreter
and its runtime plugin with its own BPF program) is configured and built
against that prefix alone, and `ember record --plugin-dir` loads the plugin
it built. toyvm runs programs/hot.toy and measures each toy function's share
of its own CPU time, which is the truth the profile is held to."""

import json
import os
import subprocess
import sys
import tempfile
import shutil
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import ember_it as it  # noqa: E402

BUILD_DIR = os.environ.get("EMBER_BUILD_DIR", "")
SOURCE_DIR = os.environ.get("EMBER_SOURCE_DIR", "")
# The compiler flags of ember's build (the sanitizers), for the example's.
EXAMPLE_FLAGS = os.environ.get("EMBER_EXAMPLE_FLAGS", "")
EXAMPLE = os.path.join(SOURCE_DIR, "sdk", "examples", "toyvm")
PROGRAM = os.path.join(EXAMPLE, "programs", "hot.toy")

TOLERANCE = 3.0  # points, each function's share against toyvm's own
WINDOW = ("toyvm_enter_window", "toyvm_leave_window")
CALLERS = ("main", "render")  # the toy functions hot.toy makes calls from


def run(argv, **kwargs):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: exit status {proc.returncode}\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def configure_flags():
    if not EXAMPLE_FLAGS:
        return []
    return [f"-DCMAKE_C_FLAGS={EXAMPLE_FLAGS}", f"-DCMAKE_CXX_FLAGS={EXAMPLE_FLAGS}"]


class SdkExampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.mkdtemp(prefix="ember-sdk-")
        cls.prefix = os.path.join(cls.scratch, "prefix")
        run(["cmake", "--install", BUILD_DIR, "--component", "sdk", "--prefix", cls.prefix])
        cls.build = os.path.join(cls.scratch, "toyvm")
        run(["cmake", "-S", EXAMPLE, "-B", cls.build, f"-DCMAKE_PREFIX_PATH={cls.prefix}",
             "-DCMAKE_BUILD_TYPE=RelWithDebInfo"] + configure_flags())
        run(["cmake", "--build", cls.build, "-j2"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, True)

    def test_package_has_no_paths_into_the_build_tree(self):
        """What is installed stands alone: a plugin author has no ember checkout."""
        package = None
        for root, _, files in os.walk(self.prefix):
            if "EmberSDKConfig.cmake" in files:
                package = root
            for name in files:
                if not name.endswith((".cmake", ".hpp", ".h")):
                    continue
                with open(os.path.join(root, name), errors="replace") as f:
                    text = f.read()
                for tree in (SOURCE_DIR, BUILD_DIR):
                    self.assertNotIn(os.path.realpath(tree), text,
                                     f"{name} refers into ember's tree")
        self.assertIsNotNone(package, "no EmberSDKConfig.cmake installed")
        self.assertTrue(any(n.startswith("libember_sdk")
                            for _, _, files in os.walk(self.prefix) for n in files))

    def test_another_major_is_refused(self):
        """find_package(EmberSDK 5) against SDK 6 fails at configure time."""
        project = os.path.join(self.scratch, "major5")
        os.makedirs(project, exist_ok=True)
        with open(os.path.join(project, "CMakeLists.txt"), "w") as f:
            f.write("cmake_minimum_required(VERSION 3.20)\nproject(old LANGUAGES CXX)\n"
                    "find_package(EmberSDK 5 REQUIRED)\n")
        proc = subprocess.run(["cmake", "-S", project, "-B", os.path.join(project, "build"),
                               f"-DCMAKE_PREFIX_PATH={self.prefix}"],
                              capture_output=True, text=True, timeout=120)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("EmberSDK", proc.stderr)
        self.assertIn("version", proc.stderr)

    def profile(self):
        """toyvm's stacks under ember with the plugin built out of tree, and
        toyvm's own split {function: share}."""
        config = it.config_file(self, "[runtime.native]\nenabled = true\n"
                                "[runtime.toyvm]\nenabled = true\nrequired = true\n")
        output = os.path.join(it.scratch_dir(self), "toyvm.speedscope.json")
        vm = it.start(self, [os.path.join(self.build, "toyvm"), PROGRAM, "120"])
        res = it.record(self, output, pids=[vm.pid], duration=5, frequency=999,
                        min_samples=4000, config=config,
                        extra=["--plugin-dir", os.path.join(self.build, "plugins")])
        lines = vm.stop()
        split_line = [line for line in lines if line.startswith("split ")]
        self.assertTrue(split_line, f"toyvm printed no split: {lines}")
        truth = json.loads(split_line[-1][len("split "):])
        stacks = [s for p in it.Speedscope(output).for_pid(vm.pid) for s in p.stacks]
        self.assertGreater(sum(w for _, _, w in stacks), 1000, res.describe())
        return stacks, truth

    def test_toy_frames_named_merged_and_shared_as_measured(self):
        stacks, truth = self.profile()
        total = sum(w for _, _, w in stacks)
        toy = [s for s in stacks if "toyvm" in s[1]]
        toy_total = sum(w for _, _, w in toy)
        self.assertGreaterEqual(it.share(toy_total, total), 95.0,
                                "samples without toyvm frames:\n"
                                + it.summarize([s for s in stacks if "toyvm" not in s[1]]))

        # Merged into the native stack: C main, then the toy calls, then
        # toyvm's native code. Each toyvm_eval is replaced by its toy frame
        # and the call machinery between toy frames (toyvm_invoke) dropped;
        # a toyvm_eval stays only leafward of the toy frames, in a call's
        # window (before it pushed its frame, after it popped it).
        def leaf_toy(names, kinds):
            return max(i for i, k in enumerate(kinds) if k == "toyvm")

        def in_window(names, kinds):
            return "toyvm_eval" in names[leaf_toy(names, kinds):]

        unmerged = []
        for names, kinds, w in toy:
            first, last = kinds.index("toyvm"), leaf_toy(names, kinds)
            if (names[first] != "main" or "main" not in names[:first]
                    or last == len(names) - 1
                    or "toyvm_eval" in names[:last]
                    or "toyvm_invoke" in names[first:last]):
                unmerged.append((names, kinds, w))
        self.assertLess(it.share(sum(w for _, _, w in unmerged), toy_total), 1.0,
                        "toy frames not merged as main → toy calls → toyvm's code:\n"
                        + it.summarize(unmerged))

        # Each function's share of the samples with toy frames, by the
        # leaf-most toy frame, against toyvm's own measurement.
        measured = {}
        for names, kinds, w in toy:
            leaf = names[leaf_toy(names, kinds)]
            measured[leaf] = measured.get(leaf, 0) + w
        report = "\n".join(f"  {name:10s} toyvm {truth.get(name, 0):6.2f}  "
                           f"ember {it.share(measured.get(name, 0), toy_total):6.2f}"
                           for name in sorted(set(truth) | set(measured)))
        self.assertEqual(set(measured) - set(truth), set(), "unknown toy functions\n" + report)
        for name, expected in truth.items():
            got = it.share(measured.get(name, 0), toy_total)
            self.assertLessEqual(abs(got - expected), TOLERANCE,
                                 f"{name}: {got:.2f}% of toy samples, toyvm measured "
                                 f"{expected:.2f}%\n" + report)

        # The windows are the caller's: a caller of hot.toy is the leaf-most
        # toy frame there, never the function being called.
        window = [s for s in toy if in_window(s[0], s[1])]
        self.assertGreater(it.share(sum(w for _, _, w in window), toy_total), 3.0,
                           "the call windows were hardly sampled:\n" + it.summarize(toy))
        self.assertTrue(any(x in s[0] for s in window for x in WINDOW), it.summarize(window))
        wrong = [s for s in window if s[0][leaf_toy(s[0], s[1])] not in CALLERS]
        self.assertEqual(sum(w for _, _, w in wrong), 0,
                         "window samples given to the callee:\n" + it.summarize(wrong))
        print(f"\ntoyvm: {toy_total} toy samples of {total}, "
              f"{it.share(sum(w for _, _, w in window), toy_total):.1f}% in windows\n{report}")


if __name__ == "__main__":
    for name, path in (("EMBER_BUILD_DIR", BUILD_DIR), ("EMBER_SOURCE_DIR", SOURCE_DIR)):
        if not path or not os.path.isdir(path):
            print(f"FAIL: {name}={path!r} is not a directory; run through ctest",
                  file=sys.stderr)
            sys.exit(1)
    it.main()

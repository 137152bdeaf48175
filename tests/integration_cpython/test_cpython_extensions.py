"""C extensions called from Python, with real BPF and DWARF unwinding of the
native frames: extensions.py calls json.dumps (the _json encoder), re.findall
(the _sre engine) and zlib.compress (libz) on large inputs. The merged stack
must read `python: do_zlib -> native: zlib_compress -> ... -> deflate`: the
extension's native frames right below the Python frame that called it, the
interpreter's entry (PyEval_EvalCode) above the Python frames.

pyenv's interpreters keep their symbols, so the extension's own functions are
named; Debian's static /usr/bin/python3.11 is stripped, so there only libz's
exported deflate is checked by name.

Builtins calling back into Python (max() → Item.__gt__, list.remove() →
Item.__eq__): between the two Python frames the builtin stays (min_max, the
function builtin_max jumps to, and list_remove) and the interpreter's call
machinery (_PyEval_EvalFrameDefault, _PyFunction_Vectorcall,
slot_tp_richcompare, PyObject_RichCompare) is dropped. Stripped, the builtin is
unnamed and goes with the machinery: nothing is left between the two.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import ember_it as it  # noqa: E402
from cpython_it import CpythonTestCase, pyenv_python  # noqa: E402

WORKLOAD = os.path.join(HERE, "extensions.py")
FREQUENCY = 999
DURATION = 4
# How the work splits between the five calls depends on the machine (how fast
# its CPU compresses against how fast it interprets), so each call is held to
# a number of samples the checks below can rest on, not to a share; the
# recording goes on until the profile has enough for that.
MIN_TOTAL = 3000
MIN_PER_CALL = 100
MIN_PER_CALLBACK = 50
ENTRY = "PyEval_EvalCode"


# Python caller -> (its Python callee, the native frames expected between
# them with the interpreter's symbols)
CALLBACKS = {"do_max": ("Item.__gt__", [["min_max"], ["builtin_max", "min_max"]]),
             "do_remove": ("Item.__eq__", [["list_remove"]])}


def between(names, kinds, caller, callee):
    """The frames between the last `caller` frame and the `callee` frame right
    below it, or None when the stack lacks them."""
    python = [i for i, k in enumerate(kinds) if k == "python"]
    for at, nxt in zip(python, python[1:]):
        if names[at] == caller and names[nxt] == callee:
            return names[at + 1:nxt]
    return None


def below(names, kinds, caller):
    """The frames leafward of the last Python frame named `caller`."""
    at = max(i for i, (n, k) in enumerate(zip(names, kinds)) if n == caller and k == "python")
    return names[at + 1:], kinds[at + 1:]


class ExtensionsTest(CpythonTestCase):
    def run_workload(self, python, named):
        self.require(python)
        scratch = it.scratch_dir(self)
        config = self.config()
        output = os.path.join(scratch, "extensions.speedscope.json")
        proc = it.start(self, [python, WORKLOAD, 30])
        # Every frame (--native): the checks are on the interpreter's own
        # frames, which the default runtime view folds into the Python ones.
        res = it.record(self, output, pids=[proc.pid], duration=DURATION, frequency=FREQUENCY,
                        config=config, min_samples=MIN_TOTAL, extra=["--native"])
        proc.stop()
        stacks = [s for p in it.Speedscope(output).for_pid(proc.pid) for s in p.stacks]
        total = sum(w for _, _, w in stacks)
        self.assertGreaterEqual(total, MIN_TOTAL, res.describe())

        # Python caller -> (the extension's entry, at most this many native
        # frames below the caller (the call machinery of libpython may sit
        # between), a native frame expected further down)
        expect = {"do_json": ("JSONEncoder.iterencode", "encoder_call", 3, "encoder_listencode_obj"),
                  "do_re": ("do_re", "_sre_SRE_Pattern_findall", 1, "sre_search"),
                  "do_zlib": ("do_zlib", "zlib_compress", 1, "deflate")}
        report = []
        for work, (caller, entry, within, deeper) in expect.items():
            mine = [(n, k, w) for n, k, w in stacks if work in n]
            samples = sum(w for _, _, w in mine)
            detail = f"\n{python} {work}, heaviest stacks:\n" + it.summarize(mine)
            self.assertGreaterEqual(samples, MIN_PER_CALL,
                                    f"{work}: {samples} of {total} samples" + detail)
            # Only stacks that reached the caller: the rest ran Python code of
            # the library (json's encode) or the call's own set-up.
            called = [(n, k, w) for n, k, w in mine if caller in n]
            in_c = [(n, k, w) for n, k, w in called if "native" in below(n, k, caller)[1]]
            self.assertGreaterEqual(it.share(sum(w for *_, w in in_c), samples), 50.0,
                                    f"{work}: few samples in C below {caller}" + detail)
            for names, kinds, w in in_c:
                leaf_names, leaf_kinds = below(names, kinds, caller)
                self.assertNotIn("python", leaf_kinds,
                                 f"{work}: Python frames below the C call: {names}")
                self.assertIn(ENTRY, names[:names.index(caller)],
                              f"{work}: Python frames not under {ENTRY}: {names}")
            in_c_samples = sum(w for *_, w in in_c)
            if named:
                good = sum(w for n, k, w in in_c if entry in below(n, k, caller)[0][:within])
                deep = sum(w for n, k, w in in_c
                           if any(x.startswith(deeper) for x in below(n, k, caller)[0]))
                self.assertGreaterEqual(it.share(good, in_c_samples), 95.0,
                                        f"{work}: {entry} not right below {caller}" + detail)
                self.assertGreaterEqual(it.share(deep, in_c_samples), 50.0,
                                        f"{work}: {deeper} not below {caller}" + detail)
            elif work == "do_zlib":  # libz's exports are named even when Python is stripped
                deep = sum(w for n, k, w in in_c if deeper in below(n, k, caller)[0])
                self.assertGreaterEqual(it.share(deep, in_c_samples), 50.0,
                                        f"{work}: {deeper} not below {caller}" + detail)
            report.append(f"{work} {it.share(samples, total):.0f} % "
                          f"({it.share(in_c_samples, samples):.0f} % in C below {caller})")
        for work, (callee, named_between) in CALLBACKS.items():
            mine = [(between(n, k, work, callee), w) for n, k, w in stacks]
            calls = [(b, w) for b, w in mine if b is not None]
            samples = sum(w for _, w in calls)
            detail = (f"\n{python} {work} → {callee}, heaviest stacks:\n" +
                      it.summarize([s for s in stacks if work in s[0]]))
            self.assertGreaterEqual(samples, MIN_PER_CALLBACK,
                                    f"{work}: {samples} of {total} samples reach {callee}" + detail)
            expected = named_between if named else [[]]
            good = sum(w for b, w in calls if b in expected)
            self.assertGreaterEqual(it.share(good, samples), 95.0,
                                    f"{work}: between it and {callee}, expected one of "
                                    f"{expected}; found {[b for b, _ in calls[:5]]}" + detail)
            report.append(f"{work} → {callee} {it.share(samples, total):.0f} %")
        print(f"\n{python}: {total} samples; " + ", ".join(report), file=sys.stderr)

    def test_pyenv_311(self):
        self.run_workload(pyenv_python("3.11"), named=True)

    def test_pyenv_312(self):
        self.run_workload(pyenv_python("3.12"), named=True)

    def test_debian_311(self):
        self.run_workload("/usr/bin/python3.11", named=False)


if __name__ == "__main__":
    it.main()

#!/usr/bin/env python3
"""Acceptance: a Rust release binary (no frame pointers) gets demangled names:
`crate::module::function`, no `::h<hash>`, for both of rustc's manglings
(legacy, the default, and v0), and complete stacks: at least 95% of the
hot samples under rust_hot::run under rust_hot::main (DWARF unwinding).

Truth: workloads/rust_hot/src/main.rs: main -> run -> work::churn and
work::inner::stir, both #[inline(never)], where it spends its time.
"""
import os
import re
import unittest

import ember_it as it

MANGLED = re.compile(r"^_(ZN|R)|::h[0-9a-f]{16}$|17h[0-9a-f]{16}E")
HOT = ("rust_hot::work::churn", "rust_hot::work::inner::stir")


class RustNames(unittest.TestCase):
    def check(self, binary):
        tmp = it.scratch_dir(self)
        out = os.path.join(tmp, "rust.folded")
        w = it.start(self, [it.workload(binary), 60])
        res = it.record(self, out, pids=[w.pid], duration=3, frequency=499)
        w.stop()
        mine = it.folded_by_comm(it.parse_folded(out), binary)
        total = sum(count for _, count in mine)
        self.assertGreaterEqual(total, 300, f"too few samples ({total})\n" + res.describe())

        mangled = sorted({f for frames, _ in mine for f in frames if MANGLED.search(f)})
        self.assertEqual(mangled, [], f"{binary}: mangled names left")
        hot = {name: 0 for name in HOT}
        complete = 0
        for frames, count in mine:
            user = [f for f in frames if not it.is_kernel(f)]
            if user and user[-1] in hot:
                hot[user[-1]] += count
                if it.contains_run(user, ["rust_hot::run", user[-1]]) and "rust_hot::main" in user:
                    complete += count
        hot_total = sum(hot.values())
        print(f"\nrust_names {binary}: {hot_total} of {total} samples in {hot}, "
              f"{complete} under rust_hot::run and rust_hot::main")
        self.assertGreaterEqual(it.share(hot_total, total), 80.0,
                                f"{binary}: hot functions not named {HOT}:\n" + it.summarize(mine))
        self.assertTrue(all(hot.values()), f"{binary}: {hot}")
        # Complete stacks: the DWARF unwinder's part (issue 4).
        self.assertGreaterEqual(it.share(complete, hot_total), 95.0,
                                f"{binary}: hot samples not under rust_hot::run and "
                                "rust_hot::main:\n" + it.summarize(mine))

    def test_legacy_mangling(self):
        self.check("rust_hot")

    def test_v0_mangling(self):
        self.check("rust_hot_v0")


if __name__ == "__main__":
    it.main()

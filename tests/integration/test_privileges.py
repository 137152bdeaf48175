#!/usr/bin/env python3
"""Acceptance (CLI): without root or CAP_BPF + CAP_PERFMON, `ember record`
exits non-zero and says what is missing.

Truth: ember is started through setpriv as nobody:nogroup with no
supplementary groups and no inheritable, ambient or bounding capabilities.
"""
import os
import unittest

import ember_it as it


class Privileges(unittest.TestCase):
    def test_unprivileged_user_is_told_what_is_missing(self):
        tmp = it.scratch_dir(self, mode=0o777)
        out = os.path.join(tmp, "never.folded")
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                  "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"]
        res = it.run_ember(it.record_args(output=out, duration=1), timeout=30, prefix=prefix)
        self.assertNotEqual(res.returncode, 0, res.describe())
        self.assertNotIn("Segmentation", res.stderr)
        for cap in ("CAP_BPF", "CAP_PERFMON"):
            self.assertIn(cap, res.stderr, res.describe())
        self.assertFalse(os.path.exists(out) and os.path.getsize(out) > 0,
                         "an unprivileged run wrote a profile")
        print(f"\nprivileges: exit {res.returncode}: {res.stderr.strip().splitlines()[-1:]}")


if __name__ == "__main__":
    it.main()

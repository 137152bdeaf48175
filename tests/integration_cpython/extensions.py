"""A workload calling into C extensions on large inputs: main -> do_json
(json.dumps, the _json encoder), do_re (re.findall, the _sre engine) and
do_zlib (zlib.compress, libz); and into builtins that call back into Python:
do_max (max() comparing with Item.__gt__) and do_remove (list.remove()
comparing with Item.__eq__). Prints "ready", then runs for SECONDS (argv[1])
or until SIGTERM."""

import json
import re
import signal
import sys
import time
import zlib

RECORDS = [{"id": i, "name": "item-%d" % i, "tags": ["a", "b", "c"], "price": i * 0.25}
           for i in range(3000)]
TEXT = " ".join("word%d value=%d;" % (i, i * 7) for i in range(50000))
PATTERN = re.compile(r"value=(\d+)7;")
BLOB = bytes(bytearray((i * 31 + (i >> 7)) & 0xFF for i in range(1 << 18)))
stop = []


class Item(object):
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return self.v == other.v

    def __gt__(self, other):
        return self.v > other.v


ITEMS = [Item(i) for i in range(60000)]


def do_json():
    return json.dumps(RECORDS)  # line-json


def do_re():
    return PATTERN.findall(TEXT)  # line-re


def do_zlib():
    return zlib.compress(BLOB, 9)  # line-zlib


def do_max():
    return max(ITEMS)  # line-max


def do_remove():
    items = list(ITEMS)
    items.remove(ITEMS[-1])  # line-remove
    return items


def main():
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    deadline = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 30)
    print("ready")
    sys.stdout.flush()
    while not stop and time.time() < deadline:
        do_json()
        do_re()
        do_zlib()
        do_max()
        do_remove()


if __name__ == "__main__":
    main()

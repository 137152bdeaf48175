"""Three named threads burning CPU in different functions while the main
thread waits: spin_left in "left", spin_right in "right", and spin_calls in
"calls", which spends its time calling a Python function from C (map), so
entering the eval loop from C; a fourth, "spawner", starts short threads
over and over (each a new thread's first instructions to sample). Prints
`tid <name>=<kernel tid>` for each, then "ready"."""

import ctypes
import signal
import sys
import threading
import time

SYS_GETTID = 186  # x86_64
stop = threading.Event()
tids = {}


def set_name(name):
    # The kernel's thread name (comm), which ember reports; Python 2.7 and
    # 3.6-3.7 don't set it themselves.
    libc = ctypes.CDLL("libc.so.6")
    libc.prctl(15, ctypes.c_char_p(name.encode()), 0, 0, 0)  # PR_SET_NAME


def spin_left():
    total = 0
    while not stop.is_set():
        for i in range(10000):
            total += i  # line-left
    return total


def spin_right():
    total = 0
    while not stop.is_set():
        for i in range(10000):
            total ^= i  # line-right
    return total


def key_of(value):
    return value


def spin_calls():
    data = list(range(1000))
    total = 0
    while not stop.is_set():
        total += len(list(map(key_of, data)))  # line-calls
    return total


def short_work():
    total = 0
    for i in range(2000):
        total += i
    return total


def spawn():
    set_name("spawner")
    tids["spawner"] = ctypes.CDLL("libc.so.6").syscall(SYS_GETTID)
    while not stop.is_set():
        batch = [threading.Thread(target=short_work) for _ in range(4)]
        for t in batch:
            t.start()
        for t in batch:
            t.join()
        time.sleep(0.005)


def run(name, function):
    set_name(name)
    tids[name] = ctypes.CDLL("libc.so.6").syscall(SYS_GETTID)
    function()


def main():
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [threading.Thread(target=run, args=("left", spin_left)),
               threading.Thread(target=run, args=("right", spin_right)),
               threading.Thread(target=run, args=("calls", spin_calls))]
    for t in threads:
        t.start()
    spawner = threading.Thread(target=spawn)
    spawner.start()
    threads.append(spawner)
    while len(tids) < 4:
        time.sleep(0.01)
    for name in sorted(tids):
        print("tid %s=%d" % (name, tids[name]))
    print("ready")
    sys.stdout.flush()
    deadline = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 30)
    while not stop.is_set() and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()

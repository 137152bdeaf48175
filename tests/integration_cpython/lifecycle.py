"""Python processes that start after the profiler does (lifecycle test).

    lifecycle.py burn SECONDS              late_burn burns SECONDS of CPU
    lifecycle.py exec SECONDS PYTHON       before_exec burns SECONDS, then the
                                           process execs PYTHON lifecycle.py
                                           after-exec SECONDS
    lifecycle.py pool WORKERS SECONDS      a multiprocessing pool (fork) of
                                           WORKERS processes; each runs
                                           pool_task for SECONDS

Each burning function calls spin(), a pure-Python loop, until its thread has
used SECONDS of CPU. The truth, one line per process:

    cpu pid=<pid> init=<s> burn=<s> total=<s>

init: the CPU time the process had used when the script's main() began (the
interpreter's start-up: the dynamic loader, C initialisation and the first
imports), once per image for an exec'd process; burn: the CPU time of the
burning functions; total: the process' CPU time when the burning is over
(start-up included, and for an exec'd process the image before the exec).
"""

import multiprocessing
import os
import sys
import time

def process_cpu():
    """The process' CPU time since its fork, start-up and earlier images
    included (os.times() where process_time is missing: 2.7)."""
    if hasattr(time, "process_time"):
        return time.process_time()
    t = os.times()
    return t[0] + t[1]


def thread_cpu():
    return getattr(time, "thread_time", time.process_time)()


def spin(seconds):
    end = thread_cpu() + seconds
    total = 0
    while thread_cpu() < end:
        for i in range(2000):
            total += i * i  # line-spin
    return total


def late_burn(seconds):
    spin(seconds)


def before_exec(seconds):
    spin(seconds)


def after_exec(seconds):
    spin(seconds)


def pool_task(seconds):
    init = process_cpu()  # the fork's own start-up
    start = thread_cpu()
    spin(seconds)
    return os.getpid(), init, thread_cpu() - start, process_cpu()


def report(pid, init, burn, total):
    print("cpu pid=%d init=%.4f burn=%.4f total=%.4f" % (pid, init, burn, total))
    sys.stdout.flush()


def timed(function, seconds):
    start = thread_cpu()
    function(seconds)
    return thread_cpu() - start


def main():
    init = process_cpu()
    mode = sys.argv[1]
    seconds = float(sys.argv[-1] if mode != "exec" else sys.argv[2])
    if mode == "burn":
        report(os.getpid(), init, timed(late_burn, seconds), process_cpu())
    elif mode == "exec":
        burned = timed(before_exec, seconds)
        python = sys.argv[3]
        os.execv(python, [python, os.path.abspath(__file__), "after-exec", "%.4f" % init,
                          "%.4f" % burned, "%.4f" % process_cpu(), str(seconds)])
    elif mode == "after-exec":
        first_init, first_burn, at_exec = [float(a) for a in sys.argv[2:5]]
        burned = first_burn + timed(after_exec, seconds)
        report(os.getpid(), first_init + init - at_exec, burned, process_cpu())
    elif mode == "pool":
        workers = int(sys.argv[2])
        pool = multiprocessing.get_context("fork").Pool(workers)
        try:
            results = pool.map(pool_task, [seconds] * workers, chunksize=1)
        finally:
            pool.close()
            pool.join()
        for pid, init, burn, total in sorted(results):
            report(pid, init, burn, total)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()

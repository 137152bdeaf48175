"""A Python service whose hot function changes partway through: on SIGUSR1 it
runs parse_requests for PHASE_A seconds of its own CPU time, then render_pages
for PHASE_B, both pure-Python loops under serve(), and exits. CPU time, not
wall time: on a busy machine the two phases still get the CPU shares their
lengths say, which is what a profile of them shows.

Prints "ready", then "start NS", "switch NS" and "done NS" (wall-clock
nanoseconds) so the test knows when each function was hot."""
import signal
import sys
import time

PHASE_A = float(sys.argv[1]) if len(sys.argv) > 1 else 12.0
PHASE_B = float(sys.argv[2]) if len(sys.argv) > 2 else 8.0


def parse_requests(seconds):
    deadline = time.thread_time() + seconds
    total = 0
    while time.thread_time() < deadline:
        for i in range(5000):
            total += i * i % 7
    return total


def render_pages(seconds):
    deadline = time.thread_time() + seconds
    total = 0
    while time.thread_time() < deadline:
        for i in range(5000):
            total ^= i * 31 + 17
    return total


def serve():
    print("start", time.time_ns(), flush=True)
    parse_requests(PHASE_A)
    print("switch", time.time_ns(), flush=True)
    render_pages(PHASE_B)
    print("done", time.time_ns(), flush=True)


signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
print("ready", flush=True)
signal.sigwait({signal.SIGUSR1})
serve()

"""A thread that mostly waits while another holds the GIL: "io-wait" loops on
a socket recv with a 0.2 ms timeout (it releases the GIL for the call and
must take it back after), "gil-holder" (the main thread) burns CPU in
Python. Prints `tid io-wait=<tid>` and "ready", runs for SECONDS (argv[1])."""

import ctypes
import socket
import sys
import threading
import time

SYS_GETTID = 186  # x86_64
libc = ctypes.CDLL("libc.so.6")
stop = threading.Event()
tids = {}


def name_thread(name):
    libc.prctl(15, ctypes.c_char_p(name.encode()), 0, 0, 0)  # PR_SET_NAME
    tids[name] = libc.syscall(SYS_GETTID)


def io_wait():
    name_thread("io-wait")
    a, b = socket.socketpair()
    a.settimeout(0.0002)
    while not stop.is_set():
        try:
            a.recv(16)  # line-recv
        except socket.timeout:
            pass


def hold_gil(deadline):
    total = 0
    while time.time() < deadline:
        for i in range(10000):
            total += i
    return total


def main():
    sys.setswitchinterval(0.0005)  # hand the GIL over often, so io-wait runs
    waiter = threading.Thread(target=io_wait)
    waiter.start()
    name_thread("gil-holder")
    while "io-wait" not in tids:
        time.sleep(0.01)
    print("tid io-wait=%d" % tids["io-wait"])
    print("ready", flush=True)
    try:
        hold_gil(time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 30))
    finally:
        stop.set()
        waiter.join()


if __name__ == "__main__":
    main()

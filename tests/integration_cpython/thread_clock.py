"""The calling thread's CPU time in seconds on every CPython the tests run
(2.7 has neither time.thread_time nor time.clock_gettime)."""

import ctypes
import time

if hasattr(time, "clock_gettime") and hasattr(time, "CLOCK_THREAD_CPUTIME_ID"):
    def thread_time():
        return time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID)
else:
    class _Timespec(ctypes.Structure):
        _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]

    _clock_gettime = ctypes.CDLL("libc.so.6", use_errno=True).clock_gettime
    _CLOCK_THREAD_CPUTIME_ID = 3

    def thread_time():
        ts = _Timespec()
        _clock_gettime(_CLOCK_THREAD_CPUTIME_ID, ctypes.byref(ts))
        return ts.sec + ts.nsec * 1e-9

"""Calls the Go c-shared library argv[1] from Python until argv[2] seconds
pass or SIGTERM: py_caller -> (ctypes, libffi, cgo) -> GoWork -> main.hot."""
import ctypes
import sys
import time

lib = ctypes.CDLL(sys.argv[1])
lib.GoWork.restype = ctypes.c_ulonglong


def py_caller():
    return lib.GoWork(2000000)


print("ready", flush=True)
end = time.time() + float(sys.argv[2])
while time.time() < end:
    py_caller()

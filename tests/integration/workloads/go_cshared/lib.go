// A Go c-shared library for Python to call through ctypes: GoWork(n) spends
// its time in main.hot (built -buildmode=c-shared -ldflags="-s -w", so the C
// toolchain links it and the pclntab has no section of its own).
package main

import "C"

//go:noinline
func hot(n int) uint64 {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + uint64(i)
	}
	return x
}

//export GoWork
func GoWork(n C.int) C.ulonglong { return C.ulonglong(hot(int(n))) }

func main() {}

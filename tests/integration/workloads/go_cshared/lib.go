// A Go c-shared library (built with -buildmode=c-shared, so the C toolchain
// links it and the pclntab has no section of its own). Python calls GoWork(n)
// through ctypes in the Go integration test (stripped: -ldflags="-s -w"),
// which spends its time in main.hot; the pclntab unit tests check the names
// read from a stripped build against an unstripped build's symbol table.
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

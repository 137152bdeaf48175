// A Go c-shared library (built with -buildmode=c-shared, linked externally
// by the C toolchain): the pclntab tests check the names read from its
// stripped build against its unstripped build's symbol table.
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

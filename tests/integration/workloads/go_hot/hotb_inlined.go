//go:build inlined

package main

// Small enough for the compiler to inline into work.
func hotB(n int) uint64 {
	x := uint64(0xb)
	for i := 0; i < n; i++ { x = x*6364136223846793005 + uint64(i) } // line-hotB-loop
	return x
}

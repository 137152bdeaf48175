// The truth for the pclntab tests: prints the runtime address of main.main
// (to find the load bias) and, for each pc runtime.Callers gives of the
// stack at capture(), the frame the Go runtime itself names for it, one line
// each: "pc <hex> <function>\t<file>\t<line>". runtime.Callers gives an
// inlined call a pc of its own, right after the pc of its real frame.
package main

import (
	"fmt"
	"reflect"
	"runtime"
)

//go:noinline
func report(pcs []uintptr) {
	fmt.Printf("main.main %#x\n", reflect.ValueOf(main).Pointer())
	for _, pc := range pcs {
		f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
		fmt.Printf("pc %#x %s\t%s\t%d\n", pc, f.Function, f.File, f.Line)
	}
}

// Inlined into middle: a frame of its own, marked inlined.
func capture(pcs []uintptr) int { return runtime.Callers(1, pcs) }

//go:noinline
func middle() {
	pcs := make([]uintptr, 32)
	report(pcs[:capture(pcs)])
}

//go:noinline
func generic[T any](x T) T {
	middle()
	return x
}

func main() { generic(1.5) }

// A stripped Go workload with a known call tree: main.main -> main.work ->
// main.hotA (7 units of work per round, ~70%) and main.hotB (3 units,
// ~30%), on one OS thread (the process' first). hotA and hotB run the same
// loop body. Built twice: hotB kept a function of its own (hotb_call.go),
// and hotB inlined into work (hotb_inlined.go, -tags inlined).
//
// Truth: work reads CLOCK_THREAD_CPUTIME_ID around each call (outside the
// hot functions); on SIGTERM or after argv[1] seconds the program prints
//   hotA_ns=<n> hotB_ns=<n> rounds=<n>
// It prints "ready" once calibrated (a unit ~ 1 ms of CPU).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

var sink uint64

func threadCPUNs() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID,
		uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

//go:noinline
func hotA(n int) uint64 {
	x := uint64(0xa)
	for i := 0; i < n; i++ { x = x*6364136223846793005 + uint64(i) } // line-hotA-loop
	return x
}

//go:noinline
func work(unit int) (aNs, bNs int64) {
	t0 := threadCPUNs()
	sink += hotA(7 * unit) // line-hotA-call
	t1 := threadCPUNs()
	sink += hotB(3 * unit) // line-hotB-call
	t2 := threadCPUNs()
	return t1 - t0, t2 - t1
}

func init() { runtime.LockOSThread() }

func main() {
	seconds := 60.0
	if len(os.Args) > 1 {
		seconds, _ = strconv.ParseFloat(os.Args[1], 64)
	}
	var stop int32
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		atomic.StoreInt32(&stop, 1)
	}()

	unit := 100000
	for {
		t0 := threadCPUNs()
		sink += hotA(unit)
		dt := threadCPUNs() - t0
		if dt >= 2000000 {
			unit = int(int64(unit) * 1000000 / dt)
			break
		}
		unit *= 4
	}
	fmt.Printf("ready unit=%d\n", unit)

	var aNs, bNs, rounds int64
	end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	for atomic.LoadInt32(&stop) == 0 && time.Now().Before(end) {
		a, b := work(unit)
		aNs += a
		bNs += b
		rounds++
	}
	fmt.Printf("hotA_ns=%d hotB_ns=%d rounds=%d\n", aNs, bNs, rounds)
}

// A stripped Go workload whose work runs under goroutine labels: each round
// calls main.spin under pprof.Do with phase=alpha for 7 units of work and
// under phase=beta for 3 units (~70% / ~30%); inside each, main.hotA takes 3
// of every 4 units and main.hotB one, so a profile filtered by one label
// still has two functions to share it. One OS thread (the process' first).
//
// Truth: each labelled call reads CLOCK_THREAD_CPUTIME_ID around it; on
// SIGTERM or after argv[1] seconds the program prints
//   alpha_ns=<n> beta_ns=<n> rounds=<n>
// It prints "ready" once calibrated (a unit ~ 1 ms of CPU).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
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
	for i := 0; i < n; i++ { x = x*6364136223846793005 + uint64(i) }
	return x
}

//go:noinline
func hotB(n int) uint64 {
	x := uint64(0xb)
	for i := 0; i < n; i++ { x = x*6364136223846793005 + uint64(i) }
	return x
}

// spin runs n units: 3/4 in hotA, 1/4 in hotB.
//go:noinline
func spin(n int) {
	sink += hotA(3 * n)
	sink += hotB(n)
}

// labelled runs spin(units * unit) under phase=<value> and returns its CPU time.
func labelled(ctx context.Context, value string, n int) (ns int64) {
	pprof.Do(ctx, pprof.Labels("phase", value), func(context.Context) {
		t0 := threadCPUNs()
		spin(n)
		ns = threadCPUNs() - t0
	})
	return ns
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

	unit := 25000
	for {
		t0 := threadCPUNs()
		spin(unit)
		dt := threadCPUNs() - t0
		if dt >= 2000000 {
			unit = int(int64(unit) * 1000000 / dt)
			break
		}
		unit *= 4
	}
	fmt.Printf("ready unit=%d\n", unit)

	ctx := context.Background()
	var alphaNs, betaNs, rounds int64
	end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	for atomic.LoadInt32(&stop) == 0 && time.Now().Before(end) {
		alphaNs += labelled(ctx, "alpha", 7*unit)
		betaNs += labelled(ctx, "beta", 3*unit)
		rounds++
	}
	fmt.Printf("alpha_ns=%d beta_ns=%d rounds=%d\n", alphaNs, betaNs, rounds)
}

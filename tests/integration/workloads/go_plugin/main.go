// A stripped Go program that loads a stripped Go plugin (argv[1]) and spends
// its time in both, half each, on its first thread, for argv[2] seconds or
// until SIGTERM: two Go objects, two pclntabs, in one process. Like every
// program that loads a Go plugin it is linked with cgo, so it also takes
// the paths cgo programs take:
//   - main.hostHot, in the executable, runs in a callback: main.main calls
//     the C function call_host (host.c), which calls the exported Go
//     function hostWork (Go -> C -> Go on one goroutine);
//   - a second thread sends the first one SIGUSR1 about 10,000 times a
//     second, which signal.Notify catches: Go's signal handler runs on the
//     first thread, above whatever it interrupted.
package main

// #include <stdint.h>
// uint64_t call_host(int n);
import "C"

import (
	"fmt"
	"os"
	"os/signal"
	"plugin"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

var sink uint64

// hostHot keeps a frame of its own (a variable-indexed array lives on the
// stack), so a signal that lands in it is followed by its callers.
//go:noinline
func hostHot(n int) uint64 {
	var state [4]uint64
	for i := 0; i < n; i++ {
		state[i&3] = state[(i+1)&3]*6364136223846793005 + uint64(i)
	}
	return state[0]
}

//export hostWork
func hostWork(n C.int) C.uint64_t { return C.uint64_t(hostHot(int(n))) }

func init() { runtime.LockOSThread() }

// signalFirstThread sends SIGUSR1 to the process' first thread, every 100 µs.
func signalFirstThread() {
	caught := make(chan os.Signal, 64)
	signal.Notify(caught, syscall.SIGUSR1)
	go func() {
		for range caught {
		}
	}()
	pid := syscall.Getpid()
	pause := syscall.Timespec{Nsec: 100000}
	for {
		syscall.Tgkill(pid, pid, syscall.SIGUSR1)
		syscall.Nanosleep(&pause, nil)
	}
}

func main() {
	p, err := plugin.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	symbol, err := p.Lookup("Hot")
	if err != nil {
		panic(err)
	}
	pluginHot := symbol.(func(int) uint64)
	seconds, _ := strconv.ParseFloat(os.Args[2], 64)
	var stop int32
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		atomic.StoreInt32(&stop, 1)
	}()
	go signalFirstThread()
	fmt.Println("ready")
	end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	for atomic.LoadInt32(&stop) == 0 && time.Now().Before(end) {
		sink += uint64(C.call_host(1000000))
		sink += pluginHot(1000000)
	}
}

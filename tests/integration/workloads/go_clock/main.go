// A stripped Go workload that spends most of its time reading the clock:
// main.spin loops on time.Since, as request timing and deadlines do. Go
// calls the vDSO's clock_gettime on the g0 stack (runtime.nanotime1 moves
// sp there), so a sample in the vDSO is one whose caller chain crosses
// stacks. Runs for argv[1] seconds (default 60) or until SIGTERM; prints
// "ready" first.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

var sink int64

//go:noinline
func spin(stop *int32, until time.Time) {
	for atomic.LoadInt32(stop) == 0 && time.Until(until) > 0 {
		for i := 0; i < 1000; i++ {
			sink += int64(time.Since(until))
		}
	}
}

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
	fmt.Println("ready")
	spin(&stop, time.Now().Add(time.Duration(seconds*float64(time.Second))))
	fmt.Println("done")
}

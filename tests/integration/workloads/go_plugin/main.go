// A stripped Go program that loads a stripped Go plugin (argv[1]) and spends
// its time in both: main.hostHot in the executable, main.pluginHot in the
// plugin, half each, on its first thread, for argv[2] seconds or until
// SIGTERM. Two Go objects, two pclntabs, in one process.
package main

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

//go:noinline
func hostHot(n int) uint64 {
	x := uint64(0xd)
	for i := 0; i < n; i++ { x = x*6364136223846793005 + uint64(i) }
	return x
}

func init() { runtime.LockOSThread() }

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
	fmt.Println("ready")
	end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	for atomic.LoadInt32(&stop) == 0 && time.Now().Before(end) {
		sink += hostHot(1000000)
		sink += pluginHot(1000000)
	}
}

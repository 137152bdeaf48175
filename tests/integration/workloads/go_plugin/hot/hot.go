// A Go plugin (-buildmode=plugin) that go_plugin/main.go loads: a second Go
// object in the process, with a pclntab of its own.
package main

// pluginHot keeps a frame of its own (a variable-indexed array lives on the
// stack), so a signal that lands in it is followed by its callers.
//go:noinline
func pluginHot(n int) uint64 {
	var state [4]uint64
	for i := 0; i < n; i++ {
		state[i&3] = state[(i+1)&3]*6364136223846793005 + uint64(i)
	}
	return state[0]
}

// Hot runs n units of work in the plugin's own code.
func Hot(n int) uint64 { return pluginHot(n) }

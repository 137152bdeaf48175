// A Go plugin (-buildmode=plugin) that go_plugin/main.go loads: a second Go
// object in the process, with a pclntab of its own.
package main

//go:noinline
func pluginHot(n int) uint64 {
	x := uint64(0xc)
	for i := 0; i < n; i++ { x = x*6364136223846793005 + uint64(i) }
	return x
}

// Hot runs n units of work in the plugin's own code.
func Hot(n int) uint64 { return pluginHot(n) }

// Prints, from its own DWARF, what the Go plugin's goroutine layout table
// says for this Go version: "<version> g.m=<n> m.curg=<n> g.labels=<n>
// g.stack=<n> stack.lo=<n> stack.hi=<n>".
package main

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"runtime"
)

func main() {
	file, err := elf.Open("/proc/self/exe")
	if err != nil {
		panic(err)
	}
	data, err := file.DWARF()
	if err != nil {
		panic(err)
	}
	want := map[string]map[string]int64{
		"runtime.g": {"m": -1, "labels": -1, "stack": -1}, "runtime.m": {"curg": -1},
		"runtime.stack": {"lo": -1, "hi": -1},
	}
	reader := data.Reader()
	for {
		entry, err := reader.Next()
		if err != nil || entry == nil {
			break
		}
		name, _ := entry.Val(dwarf.AttrName).(string)
		fields, ok := want[name]
		if entry.Tag != dwarf.TagStructType || !ok {
			continue
		}
		typ, err := data.Type(entry.Offset)
		if err != nil {
			panic(err)
		}
		for _, field := range typ.(*dwarf.StructType).Field {
			if _, ok := fields[field.Name]; ok {
				fields[field.Name] = field.ByteOffset
			}
		}
		reader.SkipChildren()
	}
	fmt.Printf("%s g.m=%d m.curg=%d g.labels=%d g.stack=%d stack.lo=%d stack.hi=%d\n",
		runtime.Version(), want["runtime.g"]["m"], want["runtime.m"]["curg"],
		want["runtime.g"]["labels"], want["runtime.g"]["stack"],
		want["runtime.stack"]["lo"], want["runtime.stack"]["hi"])
}

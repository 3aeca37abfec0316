// Writes a CPU profile and a block profile of a program with a known hot
// function (burnCPUInGo) and a known blocking one (waitOnChannelInGo), as
// runtime/pprof records them, for the Go SDK request built by
// crates/kiln-server/tests/sdk_clients.rs.
//
// Usage: GO111MODULE=off go run main.go <out-dir> <seconds>
package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

//go:noinline
func burnCPUInGo(until time.Time) uint64 {
	x := uint64(0)
	for time.Now().Before(until) {
		for i := uint64(0); i < 100000; i++ {
			x = x*6364136223846793005 + i
		}
	}
	return x
}

//go:noinline
func waitOnChannelInGo(ch chan int, n int) {
	for i := 0; i < n; i++ {
		<-ch
	}
}

func create(dir, name string) *os.File {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		panic(err)
	}
	return f
}

func main() {
	dir := os.Args[1]
	seconds, err := strconv.ParseFloat(os.Args[2], 64)
	if err != nil {
		panic(err)
	}
	runtime.SetBlockProfileRate(1)
	ch := make(chan int)
	go func() {
		for i := 0; i < 100; i++ {
			time.Sleep(5 * time.Millisecond)
			ch <- i
		}
	}()
	waitOnChannelInGo(ch, 100)

	cpu := create(dir, "cpu.pprof")
	if err := pprof.StartCPUProfile(cpu); err != nil {
		panic(err)
	}
	x := burnCPUInGo(time.Now().Add(time.Duration(seconds * float64(time.Second))))
	pprof.StopCPUProfile()
	cpu.Close()

	block := create(dir, "block.pprof")
	if err := pprof.Lookup("block").WriteTo(block, 0); err != nil {
		panic(err)
	}
	block.Close()
	println("done", x)
}

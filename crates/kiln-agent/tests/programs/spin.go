// Two goroutines hash until the process has used SECONDS (argument 1) of CPU
// time, user + system, so the amount of work does not depend on how loaded
// the machine is.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

//go:noinline
func mix(x uint64) uint64 {
	for i := 0; i < 100000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

func cpuTime() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

func work(budget time.Duration, out *uint64, wg *sync.WaitGroup) {
	defer wg.Done()
	x := uint64(1)
	for cpuTime() < budget {
		for i := 0; i < 20; i++ {
			x = mix(x)
		}
	}
	*out = x
}

func main() {
	seconds := 2.0
	if len(os.Args) > 1 {
		seconds, _ = strconv.ParseFloat(os.Args[1], 64)
	}
	budget := time.Duration(seconds * float64(time.Second))
	var wg sync.WaitGroup
	results := make([]uint64, 2)
	for i := range results {
		wg.Add(1)
		go work(budget, &results[i], &wg)
	}
	wg.Wait()
	fmt.Println(results[0] ^ results[1])
}

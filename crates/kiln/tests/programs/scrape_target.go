// A Go program serving net/http/pprof for the `kiln agent` tests and
// benchmark, with a known workload in named functions: CPU in
// burnCPUInKilnScrape, allocations in allocInKilnScrape (the bytes it
// allocated so far are served on /allocated), mutex contention in
// lockInKilnScrape, channel blocking in waitInKilnScrape and 25 goroutines
// parked in parkedInKilnScrape. Every allocation, contention and blocking
// event is recorded (rates of 1). "light" does a fiftieth of the work (for
// the agent's memory benchmark, which runs 50 of them).
// Usage: scrape_target <port> [light]
package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var allocated int64
var sink []byte

//go:noinline
func burnCPUInKilnScrape(d time.Duration) uint64 {
	x := uint64(1)
	until := time.Now().Add(d)
	for time.Now().Before(until) {
		for i := 0; i < 10000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

//go:noinline
func allocInKilnScrape() {
	sink = make([]byte, 64<<10)
	atomic.AddInt64(&allocated, int64(len(sink)))
}

//go:noinline
func lockInKilnScrape(mu *sync.Mutex) {
	mu.Lock()
	time.Sleep(time.Millisecond)
	mu.Unlock()
}

//go:noinline
func waitInKilnScrape(c chan int) {
	<-c
}

//go:noinline
func parkedInKilnScrape(c chan int) {
	<-c
}

func every(d time.Duration, f func()) {
	for {
		f()
		time.Sleep(d)
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: scrape_target <port> [light]")
		os.Exit(2)
	}
	scale := time.Duration(1)
	if len(os.Args) > 2 && os.Args[2] == "light" {
		scale = 50
	}
	runtime.MemProfileRate = 1
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	listener, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/allocated", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strconv.FormatInt(atomic.LoadInt64(&allocated), 10))
	})
	never := make(chan int)
	for i := 0; i < 25; i++ {
		go parkedInKilnScrape(never)
	}
	go every(10*time.Millisecond*scale, allocInKilnScrape)
	var mu sync.Mutex
	for i := 0; i < 2; i++ {
		go every(time.Millisecond*(scale-1), func() { lockInKilnScrape(&mu) })
	}
	ticks := make(chan int)
	go every(5*time.Millisecond*scale, func() { ticks <- 1 })
	go every(0, func() { waitInKilnScrape(ticks) })
	go every(30*time.Millisecond*scale, func() { burnCPUInKilnScrape(20 * time.Millisecond / scale) })
	fmt.Println("listening")
	http.Serve(listener, nil)
}

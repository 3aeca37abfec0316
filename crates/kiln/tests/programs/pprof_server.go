// A Go program serving net/http/pprof, for `kiln adhoc --url`: it listens
// on 127.0.0.1:<port>, burns CPU in burnCPUInKilnPull for <seconds> (0:
// until killed), then exits.
// Usage: pprof_server <port> <seconds>
package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strconv"
	"time"
)

//go:noinline
func burnCPUInKilnPull(until time.Time) uint64 {
	x := uint64(1)
	for time.Now().Before(until) {
		for i := 0; i < 100000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: pprof_server <port> <seconds>")
		os.Exit(2)
	}
	seconds, err := strconv.ParseFloat(os.Args[2], 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(listener, nil)
	end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	if seconds == 0 {
		end = time.Now().Add(24 * time.Hour)
	}
	fmt.Println("burned", burnCPUInKilnPull(end))
}

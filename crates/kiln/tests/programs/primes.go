// The learning example of product.md: a hot loop calls isPrime, then
// slow(n) (sums 1..n one by one) for primes or fast(n) (sums in
// sqrt(n)-sized blocks) for the rest. slow must dominate the flame graph.
package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

//go:noinline
func isPrime(n int64) bool {
	for i := int64(2); i*i <= n; i++ {
		if n%i == 0 {
			return false
		}
	}
	return n > 1
}

//go:noinline
func slow(n int64) int64 {
	sum := int64(0)
	for i := int64(1); i <= n; i++ {
		sum += i
	}
	return sum
}

//go:noinline
func fast(n int64) int64 {
	sum := int64(0)
	root := int64(math.Sqrt(float64(n)))
	for a := int64(1); a <= n; a += root {
		b := a + root - 1
		if n < b {
			b = n
		}
		sum += (b - a + 1) * (a + b) / 2
	}
	return sum
}

func main() {
	seconds := 2.0
	if len(os.Args) > 1 {
		seconds, _ = strconv.ParseFloat(os.Args[1], 64)
	}
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	total := int64(0)
	for time.Now().Before(deadline) {
		for i := int64(1); i < 20000; i++ {
			if isPrime(i) {
				total += slow(i)
			} else {
				total += fast(i)
			}
		}
	}
	fmt.Println("total", total)
}

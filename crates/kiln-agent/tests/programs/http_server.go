// An HTTP server whose handler does real work per request: it hashes a
// JSON document built from the query and sends the digest back. It listens
// on 127.0.0.1 on a free port, prints the port on stdout, and serves until
// it is killed.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
)

type doc struct {
	Key    string   `json:"key"`
	Values []uint64 `json:"values"`
}

func handle(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	d := doc{Key: r.URL.Path, Values: make([]uint64, n)}
	for i := range d.Values {
		d.Values[i] = uint64(i) * 2654435761
	}
	body, _ := json.Marshal(d)
	sum := sha256.Sum256(body)
	for i := 0; i < 200; i++ {
		sum = sha256.Sum256(sum[:])
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintln(w, hex.EncodeToString(sum[:]))
}

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(listener.Addr().(*net.TCPAddr).Port)
	http.HandleFunc("/", handle)
	if err := http.Serve(listener, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Command demomem measures the demo cluster's memory at rest: it starts
// the demo (demo.Start, default 15-minute window, wall clock), generates
// the window with one query, collects garbage and prints VmRSS (from
// /proc/self/status), the heap (runtime.MemStats) and the demo's own
// estimate (MemoryBytes) with its rows per table.
//
//	go run ./bench/demomem
package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/pxgate/pxgate/demo"
)

func main() {
	d, err := demo.Start(context.Background(), demo.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	d.Advance() // generate the whole window
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("VmRSS %s, HeapAlloc %.1f MiB, HeapInuse %.1f MiB, demo estimate %.1f MiB\n",
		vmRSS(), mib(ms.HeapAlloc), mib(ms.HeapInuse), mib(uint64(d.MemoryBytes())))
	total := 0
	for _, t := range d.Tables() {
		total += d.Rows(t)
		fmt.Printf("  %-18s %7d rows\n", t, d.Rows(t))
	}
	fmt.Printf("  %-18s %7d rows\n", "all", total)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// vmRSS reads the resident set size from /proc/self/status.
func vmRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// Command testsummary reads `go test -json` and says what ran. With
// -progress it prints each package's result line as it finishes and the
// output of every failed (or skipped) test; without it, it prints the
// slowest packages, the failed tests and, as its last line,
// "N passed, N failed, N skipped" (tests and subtests; a package that does
// not build counts as one failure). It exits 1 when anything failed.
// scripts/test uses both.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build events: "pkg [pkg.test]"
	Test       string
	Elapsed    float64
	Output     string
}

type summary struct {
	passed, failed, skipped int
	failures                []string
	elapsed                 map[string]float64
	// output buffers each running test's output until we know whether it
	// failed.
	output map[string]*strings.Builder
}

func main() {
	progress := flag.Bool("progress", false, "print results as they come instead of the summary")
	top := flag.Int("slowest", 8, "how many of the slowest packages to list")
	flag.Parse()
	s, err := read(os.Stdin, os.Stdout, *progress)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if !*progress {
		s.print(os.Stdout, *top)
	}
	if s.failed > 0 {
		os.Exit(1)
	}
}

func read(r io.Reader, w io.Writer, progress bool) (*summary, error) {
	s := &summary{elapsed: map[string]float64{}, output: map[string]*strings.Builder{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			if progress { // not JSON: go itself speaking (e.g. a vet error)
				fmt.Fprintln(w, sc.Text())
			}
			continue
		}
		s.add(w, e, progress)
	}
	return s, sc.Err()
}

func (s *summary) add(w io.Writer, e event, progress bool) {
	key := e.Package + " " + e.Test
	switch {
	case e.Action == "build-output" && progress:
		fmt.Fprint(w, e.Output)
	case e.Action == "build-fail":
		s.failed++
		pkg, _, _ := strings.Cut(e.ImportPath, " ")
		s.failures = append(s.failures, pkg+" (build failed)")
	case e.Test == "":
		s.addPackage(w, e, progress)
	case e.Action == "output":
		b := s.output[key]
		if b == nil {
			b = &strings.Builder{}
			s.output[key] = b
		}
		b.WriteString(e.Output)
	case e.Action == "pass", e.Action == "fail", e.Action == "skip":
		switch e.Action {
		case "pass":
			s.passed++
		case "fail":
			s.failed++
			s.failures = append(s.failures, e.Package+" "+e.Test)
		case "skip":
			s.skipped++
		}
		if b := s.output[key]; b != nil && e.Action != "pass" && progress {
			fmt.Fprint(w, b.String())
		}
		delete(s.output, key)
	}
}

// addPackage handles a package's own events: its result line, and a
// failure outside any test (a panic in TestMain, a timeout).
func (s *summary) addPackage(w io.Writer, e event, progress bool) {
	switch e.Action {
	case "output":
		if progress && !strings.HasPrefix(e.Output, "=== ") && strings.TrimSpace(e.Output) != "PASS" {
			fmt.Fprint(w, e.Output)
		}
	case "pass", "fail":
		// A package run twice (the suite, then the fuzz step) is listed
		// by its longer run.
		s.elapsed[e.Package] = max(s.elapsed[e.Package], e.Elapsed)
		if e.Action == "fail" && !s.anyFailureIn(e.Package) {
			s.failed++
			s.failures = append(s.failures, e.Package+" (outside any test)")
		}
	}
}

func (s *summary) anyFailureIn(pkg string) bool {
	for _, f := range s.failures {
		if strings.HasPrefix(f, pkg+" ") {
			return true
		}
	}
	return false
}

func (s *summary) print(w io.Writer, top int) {
	pkgs := make([]string, 0, len(s.elapsed))
	for p := range s.elapsed {
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return s.elapsed[pkgs[i]] > s.elapsed[pkgs[j]] })
	if len(pkgs) > top {
		pkgs = pkgs[:top]
	}
	fmt.Fprintln(w, "slowest packages:")
	for _, p := range pkgs {
		fmt.Fprintf(w, "  %8.1fs  %s\n", s.elapsed[p], p)
	}
	if len(s.failures) > 0 {
		fmt.Fprintln(w, "failed:")
		for _, f := range s.failures {
			fmt.Fprintln(w, "  "+f)
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
}

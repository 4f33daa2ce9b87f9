package store

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestZoneDatabaseBuiltIn: the server carries the IANA zone database
// (time/tzdata), so sleep mode works on a machine without the tzdata
// package; without it every stored schedule in a named zone would silently
// never sleep there (State treats an unknown zone as awake). A missing zone
// directory cannot be simulated in-process, so this checks the package is
// linked into the binary.
func TestZoneDatabaseBuiltIn(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "pixelpals/cmd/pixelpals").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if !slices.Contains(strings.Fields(string(out)), "time/tzdata") {
		t.Fatal("time/tzdata is not linked into pixelpals: sleep mode depends on the machine's tzdata")
	}
}

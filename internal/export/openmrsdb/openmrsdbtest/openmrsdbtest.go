// Package openmrsdbtest helps tests reach the tools package openmrsdb needs.
package openmrsdbtest

import (
	"os"
	"testing"

	"github.com/shepherd-release/shepherd/internal/export/openmrsdb"
)

// Liquibase returns the launcher scripts/tools.sh installs (make test runs it first).
// Without it, or without Java, the test is skipped, except under CI=true, where it fails:
// CI must not pass having skipped the Liquibase loads.
func Liquibase(t testing.TB) openmrsdb.Liquibase {
	t.Helper()
	lb, err := openmrsdb.FindLiquibase()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return lb
}

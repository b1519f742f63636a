// Package openmrsdbtest helps tests reach the tools package openmrsdb needs.
package openmrsdbtest

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the driver the DSN is opened with

	"github.com/shepherd-release/shepherd/internal/export/openmrsdb"
)

// ServerDSN is the local MariaDB the tests use: root without a password.
const ServerDSN = "root@tcp(127.0.0.1:3306)/"

// NeedServer skips the test when the MariaDB at ServerDSN does not answer, except under
// CI=true, where it fails: CI must not pass having skipped the database tests.
func NeedServer(t testing.TB) {
	t.Helper()
	db, err := sql.Open("mysql", ServerDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		msg := "MariaDB is not reachable at 127.0.0.1:3306 as root without a password: " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

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

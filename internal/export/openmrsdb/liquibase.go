package openmrsdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Liquibase is the Liquibase command-line launcher (its MariaDB JDBC driver inside; it
// needs Java 17), as scripts/tools.sh installs it: <tools>/liquibase/liquibase.
type Liquibase struct {
	Path string
}

// changelog applies one SQL file in one changeset, the way CIEL's own check applies a
// dictionary dump (openmrs/openmrs-contrib-liquibaserunner
// liquibase1/src/test/resources/sqlfile-changeset.xml: a changeSet holding
// <sqlFile path=… encoding="UTF-8"/>). Liquibase splits the file on the ';' that ends
// each line (splitStatements, the default) and runs the statements on one connection,
// so the file's SET FOREIGN_KEY_CHECKS=0 holds for all of them. The changeset's id
// carries the file's sha256: Liquibase refuses a known id whose file changed, so a
// later release gets an id of its own, and the same file again is skipped as done.
const changelog = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.6.xsd">
  <changeSet id="concept-dictionary-%s" author="shepherd">
    <sqlFile path="dictionary.sql" relativeToChangelogFile="true" encoding="UTF-8"/>
  </changeSet>
</databaseChangeLog>
`

// quickStartLimit is the SQL size below which the JVM is started for a short run.
const quickStartLimit = 32 << 20

// LiquibaseError is a failed Liquibase run, with the end of its output.
type LiquibaseError struct {
	Err    error
	Output string
}

func (e *LiquibaseError) Error() string {
	return fmt.Sprintf("liquibase: %v: %s", e.Err, e.Output)
}

func (e *LiquibaseError) Unwrap() error { return e.Err }

// ApplySQL runs the SQL from r in database through Liquibase's update command. server is
// the server's address without a database (host and port over TCP). The password goes
// to Liquibase in its environment, never on its command line.
func (l Liquibase) ApplySQL(ctx context.Context, server *mysql.Config, database string, r io.Reader) error {
	if l.Path == "" {
		return errors.New("liquibase: no launcher given")
	}
	if server.Net != "tcp" {
		return fmt.Errorf("liquibase reaches the database over TCP; the address uses %q", server.Net)
	}
	dir, err := os.MkdirTemp("", "shepherd-liquibase-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, "dictionary.sql"))
	if err != nil {
		return err
	}
	sum := sha256.New()
	size, err := io.Copy(io.MultiWriter(f, sum), r)
	if err != nil {
		f.Close()
		return fmt.Errorf("liquibase: writing the SQL file: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	xml := fmt.Sprintf(changelog, hex.EncodeToString(sum.Sum(nil))[:16])
	if err := os.WriteFile(filepath.Join(dir, "changelog.xml"), []byte(xml), 0o600); err != nil {
		return err
	}

	cmd := exec.CommandContext(ctx, l.Path,
		"--url=jdbc:mariadb://"+server.Addr+"/"+database,
		"--username="+server.User,
		"--search-path="+dir,
		"--changelog-file=changelog.xml",
		"--log-level=WARNING",
		"--show-banner=false",
		"update")
	cmd.Dir = dir
	cmd.Env = []string{"LIQUIBASE_COMMAND_PASSWORD=" + server.Passwd}
	// Only what Java and the launcher need: tokens and storage keys stay out.
	for _, name := range []string{"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "JAVA_HOME", "JAVA_OPTS"} {
		if v, ok := os.LookupEnv(name); ok {
			cmd.Env = append(cmd.Env, name+"="+v)
		}
	}
	if os.Getenv("JAVA_OPTS") == "" && size < quickStartLimit {
		// A small file's run is mostly the JVM starting, which takes a quarter of the time
		// without the optimising compiler and its threads (5 s instead of 19 s measured on
		// a busy 2-core machine). A large one needs that compiler: Liquibase reads the
		// whole file and splits it itself (a CIEL-size file of 105 MB: 6m37s without it,
		// 3m50s with it).
		cmd.Env = append(cmd.Env, "JAVA_OPTS=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return &LiquibaseError{Err: err, Output: tail(out.String(), 20)}
	}
	return nil
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ToolsDir is where scripts/tools.sh installs the test tools: $SHEPHERD_TOOLS, else
// $XDG_CACHE_HOME/shepherd/tools, else ~/.cache/shepherd/tools.
func ToolsDir() string {
	if dir := os.Getenv("SHEPHERD_TOOLS"); dir != "" {
		return dir
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "shepherd", "tools")
}

// FindLiquibase returns the launcher scripts/tools.sh installed, once it is there and
// Java can run it.
func FindLiquibase() (Liquibase, error) {
	path := filepath.Join(ToolsDir(), "liquibase", "liquibase")
	if _, err := os.Stat(path); err != nil {
		return Liquibase{}, fmt.Errorf("liquibase is not installed at %s (scripts/tools.sh liquibase installs it): %w", path, err)
	}
	java := "java"
	if home := os.Getenv("JAVA_HOME"); home != "" {
		java = filepath.Join(home, "bin", "java")
	}
	if _, err := exec.LookPath(java); err != nil {
		return Liquibase{}, fmt.Errorf("liquibase needs Java 17 or later, and %s cannot be run: %w", java, err)
	}
	return Liquibase{Path: path}, nil
}

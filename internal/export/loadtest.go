package export

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shepherd-release/shepherd/internal/export/openmrsdb"
	"github.com/shepherd-release/shepherd/internal/words"
)

// LoadOptions configure a load test.
type LoadOptions struct {
	// DSN reaches the server, without a database: "root@tcp(127.0.0.1:3306)/".
	DSN string
	// SQLZip is an artifact written by Build.
	SQLZip string
	// Expected row counts by table (Counts.Rows of the build); tables not listed are
	// counted but not compared.
	Expected Counts
	// Schemas are the OpenMRS versions (openmrsdb.Versions) whose new database the file is
	// loaded into, one after the other. Empty means the ones its format targets: 1.11 for
	// openmrs-1.11; 2.2 and the newest kept for openmrs-2.
	Schemas []string
	// Liquibase, when set, is the Liquibase launcher that applies the file (a changeset
	// with <sqlFile>, as CIEL's own check does); otherwise the file runs statement by
	// statement over the database driver, which needs no Java.
	Liquibase string
}

// LoadResult is what a load test saw.
type LoadResult struct {
	Database string // the last database used (dropped)
	Duration time.Duration
	Rows     map[string]int64 // of the last load; every load is compared with Expected
	Loads    []SchemaLoad
}

// SchemaLoad is one load of the file into one OpenMRS database.
type SchemaLoad struct {
	Schema   string // OpenMRS version
	Database string
	Restore  time.Duration // making the OpenMRS database
	Apply    time.Duration // loading the file
	Check    time.Duration // foreign keys, counts, standard rows
}

// IntegrityError lists what the load test found wrong after a successful load.
type IntegrityError struct {
	File     string
	Problems []string
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("load test of %s: %s: %s", e.File, words.Count(len(e.Problems), "problem", "problems"), strings.Join(e.Problems, "; "))
}

// TargetSchemas are the OpenMRS versions an artifact of the format is loaded into by
// default: the oldest it targets and, for openmrs-2, also the newest kept.
func TargetSchemas(f Format) []string {
	if f == FormatOpenMRS111 {
		return []string{"1.11"}
	}
	return []string{"2.2", openmrsdb.Newest}
}

// LoadTest loads a zipped SQL artifact into a new OpenMRS database of each target
// version (restored from OpenMRS's own schema and core data, see package openmrsdb) on a
// real MySQL/MariaDB server, then checks every foreign key of the whole database, the
// row counts, and that OpenMRS's standard rows (datatypes, classes, map types) kept
// their ids, names and uuids. Each database gets a random name and is dropped again,
// also when something fails. MariaDB does not re-check foreign keys when
// FOREIGN_KEY_CHECKS is switched back on, so the check is done with queries.
func LoadTest(ctx context.Context, opts LoadOptions) (LoadResult, error) {
	began := time.Now()
	res := LoadResult{}
	cfg, err := mysql.ParseDSN(opts.DSN)
	if err != nil {
		return res, fmt.Errorf("load test: the database address is not a valid DSN: %w", err)
	}
	schemas := opts.Schemas
	if len(schemas) == 0 {
		format, err := zipFormat(opts.SQLZip)
		if err != nil {
			return res, err
		}
		schemas = TargetSchemas(format)
	}
	db, err := openServer(cfg)
	if err != nil {
		return res, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("load test: connecting to %s: %w", cfg.Addr, err)
	}
	defer conn.Close()

	var problems []string
	for _, schema := range schemas {
		load, rows, found, err := loadInto(ctx, conn, cfg, schema, opts)
		res.Database, res.Rows = load.Database, rows
		res.Loads = append(res.Loads, load)
		if err != nil {
			return res, err
		}
		for _, p := range found {
			problems = append(problems, "OpenMRS "+schema+": "+p)
		}
	}
	res.Duration = time.Since(began)
	if len(problems) > 0 {
		return res, &IntegrityError{File: opts.SQLZip, Problems: problems}
	}
	return res, nil
}

// loadInto is one load: a new OpenMRS database of the version, the file, the checks.
func loadInto(ctx context.Context, conn *sql.Conn, cfg *mysql.Config, schema string, opts LoadOptions) (SchemaLoad, map[string]int64, []string, error) {
	load := SchemaLoad{Schema: schema}
	t := time.Now()
	name, err := createTargetDatabase(ctx, conn, schema)
	if err != nil {
		return load, nil, nil, err
	}
	load.Database = name
	defer openmrsdb.DropDatabase(conn, name)
	before, err := openmrsdb.ReadStandard(ctx, conn, name)
	if err != nil {
		return load, nil, nil, fmt.Errorf("load test: OpenMRS %s: %w", schema, err)
	}
	load.Restore, t = time.Since(t), time.Now()

	if opts.Liquibase != "" {
		err = applyWithLiquibase(ctx, openmrsdb.Liquibase{Path: opts.Liquibase}, cfg, name, opts.SQLZip)
	} else {
		err = loadZip(ctx, conn, opts.SQLZip)
	}
	if err != nil {
		return load, nil, nil, err
	}
	load.Apply, t = time.Since(t), time.Now()

	problems, err := checkForeignKeys(ctx, conn, name)
	if err != nil {
		return load, nil, nil, err
	}
	rows, err := countRows(ctx, conn)
	if err != nil {
		return load, nil, nil, err
	}
	problems = append(problems, compareCounts(opts.Expected.Rows, rows)...)
	after, err := openmrsdb.ReadStandard(ctx, conn, name)
	if err != nil {
		return load, nil, nil, fmt.Errorf("load test: OpenMRS %s after the load: %w", schema, err)
	}
	problems = append(problems, before.Lost(after)...)
	load.Check = time.Since(t)
	return load, rows, problems, nil
}

// openServer opens a pool on the server without selecting a database.
func openServer(cfg *mysql.Config) (*sql.DB, error) {
	cfg = cfg.Clone()
	cfg.DBName = ""
	cfg.MultiStatements = false
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("load test: %w", err)
	}
	return sql.OpenDB(connector), nil
}

// createTargetDatabase makes a database with a random name holding a new OpenMRS
// database of the version. The connection is left using it.
func createTargetDatabase(ctx context.Context, conn *sql.Conn, schema string) (string, error) {
	name, err := openmrsdb.CreateDatabase(ctx, conn, "shepherd_load_")
	if err != nil {
		return "", fmt.Errorf("load test: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "USE `"+name+"`"); err != nil {
		openmrsdb.DropDatabase(conn, name)
		return "", fmt.Errorf("load test: using database %s: %w", name, err)
	}
	if err := openmrsdb.Restore(ctx, conn, schema); err != nil {
		openmrsdb.DropDatabase(conn, name)
		return "", fmt.Errorf("load test: %w", err)
	}
	return name, nil
}

// createScratchDatabase makes a new OpenMRS database of the newest version kept.
func createScratchDatabase(ctx context.Context, conn *sql.Conn) (string, error) {
	return createTargetDatabase(ctx, conn, openmrsdb.Newest)
}

// applyWithLiquibase unzips the artifact's SQL for Liquibase and applies it.
func applyWithLiquibase(ctx context.Context, lb openmrsdb.Liquibase, cfg *mysql.Config, database, zipPath string) error {
	r, name, err := openZipSQL(zipPath)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := lb.ApplySQL(ctx, cfg, database, r); err != nil {
		return fmt.Errorf("load test: %s through Liquibase: %w", name, err)
	}
	return nil
}

// zipFormat reads the format from the header of the artifact's SQL ("-- Format: …").
func zipFormat(zipPath string) (Format, error) {
	r, name, err := openZipSQL(zipPath)
	if err != nil {
		return "", err
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for i := 0; i < 20 && sc.Scan(); i++ {
		rest, ok := strings.CutPrefix(sc.Text(), "-- Format: ")
		if !ok {
			continue
		}
		f, _, _ := strings.Cut(rest, " ")
		format, err := ParseFormat(f)
		if err != nil {
			return "", fmt.Errorf("load test: %s: %w", name, err)
		}
		return format, nil
	}
	return "", fmt.Errorf("load test: %s names no format in its first lines (\"-- Format: …\")", name)
}

// dropDatabase cleans up even when the caller's context is already cancelled.
func dropDatabase(conn *sql.Conn, name string) { openmrsdb.DropDatabase(conn, name) }

// openZipSQL opens the one .sql file of an artifact; name is "zip!entry".
func openZipSQL(zipPath string) (io.ReadCloser, string, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, "", fmt.Errorf("load test: opening %s: %w", zipPath, err)
	}
	var entry *zip.File
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".sql") {
			if entry != nil {
				zr.Close()
				return nil, "", fmt.Errorf("load test: %s holds more than one .sql file", zipPath)
			}
			entry = f
		}
	}
	if entry == nil {
		zr.Close()
		return nil, "", fmt.Errorf("load test: %s holds no .sql file", zipPath)
	}
	name := zipPath + "!" + entry.Name
	r, err := entry.Open()
	if err != nil {
		zr.Close()
		return nil, "", fmt.Errorf("load test: reading %s: %w", name, err)
	}
	return openZipEntry{r, zr}, name, nil
}

type openZipEntry struct {
	io.ReadCloser
	zip *zip.ReadCloser
}

func (z openZipEntry) Close() error {
	z.ReadCloser.Close()
	return z.zip.Close()
}

// loadZip streams the one .sql file of an artifact into the connection's database.
func loadZip(ctx context.Context, conn *sql.Conn, zipPath string) error {
	r, name, err := openZipSQL(zipPath)
	if err != nil {
		return err
	}
	defer r.Close()
	return loadSQL(ctx, conn, r, name)
}

// loadSQL runs a file written by WriteSQL: every statement is one line ending in ';'
// and lines starting with "--" are comments.
func loadSQL(ctx context.Context, conn *sql.Conn, r io.Reader, name string) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 1; ; line++ {
		text, err := br.ReadBytes('\n')
		if len(text) > 0 {
			if execErr := execLine(ctx, conn, text); execErr != nil {
				return fmt.Errorf("load test: %s line %d: %w", name, line, execErr)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load test: reading %s line %d: %w", name, line, err)
		}
	}
}

func execLine(ctx context.Context, conn *sql.Conn, text []byte) error {
	stmt := bytes.TrimRight(text, "\r\n")
	if len(bytes.TrimSpace(stmt)) == 0 || bytes.HasPrefix(stmt, []byte("--")) {
		return nil
	}
	if !bytes.HasSuffix(stmt, []byte(";")) {
		return fmt.Errorf("statement does not end with ';' on its line: %.80s", stmt)
	}
	if _, err := conn.ExecContext(ctx, string(stmt[:len(stmt)-1])); err != nil {
		return fmt.Errorf("%w (statement: %.120s…)", err, stmt)
	}
	return nil
}

// checkForeignKeys finds, for every foreign key of the database, values that have no
// parent row.
func checkForeignKeys(ctx context.Context, conn *sql.Conn, database string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME, CONSTRAINT_NAME
		FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL
		ORDER BY TABLE_NAME, CONSTRAINT_NAME`, database)
	if err != nil {
		return nil, fmt.Errorf("load test: listing foreign keys: %w", err)
	}
	type fk struct{ table, column, refTable, refColumn, name string }
	var fks []fk
	for rows.Next() {
		var k fk
		if err := rows.Scan(&k.table, &k.column, &k.refTable, &k.refColumn, &k.name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load test: listing foreign keys: %w", err)
		}
		fks = append(fks, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load test: listing foreign keys: %w", err)
	}
	if len(fks) == 0 {
		return nil, errors.New("load test: the database has no foreign keys: the SQL did not create the concept tables")
	}
	var problems []string
	for _, k := range fks {
		q := fmt.Sprintf("SELECT COUNT(*), MIN(c.`%s`) FROM `%s` c LEFT JOIN `%s` p ON p.`%s` = c.`%s` WHERE c.`%s` IS NOT NULL AND p.`%s` IS NULL",
			k.column, k.table, k.refTable, k.refColumn, k.column, k.column, k.refColumn)
		var missing int64
		var example sql.NullString
		if err := conn.QueryRowContext(ctx, q).Scan(&missing, &example); err != nil {
			return nil, fmt.Errorf("load test: checking %s.%s → %s.%s: %w", k.table, k.column, k.refTable, k.refColumn, err)
		}
		if missing > 0 {
			what := "rows of %s.%s point"
			if missing == 1 {
				what = "row of %s.%s points"
			}
			problems = append(problems, fmt.Sprintf("%s "+what+" at no %s.%s (e.g. %s)",
				words.Number(int(missing)), k.table, k.column, k.refTable, k.refColumn, example.String))
		}
	}
	return problems, nil
}

// countRows counts the rows of every concept table that the load brought: rows a load
// kept only because the release no longer has them (and a site may point at them) are not
// the release's.
func countRows(ctx context.Context, conn *sql.Conn) (map[string]int64, error) {
	counts := make(map[string]int64, len(tables))
	for t := range tables {
		q := countQuery(t)
		var n int64
		if err := conn.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return nil, fmt.Errorf("load test: counting %s: %w", tables[t].name, err)
		}
		counts[tables[t].name] = n
	}
	return counts, nil
}

func countQuery(t int) string {
	q := "SELECT COUNT(*) FROM `" + tables[t].name + "`"
	switch tables[t].keepDropped {
	case "retired":
		q += " WHERE NOT (`retired`=1 AND `retire_reason` LIKE " + quote(keptPattern) + ")"
	case "voided":
		q += " WHERE NOT (`voided`=1 AND `void_reason` LIKE " + quote(keptPattern) + ")"
	}
	return q
}

// CountQuery is the SQL that counts a concept table's rows as the release's counts do
// (rows kept only because a site may point at them left out), and whether table is one
// the SQL artifacts write. The runbook gives it to the people who load a release.
func CountQuery(table string) (string, bool) {
	for t := range tables {
		if tables[t].name == table {
			return countQuery(t), true
		}
	}
	return "", false
}

func compareCounts(expected, got map[string]int64) []string {
	var problems []string
	for _, table := range slices.Sorted(maps.Keys(expected)) {
		if got[table] != expected[table] {
			problems = append(problems, fmt.Sprintf("%s has %d rows, the export gives %d", table, got[table], expected[table]))
		}
	}
	return problems
}

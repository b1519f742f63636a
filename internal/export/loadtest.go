package export

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
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
}

// LoadResult is what a load test saw.
type LoadResult struct {
	Database string
	Duration time.Duration
	Rows     map[string]int64
}

// IntegrityError lists what the load test found wrong after a successful load.
type IntegrityError struct {
	File     string
	Problems []string
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("load test of %s: %d problem(s): %s", e.File, len(e.Problems), strings.Join(e.Problems, "; "))
}

// LoadTest loads a zipped SQL artifact into a fresh database on a real MySQL/MariaDB
// server, checks every foreign key and the row counts, and drops the database again,
// also when something fails. MariaDB does not re-check foreign keys when
// FOREIGN_KEY_CHECKS is switched back on, so the check is done with queries.
func LoadTest(ctx context.Context, opts LoadOptions) (LoadResult, error) {
	began := time.Now()
	res := LoadResult{}
	cfg, err := mysql.ParseDSN(opts.DSN)
	if err != nil {
		return res, fmt.Errorf("load test: the database address is not a valid DSN: %w", err)
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

	res.Database, err = createScratchDatabase(ctx, conn)
	if err != nil {
		return res, err
	}
	defer dropDatabase(conn, res.Database)

	if err := loadZip(ctx, conn, opts.SQLZip); err != nil {
		return res, err
	}
	problems, err := checkForeignKeys(ctx, conn, res.Database)
	if err != nil {
		return res, err
	}
	res.Rows, err = countRows(ctx, conn)
	if err != nil {
		return res, err
	}
	problems = append(problems, compareCounts(opts.Expected.Rows, res.Rows)...)
	res.Duration = time.Since(began)
	if len(problems) > 0 {
		return res, &IntegrityError{File: opts.SQLZip, Problems: problems}
	}
	return res, nil
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

// createScratchDatabase makes a database with a random name and, in it, the few
// non-concept OpenMRS tables the SQL refers to. The connection is left using it.
func createScratchDatabase(ctx context.Context, conn *sql.Conn) (string, error) {
	var random [6]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", err
	}
	name := "shepherd_load_" + hex.EncodeToString(random[:])
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return "", fmt.Errorf("load test: creating database %s: %w", name, err)
	}
	if err := prepareOpenMRSTables(ctx, conn, name); err != nil {
		dropDatabase(conn, name)
		return "", err
	}
	return name, nil
}

// openMRSBaseTables stand in for the rest of an OpenMRS database: users (with the
// admin, user 1), drug (which points at concept, as in OpenMRS) and global_property.
var openMRSBaseTables = []string{
	"SET FOREIGN_KEY_CHECKS=0",
	"CREATE TABLE `users` (`user_id` int(11) NOT NULL AUTO_INCREMENT, `system_id` varchar(50) NOT NULL DEFAULT '', `username` varchar(50) DEFAULT NULL, `uuid` char(38) NOT NULL, PRIMARY KEY (`user_id`), UNIQUE KEY `users_uuid_index` (`uuid`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"INSERT INTO `users` (`user_id`,`system_id`,`username`,`uuid`) VALUES (1,'admin','admin','1010d442-e134-11de-babe-001e378eb67e')",
	"CREATE TABLE `drug` (`drug_id` int(11) NOT NULL AUTO_INCREMENT, `concept_id` int(11) NOT NULL DEFAULT '0', `name` varchar(255) DEFAULT NULL, `uuid` char(38) NOT NULL, PRIMARY KEY (`drug_id`), KEY `primary_drug_concept` (`concept_id`), CONSTRAINT `primary_drug_concept` FOREIGN KEY (`concept_id`) REFERENCES `concept` (`concept_id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE `global_property` (`property` varchar(255) NOT NULL DEFAULT '', `property_value` text, `description` text, `uuid` char(38) NOT NULL, PRIMARY KEY (`property`), UNIQUE KEY `global_property_uuid_index` (`uuid`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"SET FOREIGN_KEY_CHECKS=1",
}

func prepareOpenMRSTables(ctx context.Context, conn *sql.Conn, database string) error {
	if _, err := conn.ExecContext(ctx, "USE `"+database+"`"); err != nil {
		return fmt.Errorf("load test: using database %s: %w", database, err)
	}
	for _, stmt := range openMRSBaseTables {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("load test: preparing database %s: %w", database, err)
		}
	}
	return nil
}

// dropDatabase cleans up even when the caller's context is already cancelled.
func dropDatabase(conn *sql.Conn, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
}

// loadZip streams the one .sql file of an artifact into the connection's database.
func loadZip(ctx context.Context, conn *sql.Conn, zipPath string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return fmt.Errorf("load test: opening %s: %w", zipPath, err)
	}
	defer zr.Close()
	var entry *zip.File
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".sql") {
			if entry != nil {
				return fmt.Errorf("load test: %s holds more than one .sql file", zipPath)
			}
			entry = f
		}
	}
	if entry == nil {
		return fmt.Errorf("load test: %s holds no .sql file", zipPath)
	}
	r, err := entry.Open()
	if err != nil {
		return fmt.Errorf("load test: reading %s!%s: %w", zipPath, entry.Name, err)
	}
	defer r.Close()
	return loadSQL(ctx, conn, r, zipPath+"!"+entry.Name)
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
			problems = append(problems, fmt.Sprintf("%d row(s) of %s.%s point at no %s.%s (e.g. %s)",
				missing, k.table, k.column, k.refTable, k.refColumn, example.String))
		}
	}
	return problems, nil
}

// countRows counts the rows of every concept table.
func countRows(ctx context.Context, conn *sql.Conn) (map[string]int64, error) {
	counts := make(map[string]int64, len(tables))
	for _, name := range TableNames() {
		var n int64
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+name+"`").Scan(&n); err != nil {
			return nil, fmt.Errorf("load test: counting %s: %w", name, err)
		}
		counts[name] = n
	}
	return counts, nil
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

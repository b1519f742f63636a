// Package openmrsdb holds real OpenMRS databases as data, for loading the SQL artifacts
// into the schema they target instead of a picture of it: a clean 1.11.0 database and new
// 2.N databases built by OpenMRS's own Liquibase changelogs (scripts/openmrs-schemas.sh;
// origin and licence in source/README.md). It restores one into a fresh database, applies
// a SQL file through Liquibase as CIEL's own check does, and reads OpenMRS's standard
// rows so a caller can prove they survived.
package openmrsdb

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"time"
)

// The dumps are mysqldump output of each database (schema and core data, without
// Liquibase's DATABASECHANGELOG tables), gzipped.
//
//go:embed schemas/*.sql.gz
var schemas embed.FS

// Versions are the OpenMRS versions whose databases are kept, oldest first.
var Versions = []string{"1.11", "2.2", "2.7", "2.9"}

// Newest is the newest OpenMRS version kept.
var Newest = Versions[len(Versions)-1]

// Dump returns the SQL that recreates a new OpenMRS database of the version.
func Dump(version string) ([]byte, error) {
	if !slices.Contains(Versions, version) {
		return nil, fmt.Errorf("no OpenMRS %s database is kept (known: %v)", version, Versions)
	}
	f, err := schemas.Open("schemas/openmrs-" + version + ".sql.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("OpenMRS %s database: %w", version, err)
	}
	return io.ReadAll(zr)
}

// CreateDatabase makes an empty database with a random name that starts with prefix,
// as OpenMRS creates its own: utf8 (utf8mb3), utf8_general_ci.
func CreateDatabase(ctx context.Context, conn *sql.Conn, prefix string) (string, error) {
	var random [6]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", err
	}
	name := prefix + hex.EncodeToString(random[:])
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8 COLLATE utf8_general_ci"); err != nil {
		return "", fmt.Errorf("creating database %s: %w", name, err)
	}
	return name, nil
}

// DropDatabase removes a database, also when the caller's context is already cancelled.
func DropDatabase(conn *sql.Conn, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
}

// Restore fills the connection's current database (which should be empty) with the
// OpenMRS database of the version, statement by statement on that connection. The dumps
// are mysqldump's: a statement ends with the line that ends in ';' (mysqldump escapes
// newlines inside strings), and lines starting with "--" between statements are comments.
func Restore(ctx context.Context, conn *sql.Conn, version string) error {
	dump, err := Dump(version)
	if err != nil {
		return err
	}
	var stmt []byte
	for line := range bytes.Lines(dump) {
		line = bytes.TrimRight(line, "\r\n")
		if len(stmt) == 0 && (len(bytes.TrimSpace(line)) == 0 || bytes.HasPrefix(line, []byte("--"))) {
			continue
		}
		stmt = append(stmt, line...)
		if !bytes.HasSuffix(line, []byte(";")) {
			stmt = append(stmt, '\n')
			continue
		}
		if _, err := conn.ExecContext(ctx, string(stmt[:len(stmt)-1])); err != nil {
			return fmt.Errorf("restoring OpenMRS %s: %w (statement: %.120s…)", version, err, stmt)
		}
		stmt = stmt[:0]
	}
	if len(bytes.TrimSpace(stmt)) > 0 {
		return fmt.Errorf("restoring OpenMRS %s: the dump ends inside a statement: %.120s…", version, stmt)
	}
	return nil
}

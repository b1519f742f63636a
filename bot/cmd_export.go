package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/words"
)

func runExport(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "export", "export --export FILE --format openmrs-1.11|openmrs-2[,…] --out DIR [--version vYYYY-MM-DD] [--previous-idmap FILE] [--idmap-out FILE] [--load-test DSN [--liquibase PATH]]")
	exportPath := fs.String("export", "", "an OCL export file (zip holding export.json)")
	formats := fs.String("format", "openmrs-1.11,openmrs-2", "comma-separated formats: openmrs-1.11, openmrs-2")
	out := fs.String("out", "", "output folder")
	version := fs.String("version", "", "dictionary version to record (default: the export's)")
	prevIDs := fs.String("previous-idmap", "", "the id map of the previous release, so that its rows keep their ids")
	idsOut := fs.String("idmap-out", "", "where to write this release's id map (for the next release)")
	sourcesFile := fs.String("reference-sources", "", `a JSON list of reference sources as the sites have them, besides CIEL's: [{"id":30,"name":"My Codes","uuid":"…","hl7_code":"","description":"…"}]`)
	classesFile := fs.String("concept-classes", "", `a JSON list of concept classes with the uuids sites know, besides CIEL's: [{"name":"…","uuid":"…","description":"…"}]`)
	loadDSN := fs.String("load-test", "", `also load each file into a fresh database on this MariaDB/MySQL server and check it, e.g. "root@tcp(127.0.0.1:3306)/"`)
	liquibase := fs.String("liquibase", "", "with --load-test: apply each file through this Liquibase launcher (scripts/tools.sh installs one) instead of statement by statement")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *exportPath == "" || *out == "" {
		return usageError("--export and --out are required")
	}
	var fmts []export.Format
	for _, name := range strings.Split(*formats, ",") {
		f, err := export.ParseFormat(strings.TrimSpace(name))
		if err != nil {
			return usageError("--format: %v", err)
		}
		fmts = append(fmts, f)
	}
	if *loadDSN != "" {
		// Before minutes of SQL writing: an unreachable server means the command cannot run.
		if err := checkDatabase(ctx, *loadDSN); err != nil {
			return usageError("--load-test: %v", err)
		}
	}
	_, statErr := os.Stat(*out)
	outWasMissing := errors.Is(statErr, os.ErrNotExist)
	opts := export.SQLOptions{Version: *version, PreviousIDMap: *prevIDs, IDMapOut: *idsOut}
	if err := readJSONList(*sourcesFile, &opts.Sources); err != nil {
		return usageError("--reference-sources: %v", err)
	}
	if err := readJSONList(*classesFile, &opts.Classes); err != nil {
		return usageError("--concept-classes: %v", err)
	}
	arts, err := export.Build(ctx, *exportPath, *out, fmts, opts)
	if err != nil {
		if outWasMissing {
			os.Remove(*out) // the folder this run made, empty again after a failed build
		}
		return err
	}
	if err := export.WriteChecksums(*out, arts); err != nil {
		return err
	}
	for _, a := range arts {
		fmt.Fprintf(env.stdout, "%s  %d bytes  sha256 %s\n", a.Path, a.Size, a.SHA256)
		if a.Counts != nil {
			fmt.Fprintf(env.stdout, "  %s, %s read; rows: %s\n", words.Count(int(a.Counts.Concepts), "concept", "concepts"), words.Count(int(a.Counts.Mappings), "mapping", "mappings"), formatRows(a.Counts.Rows))
		}
		if *loadDSN == "" || a.Counts == nil {
			continue
		}
		res, err := export.LoadTest(ctx, export.LoadOptions{DSN: *loadDSN, SQLZip: a.Path, Expected: *a.Counts, Liquibase: *liquibase})
		if err != nil {
			return findings("load test of %s failed: %v", a.Name, err)
		}
		fmt.Fprintf(env.stdout, "  load test: loaded and checked in %s\n", words.Duration(res.Duration))
	}
	fmt.Fprintf(env.stdout, "checksums in %s/SHA256SUMS (check with: cd %s && sha256sum -c SHA256SUMS)\n", *out, *out)
	return nil
}

// checkDatabase makes sure the load-test server answers.
func checkDatabase(ctx context.Context, dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("not a valid DSN (like root@tcp(127.0.0.1:3306)/): %w", err)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("cannot reach the database server at %s: %w", cfg.Addr, err)
	}
	return nil
}

func formatRows(rows map[string]int64) string {
	var parts []string
	for _, t := range export.TableNames() {
		if n, ok := rows[t]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", t, n))
		}
	}
	return strings.Join(parts, ", ")
}

// readJSONList reads a JSON list from path into v; an empty path reads nothing. Unknown
// fields are refused so that a misspelt key is not silently ignored.
func readJSONList(path string, v any) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

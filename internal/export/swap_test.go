package export

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadWithClient feeds an SQL file to the mariadb client as a site would, and returns what
// the client said and whether it failed.
func loadWithClient(t *testing.T, database, sqlFile string) (string, error) {
	t.Helper()
	client, err := exec.LookPath("mariadb")
	if err != nil {
		client, err = exec.LookPath("mysql")
	}
	require.NoError(t, err, "the load test of a failed load needs the mariadb or mysql client")
	in, err := os.Open(sqlFile)
	require.NoError(t, err)
	defer in.Close()
	cmd := exec.Command(client, "--host=127.0.0.1", "--port=3306", "--user=root", "--database="+database)
	cmd.Stdin = in
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// A load that fails leaves the site as it was: release A is loaded into a real OpenMRS
// schema, then artifacts of release B broken at several places are loaded over it with the
// mariadb client; after each, every concept table and the version property are A's.
func TestFailedLoadLeavesTheLoadedDictionary(t *testing.T) {
	mariaDB(t)
	conn, name := targetDatabase(t, TargetSchemas(FormatOpenMRS2)[0])
	ctx := context.Background()

	dir := t.TempDir()
	exportA := writeExport(t, version("v2026-01-01", "2026-01-01T10:00:00Z"), concepts(releaseA), mappings(releaseA))
	artsA, err := Build(ctx, exportA, filepath.Join(dir, "a"), []Format{FormatOpenMRS2}, SQLOptions{IDMapOut: filepath.Join(dir, "a.idmap.gz")})
	require.NoError(t, err)
	out, err := loadWithClient(t, name, unzipSQL(t, artsA[0].Path))
	require.NoError(t, err, out)
	loaded := checksums(t, conn, name)
	loadedVersion := func() string {
		var v string
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT property_value FROM global_property WHERE property = 'ciel.conceptsVersion'").Scan(&v))
		return v
	}
	require.Equal(t, "v2026-01-01", loadedVersion())

	exportB := writeExport(t, version("v2026-02-01", "2026-02-01T10:00:00Z"), concepts(releaseB), mappings(releaseB))
	artsB, err := Build(ctx, exportB, filepath.Join(dir, "b"), []Format{FormatOpenMRS2},
		SQLOptions{PreviousIDMap: filepath.Join(dir, "a.idmap.gz")})
	require.NoError(t, err)
	sqlB, err := os.ReadFile(unzipSQL(t, artsB[0].Path))
	require.NoError(t, err)
	good := string(sqlB)

	duplicateName := "INSERT INTO `concept_name` (`concept_name_id`,`concept_id`,`name`,`locale`,`creator`,`date_created`,`uuid`) VALUES (101,1,'x','en',1,'2026-01-01 00:00:00','dup');\n"
	breaks := map[string]func(string) string{
		// A row the side table refuses, half way through the rows.
		"a bad row among the inserts": func(s string) string {
			i := strings.Index(s, "INSERT INTO `shepherd_stage_concept_name`")
			return s[:i] + "INSERT INTO `shepherd_stage_concept` (`concept_id`) VALUES ('not a number');\n" + s[i:]
		},
		// The file ends early, as a truncated download does: the swap never starts.
		"a truncated file": func(s string) string {
			return s[:strings.Index(s, "START TRANSACTION;")] + "INSERT INTO `shepherd_stage_concept` VALUES (1,"
		},
		// A failure inside the swap, after the live tables were emptied: rolled back.
		"a failure inside the swap": func(s string) string { return strings.Replace(s, "COMMIT;", duplicateName+"COMMIT;", 1) },
	}
	for what, edit := range breaks {
		t.Run(what, func(t *testing.T) {
			broken := filepath.Join(t.TempDir(), "broken.sql")
			require.NoError(t, os.WriteFile(broken, []byte(edit(good)), 0o644))
			out, err := loadWithClient(t, name, broken)
			require.Error(t, err, "the broken file must fail to load: %s", out)
			if what == "a failure inside the swap" {
				assert.Contains(t, out, "Duplicate entry '101'", "it failed at the injected row, after the DELETEs")
			}
			assert.Equal(t, loaded, checksums(t, conn, name), "the concept tables are release A's")
			assert.Equal(t, "v2026-01-01", loadedVersion())
		})
	}

	// Close case: the unbroken file replaces A.
	out, err = loadWithClient(t, name, unzipSQL(t, artsB[0].Path))
	require.NoError(t, err, out)
	assert.NotEqual(t, loaded, checksums(t, conn, name))
	assert.Equal(t, "v2026-02-01", loadedVersion())
	var stages int
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE 'shepherd\\_stage\\_%'", name).Scan(&stages))
	assert.Zero(t, stages, "the side tables are dropped")
}

package export

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildIsByteIdenticalAcrossRuns(t *testing.T) {
	path := fixtureExport(t)
	first, err := Build(context.Background(), path, t.TempDir(), Formats, SQLOptions{})
	require.NoError(t, err)
	second, err := Build(context.Background(), path, t.TempDir(), Formats, SQLOptions{})
	require.NoError(t, err)
	require.Len(t, first, 2)
	for i := range first {
		assert.Equal(t, first[i].SHA256, second[i].SHA256, first[i].Name)
		a, err := os.ReadFile(first[i].Path)
		require.NoError(t, err)
		b, err := os.ReadFile(second[i].Path)
		require.NoError(t, err)
		assert.Equal(t, a, b)
		assert.EqualValues(t, len(a), first[i].Size)
	}
	assert.Equal(t, "openmrs_concepts_1.11_v2026-11-22.sql.zip", first[0].Name)
	assert.Equal(t, "openmrs_concepts_2_v2026-11-22.sql.zip", first[1].Name)
	assert.Equal(t, fixtureRows, first[0].Counts.Rows)
}

// The zip holds exactly what WriteSQL writes.
func TestBuildZipHoldsTheSQL(t *testing.T) {
	path := fixtureExport(t)
	artifacts, err := Build(context.Background(), path, t.TempDir(), []Format{FormatOpenMRS111}, SQLOptions{})
	require.NoError(t, err)
	got, err := os.ReadFile(unzipSQL(t, artifacts[0].Path))
	require.NoError(t, err)
	want, _ := writeSQLString(t, path, FormatOpenMRS111, SQLOptions{})
	assert.Equal(t, want, string(got))
	assert.Equal(t, "openmrs_concepts_1.11_v2026-11-22.sql", filepath.Base(unzipSQL(t, artifacts[0].Path)))
}

func TestBuildLeavesNothingBehindOnFailure(t *testing.T) {
	bad := writeExport(t, fixtureVersion, append(fixtureConcepts(), fixtureConcepts()[0]), nil) // a duplicate concept
	outDir := t.TempDir()
	_, err := Build(context.Background(), bad, outDir, Formats, SQLOptions{})
	require.ErrorContains(t, err, `concept "1000": appears twice`)
	entries, err := os.ReadDir(outDir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestBuildRefusesUnknownFormats(t *testing.T) {
	_, err := Build(context.Background(), fixtureExport(t), t.TempDir(), []Format{"openmrs-9"}, SQLOptions{})
	require.ErrorContains(t, err, "unknown export format")
	_, err = Build(context.Background(), fixtureExport(t), t.TempDir(), nil, SQLOptions{})
	require.ErrorContains(t, err, "no export format")
}

func TestChecksumsVerifyWithSha256sum(t *testing.T) {
	sha256sum, err := exec.LookPath("sha256sum")
	require.NoError(t, err, "sha256sum (coreutils) is needed")
	outDir := t.TempDir()
	artifacts, err := Build(context.Background(), fixtureExport(t), outDir, Formats, SQLOptions{})
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(outDir, "extra"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "extra", "notes.txt"), []byte("notes\n"), 0o644))
	notes, err := fileArtifact(filepath.Join(outDir, "extra", "notes.txt"), "extra/notes.txt", "script:extra")
	require.NoError(t, err)
	files := append([]Artifact{notes}, artifacts...)
	require.NoError(t, WriteChecksums(outDir, files))

	data, err := os.ReadFile(filepath.Join(outDir, ChecksumsFile))
	require.NoError(t, err)
	assert.Equal(t, "extra/notes.txt", string(data[66:81]), "two spaces, relative name")
	assert.Regexp(t, `^[0-9a-f]{64}  extra/notes.txt\n[0-9a-f]{64}  openmrs_concepts_1.11_v2026-11-22.sql.zip\n[0-9a-f]{64}  openmrs_concepts_2_v2026-11-22.sql.zip\n$`, string(data), "sorted by name")

	check := exec.Command(sha256sum, "-c", ChecksumsFile)
	check.Dir = outDir
	out, err := check.CombinedOutput()
	require.NoError(t, err, "%s", out)

	require.NoError(t, os.WriteFile(filepath.Join(outDir, "extra", "notes.txt"), []byte("tampered\n"), 0o644))
	check = exec.Command(sha256sum, "-c", ChecksumsFile)
	check.Dir = outDir
	_, err = check.CombinedOutput()
	assert.Error(t, err, "a changed file fails the check")
}

func TestWriteChecksumsRefusesUnsafeNames(t *testing.T) {
	for _, name := range []string{"", "../up", "/abs", "new\nline", `back\slash`} {
		err := WriteChecksums(t.TempDir(), []Artifact{{Name: name, SHA256: string(make([]byte, 64))}})
		assert.Error(t, err, "%q", name)
	}
}

func TestWriteManifest(t *testing.T) {
	outDir := t.TempDir()
	artifacts, err := Build(context.Background(), fixtureExport(t), outDir, Formats, SQLOptions{})
	require.NoError(t, err)
	created := time.Date(2026, 11, 22, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	m := ReleaseManifest{
		Source:  "CIEL",
		Version: "v2026-11-22",
		Created: created,
		Expires: created.Add(21 * 24 * time.Hour),
		Counts:  artifacts[0].Counts,
		QA:      map[string]int{"errors": 0, "warnings": 3},
		Files:   []Artifact{artifacts[1], artifacts[0]},
	}
	require.NoError(t, WriteManifest(outDir, m))

	var got map[string]any
	data, err := os.ReadFile(filepath.Join(outDir, ManifestFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, "CIEL", got["source"])
	assert.Equal(t, "v2026-11-22", got["version"])
	assert.Equal(t, "2026-11-22T08:00:00Z", got["created"])
	assert.Equal(t, "2026-12-13T08:00:00Z", got["expires"])
	assert.Equal(t, map[string]any{"errors": 0.0, "warnings": 3.0}, got["qa"])
	assert.Equal(t, 10.0, got["counts"].(map[string]any)["rows"].(map[string]any)["concept"])
	files := got["files"].([]any)
	require.Len(t, files, 2)
	first := files[0].(map[string]any)
	assert.Equal(t, "openmrs_concepts_1.11_v2026-11-22.sql.zip", first["name"], "sorted by name")
	assert.Equal(t, artifacts[0].SHA256, first["sha256"])
	assert.EqualValues(t, artifacts[0].Size, first["size"])
	assert.NotContains(t, string(data), outDir, "no local paths")

	entries, err := os.ReadDir(outDir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp-", "no temporary file left")
	}
}

package qa

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// troubled is a source with problems of every scope, including targets that come
// after the concepts pointing to them.
func troubled() (ocl.SourceVersion, *ocltest.SliceContent) {
	version := ocl.SourceVersion{ID: "v2026-11-22", URL: "/orgs/CIEL/sources/CIEL/v2026-11-22/", SupportedLocales: ocl.Locales{"en", "fr"}}
	d := dataset{
		concepts: cs(
			concept("1", datatype("Coded"), addNames(fsn("Paludisme", "fr", true), synonym("Palu", "fr", true))),
			concept("2", class("ConvSet"), extras(`{"allow_decimal": "true", "colour": "red"}`)),
			concept("3", names(fsn("Concept 1", "en", true), synonym("Malaria", "es", false))),
			concept("4", retired, externalID(uuidFor("2"))),
			concept("5", class("ConvSet")),
			concept("6", datatype("Numeric"), class("Test")),
		),
		noSelf: []string{"6"},
		mappings: ms(
			mapping("101", "1", "Q-AND-A", testSource, "3"),
			mapping("102", "1", "Q-AND-A", testSource, "4"),
			mapping("103", "1", "Q-AND-A", testSource, "999"),
			mapping("104", "2", "CONCEPT-SET", testSource, "5"),
			mapping("105", "5", "CONCEPT-SET", testSource, "2"),
			mapping("106", "5", "SAME-AS", "SNOMED-CT", "77"),
			mapping("107", "3", "SAME-AS", "SNOMED-CT", "77"),
			mapping("108", "3", "NARROWER-THAN", "SNOMED-CT", "77"),
			mappingExtras(mapping("109", "2", "SAME-AS", "ICD-10-WHO", "B54.8"), `{"retired_reason": "x"}`),
		),
	}
	return version, &ocltest.SliceContent{Concepts: d.concepts, Mappings: d.allMappings()}
}

func writeZip(t *testing.T, version ocl.SourceVersion, content ocltest.Content) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "CIEL_CIEL_v2026-11-22.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, ocltest.WriteExport(f, version, content))
	require.NoError(t, f.Close())
	return path
}

func TestCheckExport(t *testing.T) {
	version, content := troubled()
	rep, err := CheckExport(context.Background(), writeZip(t, version, content), testOptions())
	require.NoError(t, err)

	want := []place{
		at("FR-01", "1", "", "fr", ""),
		at("FR-08", "3", "", "es", ""),
		at("FR-09", "3", "", "en", ""),
		at("FR-10", "3", "", "en", ""),
		at("FR-22", "1", "102", "", ""),
		at("XR-01", "1", "103", "", ""),
		at("XR-04", "4", "", "", "external_id"),
		at("XR-05", "2", "", "", ""),
		at("FR-26", "5", "106", "", ""),
		at("FR-24", "3", "108", "", ""),
		at("FR-23", "2", "109", "", ""),
		at("EX-01", "2", "109", "", "extras.retired_reason"),
		at("EX-04", "2", "", "", "extras.allow_decimal"),
		at("EX-05", "2", "", "", "extras.colour"),
		at("FR-13", "6", "", "", ""),
		at("CE-03", "6", "", "", ""),
		at("CE-02", "6", "", "", ""),
	}
	assert.ElementsMatch(t, want, placesOf(rep.Findings))
	assert.Equal(t, InputExport, rep.Summary.Input)
	assert.Equal(t, 6, rep.Summary.ConceptsChecked)
	assert.Equal(t, 14, rep.Summary.MappingsChecked)
	assert.Equal(t, "v2026-11-22", rep.Summary.Version)
}

// memorySource serves a content as the API would: pages of concepts with their mappings.
type memorySource struct {
	version  ocl.SourceVersion
	content  ocltest.Content
	pageSize int
}

func (s *memorySource) Version(context.Context) (*ocl.SourceVersion, error) {
	v := s.version
	return &v, nil
}

func (s *memorySource) Concepts(ctx context.Context, fn func([]ocl.Concept) error) error {
	var page []ocl.Concept
	for i := 0; i < s.content.Len(); i++ {
		c, maps := s.content.Concept(i)
		c.Mappings = maps
		page = append(page, c)
		if len(page) == s.pageSize || i == s.content.Len()-1 {
			if err := fn(page); err != nil {
				return err
			}
			page = nil
		}
	}
	return nil
}

func TestCheckAPIMatchesCheckExport(t *testing.T) {
	version, content := troubled()
	fromExport, err := CheckExport(context.Background(), writeZip(t, version, content), testOptions())
	require.NoError(t, err)
	fromAPI, err := CheckAPI(context.Background(), &memorySource{version: version, content: content, pageSize: 2}, testOptions())
	require.NoError(t, err)

	assert.Equal(t, fromExport.Findings, fromAPI.Findings)
	assert.Equal(t, fromExport.Summary.ByRule, fromAPI.Summary.ByRule)
	assert.Equal(t, fromExport.Summary.MappingsChecked, fromAPI.Summary.MappingsChecked)
	assert.Equal(t, InputAPI, fromAPI.Summary.Input)
}

type failingSource struct{ memorySource }

func (failingSource) Version(context.Context) (*ocl.SourceVersion, error) {
	return nil, errors.New("GET /orgs/CIEL/sources/CIEL/HEAD/: 503 Service Unavailable")
}

func TestCheckAPIErrors(t *testing.T) {
	_, err := CheckAPI(context.Background(), &failingSource{}, testOptions())
	require.ErrorContains(t, err, "503")

	version, content := troubled()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = CheckAPI(ctx, &memorySource{version: version, content: content, pageSize: 2}, testOptions())
	require.ErrorIs(t, err, context.Canceled)

	opts := testOptions()
	opts.Disabled = []string{"NOPE"}
	_, err = CheckAPI(context.Background(), &memorySource{version: version, content: content, pageSize: 2}, opts)
	require.ErrorContains(t, err, `"NOPE"`)
}

// writeRawZip writes a zip holding the given entries.
func writeRawZip(t *testing.T, entries map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for name, body := range entries {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return path
}

func TestCheckExportErrors(t *testing.T) {
	const head = `{"type": "Source Version", "id": "v1", "concepts": [{"id": "1", "names": []}, `
	tests := []struct {
		name      string
		entries   map[string]string
		wantWhere string
		wantWhy   string
	}{
		{"no export.json", map[string]string{"readme.txt": "hello"}, "", "no export.json in the archive"},
		{"truncated", map[string]string{"export.json": head + `{"id": "2", "names": [{"name": "Mal`}, "concept #2", "ends early"},
		{"broken JSON inside a concept", map[string]string{"export.json": head + `{"id": "2", "retired": yes}]}`}, "concept #2", `invalid JSON`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeRawZip(t, tc.entries)
			rep, err := CheckExport(context.Background(), path, testOptions())
			require.Nil(t, rep)
			var ee *exportfile.Error
			require.ErrorAs(t, err, &ee)
			assert.Contains(t, ee.File, path)
			assert.Contains(t, ee.Where, tc.wantWhere)
			assert.Contains(t, ee.Reason, tc.wantWhy)
		})
	}
}

func TestCheckExportRefusesBadOptions(t *testing.T) {
	opts := testOptions()
	opts.Severity = map[string]Severity{"FR-19": "loud"}
	_, err := CheckExport(context.Background(), "does-not-matter.zip", opts)
	require.ErrorContains(t, err, `unknown severity "loud"`)
}

package exportfile

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

const sampleJSON = `{"type":"Source Version","id":"v2026-11-22","supported_locales":"en, fr","unknown_key":{"a":[1,2]},
"concepts":[{"type":"Concept","id":"1","external_id":"1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","concept_class":"Misc","datatype":"N/A","retired":false,
  "names":[{"name":"One","locale":"en","locale_preferred":true,"name_type":"FULLY_SPECIFIED"}],"extras":null},
 {"type":"Concept","id":"2","concept_class":"Test","datatype":"Numeric","names":[],"extras":{"units":"mg","is_set":1}}],
"references":[{"x":1}],
"mappings":[{"type":"Mapping","id":"m1","map_type":"SAME-AS","from_concept_code":"1","to_concept_code":"1","to_source_name":"CIEL","sort_weight":null}],
"export_time":"1.5secs"}`

type collected struct {
	version  *ocl.SourceVersion
	concepts []ocl.Concept
	mappings []ocl.Mapping
	order    []string
}

func collect(t *testing.T, doc string) (collected, Stats, error) {
	t.Helper()
	var c collected
	stats, err := Decode(context.Background(), strings.NewReader(doc), "test.json", Handler{
		Version: func(v *ocl.SourceVersion) error { c.version = v; c.order = append(c.order, "version"); return nil },
		Concept: func(x *ocl.Concept) error {
			c.concepts = append(c.concepts, *x)
			c.order = append(c.order, "concept")
			return nil
		},
		Mapping: func(x *ocl.Mapping) error {
			c.mappings = append(c.mappings, *x)
			c.order = append(c.order, "mapping")
			return nil
		},
	})
	return c, stats, err
}

func TestDecodeReadsEveryPartInOrder(t *testing.T) {
	c, stats, err := collect(t, sampleJSON)
	require.NoError(t, err)
	require.NotNil(t, c.version)
	assert.Equal(t, "v2026-11-22", c.version.ID)
	assert.Equal(t, ocl.Locales{"en", "fr"}, c.version.SupportedLocales)
	assert.Equal(t, []string{"version", "concept", "concept", "mapping"}, c.order)
	assert.Equal(t, "One", c.concepts[0].Names[0].Name)
	assert.Nil(t, c.concepts[0].Extras)
	units, ok := c.concepts[1].Extras.String("units")
	assert.True(t, ok)
	assert.Equal(t, "mg", units)
	assert.Equal(t, "number", c.concepts[1].Extras.JSONKind("is_set"))
	assert.Nil(t, c.mappings[0].SortWeight)
	assert.Equal(t, Stats{Concepts: 2, Mappings: 1, References: 1, Bytes: int64(len(sampleJSON)), ExportTime: "1.5secs"}, stats)
}

func TestDecodeManyConceptsCrossesBatches(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"id":"HEAD","concepts":[`)
	const n = batchSize*3 + 7
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"` + strings.Repeat("x", i%5) + `","names":[]}`)
	}
	b.WriteString(`]}`)
	c, stats, err := collect(t, b.String())
	require.NoError(t, err)
	assert.Len(t, c.concepts, n)
	assert.Equal(t, n, stats.Concepts)
	assert.Equal(t, "version", c.order[0])
}

func TestDecodeVersionArrivesEvenWithoutConcepts(t *testing.T) {
	c, _, err := collect(t, `{"id":"v1","released":true}`)
	require.NoError(t, err)
	require.NotNil(t, c.version)
	assert.True(t, c.version.Released)
}

func TestDecodeErrorsSayWhatAndWhere(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"truncated", `{"id":"v1","concepts":[{"id":"1","names":[`, []string{"test.json", "concept #1", "ends early"}},
		{"not json", `hello`, []string{"test.json", "invalid JSON"}},
		{"not an object", `[1,2]`, []string{"must be a JSON object"}},
		{"wrong type in concept", `{"concepts":[{"id":"1","names":[]},{"id":"77","retired":"yes"}]}`,
			[]string{"concept #2", `(id "77")`, `field "retired"`, "expected bool", "got JSON string"}},
		{"wrong type in mapping", `{"mappings":[{"id":"m9","sort_weight":"heavy"}]}`, []string{"mapping #1", `field "sort_weight"`}},
		{"concepts not array", `{"concepts":{"id":"1"}}`, []string{`"concepts" must be an array`}},
		{"trailing garbage", `{"id":"v1"} {"id":"v2"}`, []string{"unexpected data after the end"}},
		{"wrong metadata type", `{"id":"v1","released":"maybe","concepts":[]}`, []string{"version metadata", `field "released"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := collect(t, tc.doc)
			require.Error(t, err)
			var fe *Error
			require.True(t, errors.As(err, &fe), "want *exportfile.Error, got %T: %v", err, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// Positions point into the document, not into the element being decoded.
func TestDecodeErrorPositionsAreAbsolute(t *testing.T) {
	doc := `{"concepts":[{"id":"1","names":[]},{"id":"77","retired":"yes"}]}`
	_, _, err := collect(t, doc)
	require.Error(t, err)
	valueEnd := strings.Index(doc, `"yes"`) + len(`"yes"`)
	assert.Contains(t, err.Error(), fmt.Sprintf("byte %d", valueEnd))

	doc = `{"mappings":[{"id":"m1"},  {"id":"m2","retired":tru}]}`
	_, _, err = collect(t, doc)
	require.Error(t, err)
	start := strings.Index(doc, `  {"id":"m2"`)
	assert.Contains(t, err.Error(), fmt.Sprintf("mapping #2 starting at byte %d: invalid JSON", start))
}

func TestDecodeStopsOnHandlerError(t *testing.T) {
	stop := errors.New("stop here")
	seen := 0
	var b strings.Builder
	b.WriteString(`{"concepts":[`)
	for i := 0; i < batchSize*8; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"1"}`)
	}
	b.WriteString(`]}`)
	_, err := Decode(context.Background(), strings.NewReader(b.String()), "x", Handler{
		Concept: func(*ocl.Concept) error {
			seen++
			if seen == 3 {
				return stop
			}
			return nil
		},
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 3, seen)
}

func writeZip(t testing.TB, entries map[string]string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "export.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range entries {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p
}

func TestOpenZipAndDecode(t *testing.T) {
	p := writeZip(t, map[string]string{"export.json": sampleJSON})
	src, err := Open(p, Limits{})
	require.NoError(t, err)
	defer src.Close()
	assert.Equal(t, int64(len(sampleJSON)), src.Size)
	assert.Equal(t, p+"!export.json", src.Name())
	rc, err := src.Reader()
	require.NoError(t, err)
	defer rc.Close()
	stats, err := Decode(context.Background(), rc, src.Name(), Handler{})
	require.NoError(t, err)
	assert.Equal(t, 2, stats.Concepts)
	assert.Equal(t, 1, stats.Mappings)
}

func TestOpenPlainJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "export.json")
	require.NoError(t, os.WriteFile(p, []byte(sampleJSON), 0o644))
	src, err := Open(p, Limits{})
	require.NoError(t, err)
	defer src.Close()
	assert.Equal(t, p, src.Name())
}

func TestOpenRefusesBadArchives(t *testing.T) {
	cases := []struct {
		name    string
		entries map[string]string
		want    string
	}{
		{"no export.json", map[string]string{"other.txt": "x"}, "no export.json in the archive (entries: other.txt)"},
		{"parent path", map[string]string{"../export.json": "{}"}, "parent-directory (..) path"},
		{"nested parent path", map[string]string{"a/../../b": "x", "export.json": "{}"}, "parent-directory (..) path"},
		{"absolute path", map[string]string{"/etc/export.json": "{}"}, "absolute path"},
		{"two documents", map[string]string{"export.json": "{}", "x/export.json": "{}"}, "more than one export.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(writeZip(t, tc.entries), Limits{})
			require.Error(t, err)
			var fe *Error
			require.ErrorAs(t, err, &fe)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "export.zip")
		})
	}
}

func TestOpenRefusesNonZip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "export.zip")
	require.NoError(t, os.WriteFile(p, []byte("{\"not\":\"a zip\"}"), 0o644))
	_, err := Open(p, Limits{})
	assert.ErrorContains(t, err, "not a zip archive")
}

func TestOpenRefusesAbsurdDeclaredSizes(t *testing.T) {
	big := strings.Repeat(" ", 1<<20) + "{}"
	p := writeZip(t, map[string]string{"export.json": big})
	_, err := Open(p, Limits{MaxUncompressed: 1 << 10, MaxRatio: 200, RatioFloor: 1 << 30})
	assert.ErrorContains(t, err, "exceeds the limit of 1024 bytes")

	_, err = Open(p, Limits{MaxUncompressed: 1 << 30, MaxRatio: 10, RatioFloor: 1 << 10})
	assert.ErrorContains(t, err, "zip bomb")
}

// A header that understates the entry's size must not let more bytes through.
func TestReaderRefusesDataPastDeclaredSize(t *testing.T) {
	body := `{"id":"v1","concepts":[` + strings.Repeat(`{"id":"1"},`, 1000) + `{"id":"2"}]}`
	p := writeZip(t, map[string]string{"export.json": body})
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	// Patch the central directory's uncompressed size (offset 24 in the entry header).
	cd := bytes.LastIndex(raw, []byte("PK\x01\x02"))
	require.Positive(t, cd)
	raw[cd+24], raw[cd+25], raw[cd+26], raw[cd+27] = 100, 0, 0, 0
	require.NoError(t, os.WriteFile(p, raw, 0o644))

	src, err := Open(p, Limits{})
	require.NoError(t, err)
	defer src.Close()
	rc, err := src.Reader()
	require.NoError(t, err)
	defer rc.Close()
	_, err = Decode(context.Background(), rc, src.Name(), Handler{})
	assert.Error(t, err)
}

func FuzzDecode(f *testing.F) {
	f.Add(sampleJSON)
	f.Add(`{"concepts":[{"id":"1","names":[{"name":"x","locale":"en"}]}],"mappings":[]}`)
	f.Add(`{"concepts":null}`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, doc string) {
		concepts := 0
		stats, err := Decode(context.Background(), strings.NewReader(doc), "fuzz.json", Handler{
			Concept: func(*ocl.Concept) error { concepts++; return nil },
		})
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error of type %T is not an *exportfile.Error: %v", err, err)
			}
			return
		}
		if stats.Concepts != concepts {
			t.Fatalf("stats say %d concepts, handler saw %d", stats.Concepts, concepts)
		}
	})
}

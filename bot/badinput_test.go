package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A hand-written export document, in pieces whose lengths give exact byte positions.
const (
	docMeta = `{"type":"Source Version","id":"v2026-11-22","name":"CIEL","owner":"CIEL",` +
		`"url":"/orgs/CIEL/sources/CIEL/v2026-11-22/","created_on":"2026-11-22T08:00:00Z","concepts":[`
	docConcept1 = `{"id":"1","concept_class":"Diagnosis","datatype":"N/A","retired":false,` +
		`"names":[{"name":"One","locale":"en","name_type":"FULLY_SPECIFIED","locale_preferred":true}]}`
)

// badExport is an export file that QA and the SQL export must refuse.
type badExport struct {
	name string
	file string // file name: ".zip" is opened as an archive, ".json" as the document
	data []byte
	// want is the message that must follow the file's path in the error.
	want string
	// alsoWant holds further parts of the message. For a wrong value inside a concept
	// or mapping the element is asserted but not the byte: encoding/json reports that
	// offset relative to the element, or a few bytes early, and it is passed on as is.
	alsoWant []string
	// wrongType is a value of the wrong JSON type at field: shepherd qa reports it as
	// a JS-01 finding (exit 1) where the SQL export refuses the file.
	wrongType string
}

func badExports(t *testing.T) []badExport {
	const cut = `,{"id":"2","names":[`
	inflated := zipBytes(t, zipEntry{"export.json", docMeta + docConcept1 + "]}" + strings.Repeat(" ", 4096)})
	bomb, _ := patchDeclaredSize(t, inflated, 0xFFFFFFF0)
	shrunk, _ := patchDeclaredSize(t, inflated, 100)
	return []badExport{
		{
			name: "zip without export.json",
			file: "export.zip", data: zipBytes(t, zipEntry{"readme.txt", "hello"}, zipEntry{"data/concepts.json", "[]"}),
			want: ": no export.json in the archive (entries: readme.txt, data/concepts.json)",
		},
		{
			name: "entry climbing out with ..",
			file: "export.zip", data: zipBytes(t, zipEntry{"../export.json", "{}"}),
			want: `: entry "../export.json": parent-directory (..) path in archive`,
		},
		{
			name: "entry climbing out with .. in the middle",
			file: "export.zip", data: zipBytes(t, zipEntry{"export.json", "{}"}, zipEntry{"a/../../etc/passwd", "x"}),
			want: `: entry "a/../../etc/passwd": parent-directory (..) path in archive`,
		},
		{
			name: "absolute entry",
			file: "export.zip", data: zipBytes(t, zipEntry{"/export.json", "{}"}),
			want: `: entry "/export.json": absolute path in archive`,
		},
		{
			name: "declared size over the limit",
			file: "export.zip", data: rawZip(t, "export.json", []byte("{}"), 1<<40),
			want: `: entry "export.json": declared size 1099511627776 bytes exceeds the limit of 8589934592 bytes`,
		},
		{
			name: "zip bomb: central directory size patched",
			file: "export.zip", data: bomb,
			want: fmt.Sprintf(`: entry "export.json": compression ratio %d:1 exceeds 200:1 (zip bomb?)`, uint64(0xFFFFFFF0)/uint64(len(bomb))),
		},
		{
			name: "central directory size smaller than the data",
			file: "export.zip", data: shrunk,
			want: `!export.json: the start of the document, byte 0: the zip entry is damaged or holds more data than its header declares (zip: not a valid zip file)`,
		},
		{
			name: "not a zip",
			file: "export.zip", data: []byte("this is not an archive"),
			want: ": not a zip archive (an OCL export is a zip holding export.json)",
		},
		{
			name: "empty file",
			file: "export.zip", data: nil,
			want: ": not a zip archive (an OCL export is a zip holding export.json)",
		},
		{
			name: "non-JSON content",
			file: "export.zip", data: zipBytes(t, zipEntry{"export.json", "<html><body>502 Bad Gateway</body></html>"}),
			want: "!export.json: the start of the document, byte 1: invalid JSON: invalid character '<' looking for beginning of value",
		},
		{
			name: "truncated inside a concept",
			file: "export.zip", data: zipBytes(t, zipEntry{"export.json", docMeta + docConcept1 + cut}),
			// The position is where the cut concept starts, just after the comma.
			want: fmt.Sprintf("!export.json: concept #2, byte %d: the document ends early (truncated export?)", len(docMeta+docConcept1)+1),
		},
		{
			name: "truncated between concepts, plain JSON",
			file: "export.json", data: []byte(docMeta + docConcept1),
			want: fmt.Sprintf(`: the end of "concepts", byte %d: the document ends early (truncated export?)`, len(docMeta+docConcept1)),
		},
		{
			name: "concepts is not a list",
			file: "export.zip", data: zipBytes(t, zipEntry{"export.json", strings.TrimSuffix(docMeta, "[") + `{"id":"1"}}`}),
			want: fmt.Sprintf(`!export.json: byte %d: "concepts" must be an array`, len(docMeta)),
		},
		{
			name: "wrong type in a concept",
			file: "export.zip", data: zipBytes(t, zipEntry{"export.json", docMeta + docConcept1 + `,{"id":"2","retired":"yes"}]}`}),
			want: fmt.Sprintf(`!export.json: concept #2 (id "2"), byte %d: field "retired": expected bool, got JSON string`,
				len(docMeta+docConcept1+`,{"id":"2","retired":"yes"`)),
			wrongType: "retired",
		},
		{
			name: "wrong type in a mapping",
			file: "export.zip", data: zipBytes(t, zipEntry{"export.json", docMeta + docConcept1 + `],"mappings":[{"id":"m1","retired":"yes"}]}`}),
			want: fmt.Sprintf(`!export.json: mapping #1 (id "m1"), byte %d: field "retired": expected bool, got JSON string`,
				len(docMeta+docConcept1+`],"mappings":[{"id":"m1","retired":"yes"`)),
			wrongType: "retired",
		},
		{
			name: "invalid JSON inside a concept",
			file: "export.zip", data: zipBytes(t, zipEntry{"export.json", docMeta + docConcept1 + `,{"id":"2","retired":tru}]}`}),
			want: fmt.Sprintf("!export.json: concept #2 starting at byte %d: invalid JSON: invalid character '}' in literal true (expecting 'e')",
				len(docMeta+docConcept1+",")),
		},
	}
}

// rawZip writes one stored entry whose headers declare uncompressed bytes.
func rawZip(t *testing.T, name string, data []byte, uncompressed uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store,
		CompressedSize64: uint64(len(data)), UncompressedSize64: uncompressed})
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// patchDeclaredSize rewrites the uncompressed size of the archive's only entry in its
// central directory, which is what readers trust, and returns the compressed size.
func patchDeclaredSize(t *testing.T, archive []byte, size uint32) ([]byte, uint64) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	require.NoError(t, err)
	require.Len(t, zr.File, 1)
	header := bytes.LastIndex(archive, []byte("PK\x01\x02"))
	require.Positive(t, header, "central directory header")
	patched := bytes.Clone(archive)
	const uncompressedSizeOffset = 24 // in a central directory file header
	binary.LittleEndian.PutUint32(patched[header+uncompressedSizeOffset:], size)
	return patched, zr.File[0].CompressedSize64
}

// assertRefused checks a run that had to stop on bad input: exit 2 and a message
// naming the file and the place.
func assertRefused(t *testing.T, r result, path string, bad badExport) {
	t.Helper()
	assert.Equal(t, exitCannot, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, path+bad.want)
	for _, part := range bad.alsoWant {
		assert.Contains(t, r.stderr, part)
	}
	assert.Empty(t, r.stdout)
}

func TestQARefusesBadExportsWithoutWritingTheReport(t *testing.T) {
	for _, bad := range badExports(t) {
		t.Run(bad.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), bad.file, bad.data)

			outDir := t.TempDir()
			out := filepath.Join(outDir, "report.json")
			r := shepherd(t, nil, "qa", "--export", path, "--format", "json", "--out", out)
			if bad.wrongType != "" {
				assert.Equal(t, exitFindings, r.code, r.stderr)
				var fields []string
				for _, f := range readJSONReport(t, out).Findings {
					if f.Rule == "JS-01" {
						fields = append(fields, f.Field)
					}
				}
				assert.Equal(t, []string{bad.wrongType}, fields)
				return
			}
			assertRefused(t, r, path, bad)
			assert.Nil(t, filesIn(t, outDir), "nothing may be written, not even a temporary file")

			// A report already there is left as it was.
			writeFile(t, outDir, "report.json", []byte("the last good report"))
			r = shepherd(t, nil, "qa", "--export", path, "--format", "json", "--out", out)
			assertRefused(t, r, path, bad)
			assert.Equal(t, []string{"report.json"}, filesIn(t, outDir))
			kept, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Equal(t, "the last good report", string(kept))
		})
	}
}

func TestExportRefusesBadExportsWithoutWritingFiles(t *testing.T) {
	for _, bad := range badExports(t) {
		t.Run(bad.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), bad.file, bad.data)

			out := filepath.Join(t.TempDir(), "sql")
			r := shepherd(t, nil, "export", "--export", path, "--out", out)
			assertRefused(t, r, path, bad)
			assert.NoDirExists(t, out, "a failed export leaves no output folder behind")

			// Files of an earlier run are neither replaced nor joined by partial ones.
			old := writeFile(t, out, "openmrs_concepts_2_"+testVersion+".sql.zip", []byte("earlier build"))
			r = shepherd(t, nil, "export", "--export", path, "--out", out, "--format", "openmrs-2")
			assertRefused(t, r, path, bad)
			assert.Equal(t, []string{filepath.Base(old)}, filesIn(t, out))
			kept, err := os.ReadFile(old)
			require.NoError(t, err)
			assert.Equal(t, "earlier build", string(kept))
		})
	}
}

// FuzzQAExport feeds arbitrary export.json documents to `shepherd qa`: it must never
// crash, must exit 0, 1 or 2, and must leave a complete report or none at all.
func FuzzQAExport(f *testing.F) {
	f.Add([]byte(docMeta + docConcept1 + "]}"))
	f.Add([]byte(docMeta + docConcept1 + `,{"id":"2","retired":"yes"}]}`))
	f.Add([]byte(docMeta + docConcept1 + `],"mappings":[{"id":"m1","map_type":"SAME-AS","from_concept_code":"1","to_concept_code":"1"}]}`))
	f.Add([]byte(`{"concepts":null,"mappings":{}}`))
	f.Fuzz(func(t *testing.T, document []byte) {
		dir := t.TempDir()
		export := writeFile(t, dir, "export.zip", zipBytes(t, zipEntry{"export.json", string(document)}))
		out := filepath.Join(dir, "out", "report.json")

		r := shepherd(t, nil, "qa", "--export", export, "--format", "json", "--out", out, "--quiet")

		switch r.code {
		case exitOK, exitFindings:
			readJSONReport(t, out)
		case exitCannot:
			assert.Contains(t, r.stderr, "shepherd qa: "+export)
			assert.Nil(t, filesIn(t, filepath.Join(dir, "out")))
		default:
			t.Fatalf("exit code %d: %s", r.code, r.stderr)
		}
	})
}

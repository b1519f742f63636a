package store

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReleaseKey(t *testing.T) {
	tests := []struct {
		prefix, version, file string
		want                  string
		wantErr               bool
	}{
		{prefix: "ciel", version: "v2025-03-01", file: "export.zip", want: "ciel/v2025-03-01/export.zip"},
		{prefix: "dictionaries/ciel", version: "v2025-03-01", file: "SHA256SUMS", want: "dictionaries/ciel/v2025-03-01/SHA256SUMS"},
		{prefix: "", version: "v1", file: "a", wantErr: true},
		{prefix: "/ciel", version: "v1", file: "a", wantErr: true},
		{prefix: "ciel", version: "..", file: "a", wantErr: true},
		{prefix: "ciel", version: "v1/../../x", file: "a", wantErr: true},
		{prefix: "ciel", version: "v1", file: "sub/a", wantErr: true},
		{prefix: "ciel", version: "", file: "a", wantErr: true},
		{prefix: "ciel", version: "v1", file: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ReleaseKey(tt.prefix, tt.version, tt.file)
		if tt.wantErr {
			assert.ErrorIs(t, err, ErrInvalidKey, "%+v", tt)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
	folder, err := ReleaseFolder("ciel", "v2025-03-01")
	require.NoError(t, err)
	assert.Equal(t, "ciel/v2025-03-01", folder)
}

func TestHeadReportKey(t *testing.T) {
	for ext, want := range map[string]string{"json": "qa/HEAD/latest.json", ".md": "qa/HEAD/latest.md", "html": "qa/HEAD/latest.html"} {
		assert.Equal(t, want, HeadReportKey(ext))
		assert.NoError(t, ValidateKey(HeadReportKey(ext)))
	}
}

func TestValidateKey(t *testing.T) {
	valid := []string{"a", "a/b", "ciel/v1/export.zip", "a/.hidden", "a/b..c", "with space/ü"}
	invalid := []string{"", "/a", "a/", "a//b", "./a", "a/./b", "a/..", "..", `a\b`, "a\x00b", "a\nb"}
	for _, key := range valid {
		assert.NoError(t, ValidateKey(key), key)
	}
	for _, key := range invalid {
		assert.ErrorIs(t, ValidateKey(key), ErrInvalidKey, "%q", key)
	}
}

// FuzzValidateKey checks that a key accepted by ValidateKey never reaches outside the folder
// it is joined to and has no empty segment.
func FuzzValidateKey(f *testing.F) {
	for _, seed := range []string{"ciel/v1/a", "../a", "a/../../b", "/etc/passwd", "a//b", `..\a`, "a/./b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if ValidateKey(key) != nil {
			return
		}
		root := "/srv/store"
		joined := filepath.Join(root, filepath.FromSlash(key))
		if !strings.HasPrefix(joined, root+string(filepath.Separator)) {
			t.Fatalf("key %q escapes the folder: %s", key, joined)
		}
		if filepath.ToSlash(strings.TrimPrefix(joined, root+"/")) != key {
			t.Fatalf("key %q is not its own clean path", key)
		}
	})
}

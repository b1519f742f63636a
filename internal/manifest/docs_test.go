package manifest

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// docBlock returns the YAML block of a document whose first line is title.
func docBlock(t *testing.T, doc, title string) string {
	t.Helper()
	data, err := os.ReadFile("../../docs/" + doc)
	require.NoError(t, err)
	for _, m := range yamlBlock.FindAllStringSubmatch(string(data), -1) {
		if strings.HasPrefix(m[1], title+"\n") {
			return m[1]
		}
	}
	t.Fatalf("docs/%s has no yaml block starting with %q", doc, title)
	return ""
}

func TestDocumentedDefaultsAreTheDefaults(t *testing.T) {
	block := docBlock(t, "configuration.md", "# .github/shepherd.yaml with every default written out")
	cfg, err := ParseConfig(ConfigPath, []byte(block))
	require.NoError(t, err)
	want := DefaultConfig()
	want.File = ConfigPath
	assert.Equal(t, *want, plainConfig(cfg))
}

func TestDocumentedConfigurationExampleIsValid(t *testing.T) {
	block := docBlock(t, "configuration.md", "# .github/shepherd.yaml: a complete example")
	cfg, err := ParseConfig(ConfigPath, []byte(block))
	require.NoError(t, err)
	assert.Equal(t, StorageS3, cfg.Storage.Type)
	assert.Len(t, cfg.Exports, 3)
}

func TestDocumentedManifestExampleIsValid(t *testing.T) {
	block := docBlock(t, "manifest.md", "# releases/v2026-11-22.yaml")
	m, err := ParseManifest(testManifestFile, []byte(block))
	require.NoError(t, err)
	_, err = m.Effective(DefaultConfig())
	require.NoError(t, err)
}

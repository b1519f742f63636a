package manifest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKindOfByPathThenByFields(t *testing.T) {
	for _, c := range []struct {
		file, content string
		want          Kind
	}{
		{".github/shepherd.yaml", "version: v2026-11-22\n", KindConfig}, // the path decides
		{"repo/.github/shepherd.yaml", "", KindConfig},
		{"releases/v2026-11-22.yaml", "ocl: {org: CIEL}\n", KindManifest},
		{"releases/v2026-11-22.yml", "", KindManifest},
		{"draft.yaml", "version: v2026-11-22\nqa: {disabled: [FR-01]}\n", KindManifest},
		{"shepherd.yaml", "ocl: {org: CIEL}\nexports: []\n", KindConfig},
		{"shared.yaml", "qa: {disabled: [FR-01]}\nexports: []\n", KindUnknown}, // both have these
		{"odd.yaml", "[1, 2]\n", KindUnknown},
	} {
		got, why := KindOf(c.file, []byte(c.content))
		assert.Equal(t, c.want, got, "%s", c.file)
		if got == KindUnknown {
			assert.Regexp(t, `^`+c.file+`:\d+:\d+: `, why, "the reason names the file and a position")
		}
	}
}

func TestPickedUpOnlyInReleasesNamedAfterTheVersion(t *testing.T) {
	m, err := ParseManifest("releases/v2026-11-22.yaml", []byte("version: v2026-11-22\n"))
	require.NoError(t, err)
	assert.NoError(t, m.PickedUp())

	m, err = ParseManifest("drafts/v2026-11-22.yaml", []byte("# draft\nversion: v2026-11-22\n"))
	require.NoError(t, err)
	assert.EqualError(t, m.PickedUp(), "drafts/v2026-11-22.yaml:2:10: version: the workflows pick up only releases/vYYYY-MM-DD.yaml: move the file to releases/v2026-11-22.yaml")
}

func TestCheckRuleIDsNamesThePlaceAndTheNearestRule(t *testing.T) {
	known := []string{"EX-01", "EX-05", "FR-01", "FR-09", "XR-01"}
	m, err := ParseManifest("releases/v2026-11-22.yaml", []byte("version: v2026-11-22\nqa:\n  severity:\n    FX-01: error\n  disabled: [FR-01, EX-06]\n"))
	require.NoError(t, err)
	assert.EqualError(t, m.CheckRuleIDs(known),
		`releases/v2026-11-22.yaml:4:5: qa.severity.FX-01: "FX-01" is not a QA rule, did you mean EX-01? (the rules are listed in docs/qa-rules.md)`+"\n"+
			`releases/v2026-11-22.yaml:5:21: qa.disabled[1]: "EX-06" is not a QA rule, did you mean EX-05? (the rules are listed in docs/qa-rules.md)`)

	cfg, err := ParseConfig(ConfigPath, []byte("qa:\n  disabled:\n    - XR-02\n"))
	require.NoError(t, err)
	assert.EqualError(t, cfg.CheckRuleIDs(known),
		`.github/shepherd.yaml:3:7: qa.disabled[0]: "XR-02" is not a QA rule, did you mean XR-01? (the rules are listed in docs/qa-rules.md)`)
	assert.NoError(t, DefaultConfig().CheckRuleIDs(known))
}

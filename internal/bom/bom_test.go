package bom_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/bom"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/qa"
)

func input() bom.Input {
	return bom.Input{
		Org: "CIEL", Source: "CIEL", Version: "v2026-12-20",
		Created:  time.Date(2026, 12, 20, 9, 30, 0, 0, time.UTC),
		Export:   bom.File{Name: "CIEL_v2026-12-20.zip", Size: 72_000_000, SHA256: strings.Repeat("ab", 32)},
		Concepts: 55000, Mappings: 310000,
		Rules:           bom.RuleSet(map[string]qa.Severity{"FR-01": qa.SeverityWarning}, []string{"EX-05"}),
		ShepherdVersion: "v1.4.0", ShepherdCommit: strings.Repeat("c", 40),
		Formats:      []export.Format{export.FormatOpenMRS111, export.FormatOpenMRS2},
		Vocabularies: map[string]int{"SNOMED-CT": 120000, "ICD-10-WHO": 40000, "LOINC": 9000},
	}
}

func encode(t *testing.T, in bom.Input) []byte {
	t.Helper()
	b, err := bom.Build(in)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, bom.Encode(&out, b))
	return out.Bytes()
}

// The BOM is valid CycloneDX 1.7: checked against the specification's own JSON schema,
// kept offline in testdata (see its ORIGIN.md).
func TestBOMIsValidCycloneDX(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	dir := filepath.Join("testdata", "cyclonedx")
	for _, name := range []string{"bom-1.7", "jsf-0.82", "spdx", "cryptography-defs"} {
		f, err := os.Open(filepath.Join(dir, name+".SNAPSHOT.schema.json"))
		require.NoError(t, err)
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		require.NoError(t, err)
		// The schemas refer to each other by these file names, relative to their $id.
		require.NoError(t, c.AddResource("http://cyclonedx.org/schema/"+name+".SNAPSHOT.schema.json", doc))
	}
	schema, err := c.Compile("http://cyclonedx.org/schema/bom-1.7.SNAPSHOT.schema.json")
	require.NoError(t, err)

	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(encode(t, input())))
	require.NoError(t, err)
	require.NoError(t, schema.Validate(doc))

	// The schema is strict enough to catch a mistake: a serial number of the wrong form.
	var broken map[string]any
	require.NoError(t, json.Unmarshal(encode(t, input()), &broken))
	broken["serialNumber"] = "release-1"
	assert.Error(t, schema.Validate(broken))
}

type property struct{ Name, Value string }

type component struct {
	Type, Name, Version, VersionRange, Group string
	BOMRef                                   string `json:"bom-ref"`
	Hashes                                   []struct{ Alg, Content string }
	Properties                               []property
}

func (c component) prop(name string) string {
	for _, p := range c.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

type document struct {
	BOMFormat, SpecVersion, SerialNumber string
	Metadata                             struct {
		Timestamp string
		Tools     struct{ Components []component }
		Component component
	}
	Components []component
}

// Every field the release asks of its BOM is there: source, version, export checksum, QA
// rule set and its version, Shepherd's version and commit, OpenMRS targets, vocabularies
// with counts.
func TestBOMSaysWhatTheReleaseIsMadeOf(t *testing.T) {
	var d document
	require.NoError(t, json.Unmarshal(encode(t, input()), &d))
	assert.Equal(t, "CycloneDX", d.BOMFormat)
	assert.Equal(t, "1.7", d.SpecVersion)
	assert.Equal(t, "2026-12-20T09:30:00Z", d.Metadata.Timestamp)
	rel := d.Metadata.Component
	assert.Equal(t, []string{"data", "CIEL", "CIEL", "v2026-12-20", "55000", "310000"},
		[]string{rel.Type, rel.Group, rel.Name, rel.Version, rel.prop("shepherd:concepts"), rel.prop("shepherd:mappings")})
	tool := d.Metadata.Tools.Components[0]
	assert.Equal(t, []string{"shepherd", "v1.4.0", strings.Repeat("c", 40)}, []string{tool.Name, tool.Version, tool.prop("shepherd:commit")})

	byRef := map[string]component{}
	for _, c := range d.Components {
		byRef[c.BOMRef] = c
	}
	exp := byRef["ocl-export"]
	require.Len(t, exp.Hashes, 1)
	assert.Equal(t, "SHA-256", exp.Hashes[0].Alg)
	assert.Equal(t, strings.Repeat("ab", 32), exp.Hashes[0].Content)
	assert.Equal(t, "72000000", exp.prop("shepherd:size"))

	rules := byRef["qa-rules"]
	assert.Equal(t, bom.RuleSetVersion(input().Rules), rules.Version)
	assert.Equal(t, "warning", rules.prop("shepherd:qa-rule:FR-01"), "a configured severity")
	assert.Equal(t, "error", rules.prop("shepherd:qa-rule:OM-01"), "a default severity")
	assert.Empty(t, rules.prop("shepherd:qa-rule:EX-05"), "a disabled rule is not in force")
	assert.Len(t, rules.Properties, len(qa.Rules())-1)

	assert.Equal(t, "1.11", byRef["target-openmrs-1.11"].Version)
	assert.Equal(t, "vers:generic/>=2.2", byRef["target-openmrs-2"].VersionRange)
	for name, n := range map[string]string{"SNOMED-CT": "120000", "ICD-10-WHO": "40000", "LOINC": "9000"} {
		assert.Equal(t, n, byRef["vocabulary-"+name].prop("shepherd:mappings"), name)
	}
}

// The same release gives the same bytes; the serial number changes with the release.
func TestBOMIsDeterministic(t *testing.T) {
	a, b := encode(t, input()), encode(t, input())
	assert.Equal(t, a, b)
	other := input()
	other.Version = "v2027-01-10"
	var d1, d2 document
	require.NoError(t, json.Unmarshal(a, &d1))
	require.NoError(t, json.Unmarshal(encode(t, other), &d2))
	assert.NotEqual(t, d1.SerialNumber, d2.SerialNumber)
}

// The rule set's version changes with any severity and with the rules in force.
func TestRuleSetVersion(t *testing.T) {
	base := bom.RuleSetVersion(bom.RuleSet(nil, nil))
	assert.Regexp(t, `^qa-[0-9a-f]{12}$`, base)
	assert.Equal(t, base, bom.RuleSetVersion(bom.RuleSet(nil, nil)))
	assert.NotEqual(t, base, bom.RuleSetVersion(bom.RuleSet(map[string]qa.Severity{"FR-01": qa.SeverityInfo}, nil)))
	assert.NotEqual(t, base, bom.RuleSetVersion(bom.RuleSet(nil, []string{"FR-01"})))
}

func TestBuildRefusesAnIncompleteRelease(t *testing.T) {
	for name, edit := range map[string]func(*bom.Input){
		"no version":  func(in *bom.Input) { in.Version = "" },
		"no time":     func(in *bom.Input) { in.Created = time.Time{} },
		"no checksum": func(in *bom.Input) { in.Export.SHA256 = "" },
		"bad format":  func(in *bom.Input) { in.Formats = []export.Format{"openmrs-3"} },
	} {
		in := input()
		edit(&in)
		_, err := bom.Build(in)
		assert.Error(t, err, name)
	}
}

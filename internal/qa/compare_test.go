package qa

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func finding(rule string, sev Severity, concept, msg string) Finding {
	return Finding{Rule: rule, Severity: sev, ConceptID: concept, Message: msg}
}

func TestCompare(t *testing.T) {
	a := finding("FR-01", SeverityError, "12", "two preferred names in en")
	b := finding("FR-06", SeverityError, "7", "no fully specified name")
	c := finding("FR-19", SeverityWarning, "100", "preferred name contains ' and '")
	d := finding("EX-05", SeverityInfo, "3", "unknown extras key \"foo\"")

	tests := []struct {
		name          string
		previous      []Finding
		current       []Finding
		wantNew       []Finding
		wantFixed     []Finding
		wantUnchanged int
	}{
		{
			name:          "identical reports",
			previous:      []Finding{a, b},
			current:       []Finding{b, a},
			wantNew:       []Finding{},
			wantFixed:     []Finding{},
			wantUnchanged: 2,
		},
		{
			name:          "new, fixed and unchanged",
			previous:      []Finding{a, b, d},
			current:       []Finding{a, c},
			wantNew:       []Finding{c},
			wantFixed:     []Finding{b, d},
			wantUnchanged: 1,
		},
		{
			name:          "a key twice before and once now is one fixed",
			previous:      []Finding{a, a},
			current:       []Finding{a},
			wantNew:       []Finding{},
			wantFixed:     []Finding{a},
			wantUnchanged: 1,
		},
		{
			name:          "a key once before and three times now is two new",
			previous:      []Finding{c},
			current:       []Finding{c, c, c},
			wantNew:       []Finding{c, c},
			wantFixed:     []Finding{},
			wantUnchanged: 1,
		},
		{
			name:          "a changed severity is not a change",
			previous:      []Finding{finding("FR-19", SeverityWarning, "100", "m")},
			current:       []Finding{finding("FR-19", SeverityError, "100", "m")},
			wantNew:       []Finding{},
			wantFixed:     []Finding{},
			wantUnchanged: 1,
		},
		{
			name:          "a changed message is one new and one fixed",
			previous:      []Finding{finding("FR-01", SeverityError, "5", "old text")},
			current:       []Finding{finding("FR-01", SeverityError, "5", "new text")},
			wantNew:       []Finding{finding("FR-01", SeverityError, "5", "new text")},
			wantFixed:     []Finding{finding("FR-01", SeverityError, "5", "old text")},
			wantUnchanged: 0,
		},
		{
			name:      "new findings sorted by severity, rule, then concept numerically",
			previous:  nil,
			current:   []Finding{d, c, finding("FR-01", SeverityError, "100", "x"), a, finding("FR-01", SeverityError, "9", "x"), b},
			wantNew:   []Finding{finding("FR-01", SeverityError, "9", "x"), a, finding("FR-01", SeverityError, "100", "x"), b, c, d},
			wantFixed: []Finding{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := &Report{Summary: Summary{Version: "v2026-10-01"}, Findings: tt.previous}
			cur := &Report{Summary: Summary{Version: "v2026-11-22"}, Findings: tt.current}
			got := Compare(prev, cur)
			assert.Equal(t, "v2026-10-01", got.PreviousVersion)
			assert.Equal(t, tt.wantNew, got.New)
			assert.Equal(t, tt.wantFixed, got.Fixed)
			assert.Equal(t, tt.wantUnchanged, got.UnchangedCount)
			assert.Equal(t, len(tt.current), len(got.New)+got.UnchangedCount, "every current finding is new or unchanged")
			assert.Equal(t, len(tt.previous), len(got.Fixed)+got.UnchangedCount, "every previous finding is fixed or unchanged")
		})
	}
}

func TestCompareWithoutPreviousReport(t *testing.T) {
	a := finding("FR-01", SeverityError, "12", "m")
	got := Compare(nil, &Report{Findings: []Finding{a}})
	assert.Equal(t, []Finding{a}, got.New)
	assert.Empty(t, got.Fixed)
	assert.NotNil(t, got.Fixed, "empty lists stay arrays in JSON")
	assert.Empty(t, got.PreviousVersion)
}

func TestCompareInReportOrder(t *testing.T) {
	ordered := []Finding{
		{Rule: "FR-01", Severity: SeverityError, ConceptID: "2"},
		{Rule: "FR-01", Severity: SeverityError, ConceptID: "0010"},
		{Rule: "FR-01", Severity: SeverityError, ConceptID: "11"},
		{Rule: "FR-01", Severity: SeverityError, ConceptID: "123456789012345678901234567890"},
		{Rule: "FR-01", Severity: SeverityError, ConceptID: "A1"},
		{Rule: "FR-01", Severity: SeverityError, ConceptID: "A1", MappingID: "5"},
		{Rule: "FR-01", Severity: SeverityError, ConceptID: "A1", MappingID: "5", Locale: "en"},
		{Rule: "FR-01", Severity: SeverityError, ConceptID: "A1", MappingID: "5", Locale: "fr"},
		{Rule: "FR-12", Severity: SeverityError},
		{Rule: "EX-03", Severity: SeverityWarning},
		{Rule: "EX-05", Severity: SeverityInfo},
		{Rule: "AA-00", Severity: "unknown"},
	}
	for i := 0; i+1 < len(ordered); i++ {
		assert.Negative(t, compareInReportOrder(ordered[i], ordered[i+1]), "%d before %d", i, i+1)
		assert.Positive(t, compareInReportOrder(ordered[i+1], ordered[i]), "%d after %d", i+1, i)
	}
	assert.Zero(t, compareInReportOrder(ordered[3], ordered[3]))
}

func TestReadReport(t *testing.T) {
	valid := `{"schema_version":1,"summary":{"source":"CIEL/CIEL","version":"v2026-10-01","by_severity":{"error":1},"by_rule":{"FR-01":1}},
		"findings":[{"rule":"FR-01","severity":"error","concept_id":"12","message":"two preferred names"}]}`
	report, err := ReadReport(strings.NewReader(valid))
	require.NoError(t, err)
	assert.Equal(t, "v2026-10-01", report.Summary.Version)
	assert.Equal(t, 1, report.Errors())
	assert.Equal(t, []Finding{finding("FR-01", SeverityError, "12", "two preferred names")}, report.Findings)

	empty, err := ReadReport(strings.NewReader(`{"schema_version":1,"summary":{},"findings":null}`))
	require.NoError(t, err)
	assert.NotNil(t, empty.Findings)

	errorCases := []struct {
		name    string
		input   string
		wantErr string
	}{
		{"empty input", ``, "not a JSON report"},
		{"not JSON", `PK\x03\x04 zip bytes`, "not a JSON report"},
		{"truncated", `{"schema_version":1,"findings":[`, "not a JSON report"},
		{"JSON of something else", `{"name":"package.json","version":"1.0.0"}`, "no schema_version"},
		{"an array", `[1,2,3]`, "not a Shepherd QA report"},
		{"wrong field type", `{"schema_version":"1"}`, `field "schema_version" has the wrong type`},
		{"future schema", `{"schema_version":99,"summary":{},"findings":[]}`, "schema_version 99 is not supported"},
		{"negative schema", `{"schema_version":-1}`, "schema_version -1 is not supported"},
		{"trailing data", `{"schema_version":1} {"schema_version":1}`, "unexpected data after the report"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadReport(strings.NewReader(tt.input))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), "read QA report")
		})
	}
}

func TestReadReportRefusesOversizedInput(t *testing.T) {
	big := `{"schema_version":1,"summary":{},"findings":[` + strings.Repeat(`{"rule":"FR-01","message":"m"},`, 100) + `{}]}`
	_, err := readReport(strings.NewReader(big), 1000)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than 1000 bytes")

	_, err = readReport(strings.NewReader(big), int64(len(big)))
	assert.NoError(t, err, "a report of exactly the limit is read")
}

package qa

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFold(t *testing.T) {
	f := newFolder()
	tests := []struct{ in, want string }{
		{"  Malaria ", "malaria"},
		{"Straße", "strasse"},
		{"STRASSE", "strasse"},
		{"ΣΊΣΥΦΟΣ", "σίσυφοσ"},
		{"Paludisme É", "paludisme é"},
		{"", ""},
		{"\xff", "\ufffd"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, string(f.appendFold(nil, tc.in)), tc.in)
	}
	h := newHasher()
	assert.Equal(t, h.text("Straße"), h.text(" STRASSE"))
	assert.NotEqual(t, h.text("Strasse"), h.text("Strasser"))
}

func TestFindHTMLEntity(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"Crohn&#39;s", "&#39;"},
		{"A &amp; B", "&amp;"},
		{"&#x2019;s", "&#x2019;"},
		{"A & B; C", ""},
		{"&#;", ""},
		{"&#x;", ""},
		{"AT&T", ""},
		{"ends with &amp", ""},
		{"&", ""},
	}
	for _, tc := range tests {
		got, ok := findHTMLEntity(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.Equal(t, tc.want != "", ok, tc.in)
	}
}

func TestFindConjunction(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Nausea and/or vomiting", " and/or "},
		{"Nausea AND vomiting", " and "},
		{"Fever Or chills", " or "},
		{"Candor", ""},
		{"Fever or", ""},
		{"and then", ""},
		{"Orange  or  lemon", " or "},
	}
	for _, tc := range tests {
		got, _ := findConjunction(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestHasWordOther(t *testing.T) {
	for in, want := range map[string]bool{
		"Other malaria": true, "Malaria, other": true, "malaria (OTHER)": true,
		"Mother": false, "Others": false, "Brother or other": true, "": false,
	} {
		assert.Equal(t, want, hasWordOther(in), in)
	}
}

func TestCompareCodes(t *testing.T) {
	assert.Negative(t, compareCodes("2", "10"))
	assert.Negative(t, compareCodes("10", "A"))
	assert.Positive(t, compareCodes("B", "A"))
	assert.Negative(t, compareCodes("007", "8"))
	assert.NotZero(t, compareCodes("07", "7"))
	assert.Zero(t, compareCodes("7", "7"))
}

func TestAppendLowerIsToLower(t *testing.T) {
	for _, s := range []string{"", "Numeric", "CONVSET", "N/A", "Structured-Numeric", "NUMERİC", "Ärztliche", strings.Repeat("LabSet", 10)} {
		assert.Equal(t, strings.ToLower(s), string(appendLower(nil, s)), s)
	}
}

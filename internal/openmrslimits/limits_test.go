package openmrslimits

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStorableNumber(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		assert.False(t, StorableNumber(v), "%v", v)
	}
	for _, v := range []float64{0, -1.5, math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64} {
		assert.True(t, StorableNumber(v), "%v", v)
	}
}

func TestUnstorableText(t *testing.T) {
	assert.Contains(t, UnstorableText("Fever 🤒"), "U+1F912")
	assert.Contains(t, UnstorableText(strings.Repeat("x", MaxTextBytes+1)), "65535 bytes")
	assert.Contains(t, UnstorableText("a\xffb"), "not valid UTF-8")
	// Close: 3-byte characters (the largest utf8mb3 holds) and exactly a TEXT column's size.
	assert.Empty(t, UnstorableText("Fièvre € \uffff 中文"))
	assert.Empty(t, UnstorableText(strings.Repeat("€", MaxTextBytes/3)))
	assert.Empty(t, UnstorableText(strings.Repeat("x", MaxTextBytes)))
	assert.Empty(t, UnstorableText(string(utf8RuneError)), "U+FFFD written out is a real character")
}

const utf8RuneError = '\uFFFD'

func TestRowUUID(t *testing.T) {
	assert.Equal(t, "abc", RowUUID("  abc ", "", "seed"), "the trimmed external_id")
	long := strings.Repeat("a", 39)
	oclUUID := "0f8fad5b-d9cb-469f-a165-70867728950e"
	assert.Equal(t, oclUUID, RowUUID(long, oclUUID, "seed"), "an external_id over 38 bytes gives way to the OCL uuid")
	derived := RowUUID("", "not-a-uuid", "concept_name", "x")
	assert.True(t, LooksLikeUUID(derived))
	assert.Equal(t, derived, RowUUID(" ", "", "concept_name", "x"), "derived uuids are stable")
	assert.NotEqual(t, derived, RowUUID("", "", "concept_name", "y"))
}

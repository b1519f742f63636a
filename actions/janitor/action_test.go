package janitor

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The job summary ends with the day's digest: each reminded item, what it waits for,
// and who was named as able to act (or that nobody could be).
func TestSummaryDigestNamesWhoCanActPerItem(t *testing.T) {
	md := markdown([]result{
		{Version: "v2026-01-01", Removed: true},
		{Version: "v2026-02-01", Reminded: true, Waiting: "in phase incomplete since 2026-02-01 08:00 UTC", Mentioned: []string{"carol", "CIEL/release-managers"}},
		{Version: "PR #12", Reminded: true, Waiting: "for a review since 2026-02-03 10:00 UTC"},
	}, false)
	assert.Contains(t, md, "#### Reminders posted today\n\n| Item | Waiting | Who can act |\n")
	assert.Contains(t, md, "| `v2026-02-01` | in phase incomplete since 2026-02-01 08:00 UTC | @carol @CIEL/release-managers |\n")
	assert.Contains(t, md, "| `PR #12` | for a review since 2026-02-03 10:00 UTC | nobody who may act could be named: set `reminders.owners` |\n")
	assert.NotContains(t, markdown([]result{{Version: "v2026-01-01", Removed: true}}, false), "Reminders posted today", "no reminder, no digest")
}

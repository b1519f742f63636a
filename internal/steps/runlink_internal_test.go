package steps

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// actionsEnv is a workflow's default variables for run 42 of o/r, with its attempt as
// given ("" leaves GITHUB_RUN_ATTEMPT unset).
func actionsEnv(runID, attempt string) func(string) string {
	vars := map[string]string{"GITHUB_SERVER_URL": "https://github.example.org", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": runID}
	if attempt != "" {
		vars["GITHUB_RUN_ATTEMPT"] = attempt
	}
	return func(k string) string { return vars[k] }
}

// A run's link names the attempt that runs, the first one too (a re-run would otherwise
// turn it into the later attempt's page); an attempt number that is not a positive whole
// number leaves the attempt out, and a run id that is not one leaves no link at all.
func TestRunURLNamesTheAttempt(t *testing.T) {
	const page = "https://github.example.org/o/r/actions/runs/42"
	for attempt, want := range map[string]string{
		"1": page + "/attempts/1", "3": page + "/attempts/3", "007": page + "/attempts/7",
		"": page, "0": page, "-1": page, "+3": page, " 3": page, "3 ": page, "2.0": page, "three": page,
		"3/../../x": page, "18446744073709551616": page, // one past the largest uint64
	} {
		got := RunURL(actionsEnv("42", attempt))
		assert.Equal(t, want, got, "GITHUB_RUN_ATTEMPT=%q", attempt)
		assert.NoError(t, checkRunLink(got), "what RunURL writes passes the lease's check")
	}
	for _, id := range []string{"", "0", "-42", "4x2", "42/attempts/9", "42?x=1"} {
		assert.Empty(t, RunURL(actionsEnv(id, "2")), "GITHUB_RUN_ID=%q", id)
	}
	assert.Equal(t, page+"/attempts/2", RunURL(func(k string) string {
		return map[string]string{"GITHUB_SERVER_URL": "https://github.example.org/", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2"}[k]
	}), "a trailing slash on the server is dropped")
	for _, repo := range []string{"", "o", "o/r x", "o/r/extra"} {
		assert.Empty(t, RunURL(func(k string) string {
			return map[string]string{"GITHUB_SERVER_URL": "https://github.example.org", "GITHUB_REPOSITORY": repo, "GITHUB_RUN_ID": "42"}[k]
		}), "GITHUB_REPOSITORY=%q", repo)
	}
	assert.Empty(t, RunURL(func(string) string { return "" }), "outside Actions")
}

// A lease written before run links carried the attempt is as trusted as one written
// after, and shows its run either way; a run link of any other shape makes the lease
// untrusted and is not shown.
func TestLeaseTrustsRunLinksWithAndWithoutTheAttempt(t *testing.T) {
	since := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	lease := func(run string) *Lease {
		return &Lease{Holder: LeaseRetry, Run: run, Version: "v2026-11-22", Token: "t", Since: since, Heartbeat: since, Until: since.Add(leaseFor)}
	}
	for _, run := range []string{
		"https://github.example.org/o/r/actions/runs/42",            // stored before the attempt was written
		"https://github.example.org/o/r/actions/runs/42/attempts/3", // written now
		"https://github.com/CIEL/ciel-releases/actions/runs/12/attempts/1",
		"",
	} {
		l := lease(run)
		assert.Empty(t, l.check("v2026-11-22", since), run)
		if run != "" {
			assert.Contains(t, l.Describe(), "(run "+run+")")
			notices := staleLeases([]*Lease{lease(run)}, since.Add(time.Hour), 45*time.Minute)
			require.Len(t, notices, 1)
			assert.Equal(t, run, notices[0].RunURL)
		}
	}
	for _, run := range []string{
		"javascript:alert(1)",
		"file:///tmp/o/r/actions/runs/42",
		"https://github.example.org/o/r/actions/runs/abc",
		"https://github.example.org/o/r/actions/runs/0",
		"https://github.example.org/o/r/actions/runs/42/attempts/0",
		"https://github.example.org/o/r/actions/runs/42/attempts/",
		"https://github.example.org/o/r/actions/runs/42/attempts/2/jobs",
		"https://github.example.org/o/r/actions/runs/42?attempt=2",
		"https://github.example.org/o/r/actions/runs/42#attempt-2",
		"https://github.example.org/o/r/pull/42",
		"https://user@github.example.org/o/r/actions/runs/42",
		"https://github.example.org/o/r/actions/runs/42/attempts/2 (x)",
	} {
		l := lease(run)
		assert.Equal(t, "the lease's run is not a link Shepherd writes", l.check("v2026-11-22", since), run)
		assert.NotContains(t, l.Describe(), "(run ", run)
	}
}

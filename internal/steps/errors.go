package steps

import (
	"errors"
	"fmt"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/store"
)

// MaxTransientAttempts is how many runs in a row a transient error (an outage, a rate
// limit) may stop a release in one phase before the release fails: ten ticks of the export
// poll are over an hour and a half.
const MaxTransientAttempts = 10

// isPermanentOCL tells OCL's refusals, which a re-run will not fix, from outages.
func isPermanentOCL(err error) bool {
	return errors.Is(err, ocl.ErrBadRequest) || errors.Is(err, ocl.ErrForbidden) ||
		errors.Is(err, ocl.ErrUnauthorized) || errors.Is(err, ocl.ErrNotFound)
}

// storageSetupError is a store that could not be set up (credentials missing, a bad
// endpoint): a person has to fix the configuration.
type storageSetupError struct{ err error }

func (s *storageSetupError) Error() string { return s.err.Error() }
func (s *storageSetupError) Unwrap() error { return s.err }

// Trouble counts the runs in a row that a transient error stopped a release in one phase.
type Trouble struct {
	Phase    release.Phase `json:"phase"`
	Attempts int           `json:"attempts"`
	Since    time.Time     `json:"since"`
	What     string        `json:"what"`  // "storage unreachable", "GitHub unavailable", …
	Error    string        `json:"error"` // the last error
}

// errorClass says which service an error came from, what kind of trouble it is, and
// whether only a person can fix it.
func errorClass(err error) (what string, permanent bool) {
	var ghErr *github.APIError
	var storeErr *store.RequestError
	var oclErr *ocl.APIError
	var setupErr *storageSetupError
	switch {
	case errors.As(err, &setupErr):
		return "storage not set up", true
	case errors.As(err, &storeErr) || errors.Is(err, store.ErrUnreachable) || errors.Is(err, store.ErrInvalidKey):
		switch {
		case errors.Is(err, store.ErrUnreachable):
			return "storage unreachable", false
		case store.IsPermanent(err):
			return "storage refused", true
		}
		return "storage failing", false
	case errors.As(err, &ghErr):
		switch {
		case errors.Is(err, github.ErrRateLimited):
			return "GitHub rate limit", false
		case github.IsPermanent(err):
			return "GitHub refused", true
		}
		return "GitHub unavailable", false
	case errors.As(err, &oclErr) || errors.Is(err, ocl.ErrUnavailable) || isPermanentOCL(err):
		if isPermanentOCL(err) {
			return "OCL refused", true
		}
		return "OCL unavailable", false
	}
	return "error", false
}

// troubleCurrent reports whether the recorded trouble belongs to the release as it stands:
// the same phase, and nothing happened to the release (a retry, a failure) since it began.
func troubleCurrent(rec *Record) bool {
	tr := rec.Trouble
	return tr != nil && tr.Phase == rec.Release.Phase && !tr.Since.Before(rec.Release.Last().At)
}

// TroubleLine is the status row of a release that transient errors keep from going on,
// e.g. "storage unreachable: attempt 3 of 10 since …"; "" when there is none.
func TroubleLine(rec *Record) string {
	if !troubleCurrent(rec) || rec.Release.Phase.Terminal() {
		return ""
	}
	tr := rec.Trouble
	next := "the next scheduled run tries again"
	switch rec.Release.Phase {
	case release.Configuration, release.QA, release.Deploy:
		// Nothing scheduled runs these phases; the release workflow takes them up again
		// without the retry box, as the release has not failed.
		next = "run the release workflow by hand with this version to try again (Actions → release → Run workflow)"
	}
	return fmt.Sprintf("| Trouble | %s: attempt %d of %d since %s; %s. Last error: %s |\n",
		tr.What, tr.Attempts, MaxTransientAttempts, tr.Since.UTC().Format(timeLayout), next, escapeCell(oneLine(tr.Error)))
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

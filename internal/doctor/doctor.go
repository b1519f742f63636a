// Package doctor checks that a release repository is set up for Shepherd: the secrets, the
// GitHub token's or App's permissions, the repository's settings, OCL, the bucket and the
// load-test database. Every check only reads; none creates, changes or deletes anything.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/store"
	"github.com/shepherd-release/shepherd/internal/words"
)

// Status is a check's outcome.
type Status string

const (
	OK      Status = "ok"
	Warn    Status = "warn"    // works, but something deserves a look
	Fail    Status = "fail"    // a release would fail or be unsafe
	Skipped Status = "skipped" // not applicable, or could not be asked (Found says why)
)

// Result is one check's outcome: what was found, in one line, and what to do about it.
type Result struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	Found  string `json:"found"`
	// Fix is what a person does about a warning or failure ("" when ok).
	Fix string `json:"fix,omitempty"`
	// Docs is the section of docs/doctor.md that explains the check.
	Docs string `json:"docs"`
}

// DocsPage is where every check is explained, one section (anchor) each.
const DocsPage = "docs/doctor.md"

// checkTimeout bounds one check, so that an unreachable server cannot hang the run.
const checkTimeout = 45 * time.Second

// Options say what to check and where the services are.
type Options struct {
	Config      *manifest.Config
	Owner, Repo string
	Getenv      func(string) string
	Now         func() time.Time
	// GitHub, OCL and store settings for tests; credentials always come from Getenv.
	GitHubOptions github.Options
	OCLOptions    []ocl.Option
	StoreOptions  []store.Option
}

// Report is a whole run.
type Report struct {
	Repository string   `json:"repository"`
	Config     string   `json:"config"`
	Checks     []Result `json:"checks"`
}

// Failed counts the failed checks.
func (r *Report) Failed() int { return r.count(Fail) }

func (r *Report) count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// ExitCode is 0 when nothing failed (warnings allowed) and 1 otherwise.
func (r *Report) ExitCode() int {
	if r.Failed() > 0 {
		return 1
	}
	return 0
}

// Run runs every check in order. Checks that need a service the earlier ones found
// unusable are skipped, saying why.
func Run(ctx context.Context, o Options) *Report {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Config == nil {
		o.Config = manifest.DefaultConfig()
	}
	d := &run{o: o, cfg: o.Config}
	report := &Report{Repository: o.Owner + "/" + o.Repo, Config: o.Config.File}
	for _, c := range d.checks() {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		res := c.run(cctx)
		cancel()
		res.ID, res.Title, res.Docs = c.id, c.title, DocsPage+"#"+c.id
		report.Checks = append(report.Checks, res)
	}
	return report
}

// check is one entry of the list.
type check struct {
	id, title string
	run       func(context.Context) Result
}

// run holds what the checks share: the clients, built once, and what earlier checks learnt.
type run struct {
	o   Options
	cfg *manifest.Config

	auth    github.Auth
	authErr error // why there are no GitHub credentials
	gh      *github.Client
	ghErr   error // why there is no GitHub client
	repo    *github.RepoSettings

	ocl           *ocl.Client
	oclErr        error
	oclSourceRead bool  // the source's HEAD was read with the token
	oclSourceErr  error // why it was not

	bucket          *store.S3
	bucketErr       error
	bucketReachable bool
}

func (d *run) checks() []check {
	return []check{
		{"credentials", "secrets and credentials present", d.checkCredentials},
		{"github-permissions", "GitHub token or App permissions", d.checkGitHubPermissions},
		{"issues", "Issues enabled", d.checkIssues},
		{"actions", "GitHub Actions enabled", d.checkActions},
		{"workflows", "Shepherd's workflows enabled", d.checkWorkflows},
		{"schedule-60-days", "scheduled workflows and the 60-day rule", d.checkSchedule},
		{"branch-protection", "default branch requires shepherd/qa and a review", d.checkBranchProtection},
		{"ocl-source", "OCL source reachable with the token", d.checkOCLSource},
		{"ocl-create-version", "OCL token may create versions", d.checkOCLCreateVersion},
		{"bucket", "bucket reachable", d.checkBucket},
		{"bucket-lifecycle", "bucket lifecycle rule", d.checkLifecycle},
		{"bucket-versioning", "bucket versioning off", d.checkVersioning},
		{"bucket-conditional-writes", "bucket honours conditional writes (leases)", d.checkConditional},
		{"bucket-policy", "public-read policy (public links only)", d.checkPolicy},
		{"load-test-db", "load-test database reachable", d.checkLoadTestDB},
	}
}

func ok(format string, args ...any) Result {
	return Result{Status: OK, Found: fmt.Sprintf(format, args...)}
}

func skipped(format string, args ...any) Result {
	return Result{Status: Skipped, Found: fmt.Sprintf(format, args...)}
}

func failed(fix, format string, args ...any) Result {
	return Result{Status: Fail, Found: fmt.Sprintf(format, args...), Fix: fix}
}

func warned(fix, format string, args ...any) Result {
	return Result{Status: Warn, Found: fmt.Sprintf(format, args...), Fix: fix}
}

// oneLine keeps an error's text to one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// WriteText prints one block per check: status, id and what was found, then the fix and
// where it is explained, and a summary line.
func WriteText(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "shepherd doctor: %s", r.Repository)
	if r.Config != "" {
		fmt.Fprintf(w, " (configuration %s)", r.Config)
	}
	fmt.Fprintln(w)
	for _, c := range r.Checks {
		fmt.Fprintf(w, "%-7s %-19s %s\n", strings.ToUpper(string(c.Status)), c.ID, c.Found)
		if c.Fix != "" {
			fmt.Fprintf(w, "        %-19s fix: %s (%s)\n", "", c.Fix, c.Docs)
		}
	}
	_, err := fmt.Fprintf(w, "%d ok, %s, %d failed, %d skipped\n", r.count(OK), words.Count(r.count(Warn), "warning", "warnings"), r.count(Fail), r.count(Skipped))
	return err
}

// WriteJSON prints the report as one JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Report
		OK       int `json:"ok"`
		Warnings int `json:"warnings"`
		Failed   int `json:"failed"`
		Skipped  int `json:"skipped"`
		ExitCode int `json:"exit_code"`
	}{r, r.count(OK), r.count(Warn), r.count(Fail), r.count(Skipped), r.ExitCode()})
}

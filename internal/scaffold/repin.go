package scaffold

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/shepherd-release/shepherd/internal/buildinfo"
)

// shepherdUses matches a "uses:" of Shepherd's reusable workflows or actions with its ref:
// group 1 is everything before "@", group 2 the ref.
var shepherdUses = regexp.MustCompile(`(uses:[ \t]*["']?` + regexp.QuoteMeta(Repository) + `/[^@\s"']+)@([^\s"'#]+)`)

// pinNote is the tag the header comment of a written caller names ("Pinned to Shepherd
// v1.2.3,"): kept true when the refs move.
var pinNote = regexp.MustCompile(`(Pinned to Shepherd )(v[^\s,]+),`)

// Repin points every use of Shepherd's reusable workflows and actions in a workflow file
// at ref, a release tag, leaving everything else as written. It returns the new text and
// how many refs it changed.
func Repin(text []byte, ref string) ([]byte, int, error) {
	if !buildinfo.IsRelease(ref) {
		return nil, 0, fmt.Errorf("%q is not a Shepherd release tag (like v1.2.3)", ref)
	}
	changed := 0
	out := shepherdUses.ReplaceAllFunc(text, func(m []byte) []byte {
		sub := shepherdUses.FindSubmatch(m)
		if string(sub[2]) == ref {
			return m
		}
		changed++
		return append(append([]byte{}, sub[1]...), "@"+ref...)
	})
	if changed > 0 {
		out = pinNote.ReplaceAll(out, []byte("${1}"+ref+","))
	}
	return out, changed, nil
}

// RepinWorkflows repins the caller workflows .github/workflows/shepherd-*.yml under dir
// and names the files it changed. Every file is checked before any is written, so a bad
// ref changes nothing.
func RepinWorkflows(dir, ref string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, ".github", "workflows", "shepherd-*.yml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no .github/workflows/shepherd-*.yml in %s: is it the release repository?", dir)
	}
	sort.Strings(paths)
	updated := map[string][]byte{}
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out, n, err := Repin(text, ref)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			updated[p] = out
		}
	}
	var changed []string
	for _, p := range paths {
		out, ok := updated[p]
		if !ok {
			continue
		}
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, out, 0o644); err != nil {
			return changed, err
		}
		if err := os.Rename(tmp, p); err != nil {
			return changed, err
		}
		changed = append(changed, p)
	}
	return changed, nil
}

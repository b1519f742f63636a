package manifest

import (
	"fmt"
	"math"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Kind is which of the two files a repository gives Shepherd a file is.
type Kind int

const (
	KindUnknown Kind = iota
	KindManifest
	KindConfig
)

func (k Kind) String() string {
	switch k {
	case KindManifest:
		return "release manifest"
	case KindConfig:
		return "configuration"
	}
	return "unknown"
}

// fieldNames lists the top-level keys a manifest or a configuration may have.
func fieldNames(fields []field) map[string]bool {
	names := make(map[string]bool, len(fields))
	for _, f := range fields {
		names[f.name] = true
	}
	return names
}

var (
	manifestKeys = fieldNames((&Manifest{}).fields(&decoder{}))
	configKeys   = fieldNames((&Config{}).fields(&decoder{}))
)

// KindOf tells a configuration from a release manifest: by its path first (the
// configuration is .github/shepherd.yaml, manifests live in releases/), else by the keys
// at the top of the file, counting only those one of the two has and the other has not
// (both have exports and qa). It returns KindUnknown, with why, when neither tells.
func KindOf(filename string, data []byte) (Kind, string) {
	name := filepath.ToSlash(filename)
	if name == ConfigPath || strings.HasSuffix(name, "/"+ConfigPath) {
		return KindConfig, ""
	}
	if path.Base(path.Dir(name)) == ReleasesDir {
		return KindManifest, ""
	}
	r := &reporter{file: filename, pos: newPositions()}
	root, ok := parseRoot(r, data, "")
	if !ok {
		return KindUnknown, r.errs.Error()
	}
	m, _ := (&decoder{r}).mapping(root, "")
	var forManifest, forConfig int
	iter := m.MapRange()
	for iter.Next() {
		key := keyName(iter.Key())
		switch {
		case manifestKeys[key] && !configKeys[key]:
			forManifest++
		case configKeys[key] && !manifestKeys[key]:
			forConfig++
		}
	}
	switch {
	case forManifest > forConfig:
		return KindManifest, ""
	case forConfig > forManifest:
		return KindConfig, ""
	}
	return KindUnknown, fmt.Sprintf("%s:1:1: cannot tell a release manifest (version: …, in releases/) from a configuration (ocl:, storage:, … in %s) by its fields",
		filename, ConfigPath)
}

// PickedUp checks that a manifest's file is one the workflows act on: they pick up only
// releases/vYYYY-MM-DD.yaml, so a manifest anywhere else, or named otherwise, would
// never be released. It is a separate check from ParseManifest because a manifest may
// be read from elsewhere on purpose (`shepherd new --dir`).
func (m *Manifest) PickedUp() error {
	name := filepath.ToSlash(m.File)
	if path.Base(path.Dir(name)) == ReleasesDir && versionFileName.MatchString(path.Base(name)) {
		return nil
	}
	r := &reporter{file: m.File, pos: m.pos}
	r.atValue("version", "the workflows pick up only %s/vYYYY-MM-DD.yaml: move the file to %s", ReleasesDir, ManifestPath(m.Version))
	return r.errs.err()
}

// CheckRuleIDs refuses QA overrides that name a rule outside known (the ids of the qa
// package's catalogue, which this package does not import), suggesting the nearest id.
func (m *Manifest) CheckRuleIDs(known []string) error {
	r := &reporter{file: m.File, pos: m.pos}
	m.QA.checkKnown(r, "qa", known)
	return r.errs.err()
}

// CheckRuleIDs is Manifest.CheckRuleIDs for the configuration's qa section.
func (c *Config) CheckRuleIDs(known []string) error {
	r := &reporter{file: c.File, pos: c.pos}
	c.QA.QAOverrides.checkKnown(r, "qa", known)
	return r.errs.err()
}

func (o QAOverrides) checkKnown(r *reporter, path string, known []string) {
	isKnown := make(map[string]bool, len(known))
	for _, k := range known {
		isKnown[k] = true
	}
	unknown := func(rule string) string {
		return fmt.Sprintf("%s is not a QA rule, did you mean %s? (the rules are listed in docs/qa-rules.md)", quote(rule), nearest(rule, known))
	}
	for _, rule := range sortedKeys(o.Severity) {
		if !isKnown[rule] {
			r.atKey(joinPath(joinPath(path, "severity"), rule), "%s", unknown(rule))
		}
	}
	for i, rule := range o.Disabled {
		if !isKnown[rule] {
			r.atValue(indexPath(joinPath(path, "disabled"), i), "%s", unknown(rule))
		}
	}
}

// nearest is the known name fewest edits away from name. Among equals it takes the one
// whose number is closest (EX-06 suggests EX-05, not EX-01), then the first in order.
func nearest(name string, known []string) string {
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	best, bestDistance, bestGap := "", -1, 0
	for _, k := range sorted {
		d, gap := editDistance(name, k), numberGap(name, k)
		if bestDistance < 0 || d < bestDistance || d == bestDistance && gap < bestGap {
			best, bestDistance, bestGap = k, d, gap
		}
	}
	return best
}

// numberGap is how far apart the numbers ending two rule ids are (a large gap when
// either has none).
func numberGap(a, b string) int {
	number := func(s string) (int, bool) {
		i := strings.LastIndexByte(s, '-')
		n, err := strconv.Atoi(s[i+1:])
		return n, err == nil
	}
	x, okA := number(a)
	y, okB := number(b)
	if !okA || !okB {
		return math.MaxInt
	}
	return max(x-y, y-x)
}

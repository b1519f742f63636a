package manifest

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// ParseDuration reads durations as written in the configuration: Go's form ("10m",
// "1h30m", "504h") with a leading number of days allowed ("21d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	days, rest, hasDays := strings.Cut(s, "d")
	if !hasDays {
		return parseClockDuration(s)
	}
	if !isDigits(days) {
		return 0, errors.New("days must be a whole number, like 21d")
	}
	n, err := strconv.ParseInt(days, 10, 64)
	const maxDays = 100 * 366
	if err != nil || n > maxDays {
		return 0, fmt.Errorf("more than %d days", maxDays)
	}
	total := time.Duration(n) * day
	if rest == "" {
		return total, nil
	}
	if rest[0] < '0' || rest[0] > '9' {
		return 0, errors.New("a sign or unit cannot follow the days")
	}
	clock, err := parseClockDuration(rest)
	if err != nil {
		return 0, err
	}
	return total + clock, nil
}

func parseClockDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		// time's own message repeats the input; ours is said once by the caller.
		return 0, errors.New("not a duration")
	}
	return d, nil
}

// FormatDuration writes a duration the way ParseDuration reads it, in the shortest
// form: "21d", "10m", "1h30m".
func FormatDuration(d time.Duration) string {
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String() // like "1h0m0s", "10m0s", "1h30m0s" or "1.5s"
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

var sizeUnits = map[string]int64{
	"":    1,
	"B":   1,
	"kB":  1000,
	"KB":  1000,
	"MB":  1000 * 1000,
	"GB":  1000 * 1000 * 1000,
	"KiB": 1 << 10,
	"MiB": 1 << 20,
	"GiB": 1 << 30,
}

var sizePattern = regexp.MustCompile(`^([0-9]+) ?([A-Za-z]*)$`)

// ParseSize reads a byte size: a number of bytes, or a number with a unit (B, kB, MB,
// GB in powers of 1000; KiB, MiB, GiB in powers of 1024).
func ParseSize(s string) (int64, error) {
	m := sizePattern.FindStringSubmatch(s)
	if m == nil {
		return 0, errors.New("not a size")
	}
	unit, ok := sizeUnits[m[2]]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", m[2])
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > math.MaxInt64/unit {
		return 0, errors.New("too large")
	}
	return n * unit, nil
}

// FormatSize writes a byte size in the largest binary unit that divides it exactly.
func FormatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

var (
	// ruleIDPattern is the shape of QA rule ids; the qa package knows which exist.
	ruleIDPattern = regexp.MustCompile(`^[A-Z]{2}-[0-9]{2}$`)
	// envNamePattern is the conventional shape of environment variable names. Asking
	// for upper case also catches most tokens pasted where a name belongs.
	envNamePattern = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,127}$`)
	// mnemonicPattern is what OCL accepts as an org or source id.
	mnemonicPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$`)
	// exportNamePattern keeps export names usable as file and folder names.
	exportNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// checkHTTPURL returns why s is not an absolute http(s) URL without query or fragment.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return errors.New("is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must start with https:// (or http://)")
	case u.Host == "":
		return errors.New("has no host")
	case u.User != nil:
		return errors.New("must not contain a user name or password")
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return errors.New("must not have a query (?) or fragment (#)")
	}
	return nil
}

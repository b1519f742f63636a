// Package words writes counts and durations the way people read them in statuses,
// comments and the command line: "1 error", "2 errors", "4 min 10 s", "12 h", never
// "1 errors" or Go's "4m10s".
package words

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Count writes n with the noun that agrees with it, thousands separated:
// Count(1, "error", "errors") is "1 error", Count(100000, …) "100,000 errors".
func Count(n int, one, many string) string {
	if n == 1 || n == -1 {
		return Number(n) + " " + one
	}
	return Number(n) + " " + many
}

// Number writes an integer with thousands separators: 100000 → "100,000".
func Number(n int) string {
	s := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}

const day = 24 * time.Hour

// Duration writes d in at most two units, rounded to the smaller one: "850 ms",
// "2.4 s", "42 s", "4 min 10 s", "50 min", "11 h 50 min", "12 h", "3 days 4 h".
// Below 10 seconds it keeps a tenth of a second, below a second milliseconds.
func Duration(d time.Duration) string {
	if d < 0 {
		return "-" + Duration(-d)
	}
	switch {
	case d == 0:
		return "0 s"
	case d < time.Second:
		if ms := d.Round(time.Millisecond); ms < time.Second {
			return strconv.FormatInt(max(int64(ms/time.Millisecond), 1), 10) + " ms"
		}
		d = time.Second
	}
	if d < 10*time.Second {
		tenths := d.Round(100 * time.Millisecond)
		if tenths < 10*time.Second {
			return strconv.FormatFloat(tenths.Seconds(), 'f', -1, 64) + " s"
		}
		d = 10 * time.Second
	}
	switch {
	case d.Round(time.Second) < time.Minute:
		return pair(d.Round(time.Second), time.Second, "s", 0, "")
	case d.Round(time.Second) < time.Hour:
		return pair(d.Round(time.Second), time.Minute, "min", time.Second, "s")
	case d.Round(time.Minute) < day:
		return pair(d.Round(time.Minute), time.Hour, "h", time.Minute, "min")
	}
	d = d.Round(time.Hour)
	days := int(d / day)
	out := Count(days, "day", "days")
	if h := int((d % day) / time.Hour); h > 0 {
		out += " " + strconv.Itoa(h) + " h"
	}
	return out
}

// Seconds is Duration for a count of seconds, as records keep them.
func Seconds(s float64) string {
	return Duration(time.Duration(s * float64(time.Second)))
}

// pair writes d (already rounded to small) as whole bigs and the rest in smalls,
// leaving out a rest of zero.
func pair(d, big time.Duration, bigName string, small time.Duration, smallName string) string {
	out := strconv.FormatInt(int64(d/big), 10) + " " + bigName
	if small == 0 {
		return out
	}
	if rest := (d % big) / small; rest > 0 {
		out += " " + strconv.FormatInt(int64(rest), 10) + " " + smallName
	}
	return out
}

// Size writes a file size in binary units: "213 B", "37.8 KiB", "38.0 MiB".
func Size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

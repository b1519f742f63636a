package words

import (
	"testing"
	"time"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "0 errors"}, {1, "1 error"}, {2, "2 errors"}, {1000, "1,000 errors"}, {1234567, "1,234,567 errors"}, {-1, "-1 error"},
	} {
		if got := Count(c.n, "error", "errors"); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{300 * time.Microsecond, "1 ms"},
		{850 * time.Millisecond, "850 ms"},
		{999600 * time.Microsecond, "1 s"},
		{2440 * time.Millisecond, "2.4 s"},
		{3 * time.Second, "3 s"},
		{9960 * time.Millisecond, "10 s"},
		{42 * time.Second, "42 s"},
		{59600 * time.Millisecond, "1 min"},
		{4*time.Minute + 10*time.Second, "4 min 10 s"},
		{50 * time.Minute, "50 min"},
		{59*time.Minute + 59*time.Second + 600*time.Millisecond, "1 h"},
		{11*time.Hour + 50*time.Minute, "11 h 50 min"},
		{11*time.Hour + 50*time.Minute + 40*time.Second, "11 h 51 min"},
		{12 * time.Hour, "12 h"},
		{24 * time.Hour, "1 day"},
		{76 * time.Hour, "3 days 4 h"},
		{21 * 24 * time.Hour, "21 days"},
		{-90 * time.Second, "-1 min 30 s"},
	} {
		if got := Duration(c.d); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	if got := Seconds(250.4); got != "4 min 10 s" {
		t.Errorf("Seconds(250.4) = %q", got)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 213: "213 B", 1024: "1.0 KiB", 38707: "37.8 KiB", 38 << 20: "38.0 MiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

package exportfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// longestSpaceRunOutsideStrings measures what encoding/json would have to buffer.
func longestSpaceRunOutsideStrings(doc []byte) int {
	longest, run := 0, 0
	inString, escaped := false, false
	for _, c := range doc {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			run = 0
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			run++
			longest = max(longest, run)
		default:
			run = 0
			inString = c == '"'
		}
	}
	return longest
}

func TestGuardShortensWhiteSpaceBetweenTokensOnly(t *testing.T) {
	spacesInString := strings.Repeat(" ", 3*maxSpaceRun)
	doc := "{" + strings.Repeat(" \n\t", 4*maxSpaceRun) + `"id":"v1",` +
		`"description":"` + spacesInString + `\"` + spacesInString + `",` +
		`"concepts":[` + strings.Repeat(" ", 10*maxSpaceRun) + `{"id":"1"}` + strings.Repeat("\r\n", 3*maxSpaceRun) + `]}`
	require.Greater(t, longestSpaceRunOutsideStrings([]byte(doc)), maxSpaceRun)

	out, err := io.ReadAll(newGuard(context.Background(), strings.NewReader(doc), DefaultMaxValue))
	require.NoError(t, err)
	assert.LessOrEqual(t, longestSpaceRunOutsideStrings(out), maxSpaceRun, "runs between tokens are shortened")
	assert.Contains(t, string(out), `"description":"`+spacesInString+`\"`+spacesInString+`"`, "white space inside strings is kept")

	c, _, err := collect(t, doc)
	require.NoError(t, err)
	assert.Equal(t, "v1", c.version.ID)
	assert.Equal(t, spacesInString+`"`+spacesInString, c.version.Description)
	require.Len(t, c.concepts, 1)
	assert.Equal(t, "1", c.concepts[0].ID)
}

// Real exports are passed on byte for byte.
func TestGuardLeavesOrdinaryDocumentsUntouched(t *testing.T) {
	out, err := io.ReadAll(newGuard(context.Background(), strings.NewReader(sampleJSON), DefaultMaxValue))
	require.NoError(t, err)
	assert.Equal(t, sampleJSON, string(out))
}

// 32 MiB of spaces inside the concepts array of a zipped export (33 KB of zip): the
// inflater hands out small reads, and encoding/json alone rescanned its growing buffer
// after each one (over a minute of CPU). Now it is read in one pass, and still an export
// with its one concept.
func TestDecodeLongWhiteSpaceRun(t *testing.T) {
	doc := `{"id":"v1","concepts":[` + strings.Repeat(" ", 32<<20) + `{"id":"7"}]}`
	p := writeZip(t, map[string]string{"export.json": doc})
	src, err := Open(p, Limits{})
	require.NoError(t, err)
	defer src.Close()
	var ids []string
	stats, err := src.Decode(context.Background(), Handler{Concept: func(c *ocl.Concept) error { ids = append(ids, c.ID); return nil }})
	require.NoError(t, err)
	assert.Equal(t, []string{"7"}, ids)
	assert.Equal(t, int64(len(doc)), stats.Bytes, "bytes read count the white space that was dropped")
}

// Positions in errors are positions in the document, dropped white space included.
func TestDecodeErrorPositionsCountDroppedWhiteSpace(t *testing.T) {
	pad := strings.Repeat(" ", 5*maxSpaceRun)
	prefix := `{"id":"v1",` + pad + `"concepts":[` + pad + `{"id":"1"}` + pad + `,`
	doc := prefix + `{"id":"2","retired":"yes"}]}`
	_, _, err := collect(t, doc)
	require.Error(t, err)
	valueEnd := len(prefix) + len(`{"id":"2","retired":"yes"`)
	assert.Contains(t, err.Error(), "concept #2")
	assert.Contains(t, err.Error(), "byte "+strconv.Itoa(valueEnd), "the type error points at the value in the original document")

	doc = prefix + `{"id":"2",]}`
	_, _, err = collect(t, doc)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "starting at byte "+strconv.Itoa(len(prefix)), "a syntax error names the value's start in the original document")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func decodeWithLimit(t *testing.T, doc string, maxValue int64) (int, error) {
	t.Helper()
	concepts := 0
	_, err := decode(context.Background(), strings.NewReader(doc), "test.json", maxValue, Handler{
		Concept: func(*ocl.Concept) error { concepts++; return nil },
	})
	return concepts, err
}

func TestDecodeRefusesAValueOverTheCap(t *testing.T) {
	small := `{"id":"1","concept_class":"` + strings.Repeat("x", 500) + `"}`
	big := `{"id":"2","concept_class":"` + strings.Repeat("x", 1500) + `"}`

	n, err := decodeWithLimit(t, `{"id":"v1","concepts":[`+small+","+small+`]}`, 1024)
	require.NoError(t, err, "values under the cap pass, however many")
	assert.Equal(t, 2, n)

	prefix := `{"id":"v1","concepts":[` + small + ","
	_, err = decodeWithLimit(t, prefix+big+`]}`, 1024)
	var fe *Error
	require.ErrorAs(t, err, &fe)
	var big2 *ValueTooLargeError
	require.ErrorAs(t, err, &big2)
	assert.Equal(t, int64(len(prefix)), big2.Start)
	assert.Contains(t, err.Error(), "concept #2 starting at byte "+itoa(int64(len(prefix))))
	assert.Contains(t, err.Error(), "larger than the limit of 1 KiB")

	// The same holds for a top-level field of the version metadata.
	_, err = decodeWithLimit(t, `{"id":"v1","description":"`+strings.Repeat("d", 2048)+`","concepts":[]}`, 1024)
	require.ErrorAs(t, err, &big2)
	assert.Equal(t, int64(len(`{"id":"v1","description":`)), big2.Start)
}

// The default cap also reaches exports opened as a Source.
func TestSourceDecodeAppliesItsLimits(t *testing.T) {
	doc := `{"id":"v1","concepts":[{"id":"1","names":[` + strings.Repeat(`{"name":"n","locale":"en"},`, 100) + `{"name":"n","locale":"en"}]}]}`
	p := writeZip(t, map[string]string{"export.json": doc})
	src, err := Open(p, Limits{MaxUncompressed: 1 << 30, MaxRatio: 200, RatioFloor: 1 << 30, MaxValue: 512})
	require.NoError(t, err)
	defer src.Close()
	_, err = src.Decode(context.Background(), Handler{Concept: func(*ocl.Concept) error { return nil }})
	assert.ErrorContains(t, err, "larger than the limit of 512 bytes")

	src2, err := Open(p, Limits{})
	require.NoError(t, err)
	defer src2.Close()
	stats, err := src2.Decode(context.Background(), Handler{Concept: func(*ocl.Concept) error { return nil }})
	require.NoError(t, err)
	assert.Equal(t, 1, stats.Concepts)
}

// endlessSpace is an export that never ends: the opening, then white space forever.
type endlessSpace struct {
	head   []byte
	read   int64
	cancel func()
	after  int64
}

func (e *endlessSpace) Read(p []byte) (int, error) {
	if len(e.head) > 0 {
		n := copy(p, e.head)
		e.head = e.head[n:]
		return n, nil
	}
	for i := range p {
		p[i] = ' '
	}
	e.read += int64(len(p))
	if e.read > e.after {
		e.cancel()
	}
	return len(p), nil
}

func TestDecodeStopsWhenItsContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &endlessSpace{head: []byte(`{"id":"v1","concepts":[`), cancel: cancel, after: 8 << 20}
	_, err := Decode(ctx, r, "endless.json", Handler{Concept: func(*ocl.Concept) error { return nil }})
	assert.ErrorIs(t, err, context.Canceled)
}

// A central directory that overstates the compressed size must not hide a bomb.
func TestOpenMeasuresTheRatioAgainstTheArchive(t *testing.T) {
	body := `{"id":"v1","concepts":[` + strings.Repeat(" ", 4<<20) + `]}`
	p := writeZip(t, map[string]string{"export.json": body})
	lim := Limits{MaxUncompressed: 1 << 30, MaxRatio: 50, RatioFloor: 1 << 20}
	_, err := Open(p, lim)
	require.ErrorContains(t, err, "zip bomb", "4 MiB of spaces deflate about 1000:1")

	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	cd := bytes.LastIndex(raw, []byte("PK\x01\x02"))
	require.Positive(t, cd)
	// The central directory's compressed size (offset 20) now claims 2 MiB.
	raw[cd+20], raw[cd+21], raw[cd+22], raw[cd+23] = 0, 0, 0x20, 0
	require.NoError(t, os.WriteFile(p, raw, 0o644))
	_, err = Open(p, lim)
	assert.ErrorContains(t, err, "zip bomb")

	lim.MaxRatio = 5000
	src, err := Open(p, lim)
	if assert.NoError(t, err, "a ratio under the cap is accepted") {
		src.Close()
	}
}

func TestValueTooLargeIsNotAContextError(t *testing.T) {
	err := error(&ValueTooLargeError{Limit: 10, Start: 3})
	assert.False(t, errors.Is(err, context.Canceled))
	assert.Equal(t, "a single value starting at byte 3 is larger than the limit of 10 bytes", err.Error())
}

// BenchmarkDecodeWhiteSpace decodes zipped exports that are mostly one run of spaces.
// Time per byte stays flat as the run grows (it grew with the run's length before white
// space was shortened): compare the MB/s of the sizes.
func BenchmarkDecodeWhiteSpace(b *testing.B) {
	for _, size := range []int{4 << 20, 16 << 20, 64 << 20} {
		doc := `{"id":"v1","concepts":[` + strings.Repeat(" ", size) + `{"id":"7"}]}`
		p := writeZip(b, map[string]string{"export.json": doc})
		b.Run(formatBytes(int64(size)), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				// The ratio guard would refuse the largest: measure the decoder, not the guard.
				src, err := Open(p, Limits{MaxUncompressed: 1 << 30, MaxRatio: 1 << 20, RatioFloor: 1 << 30})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := src.Decode(context.Background(), Handler{Concept: func(*ocl.Concept) error { return nil }}); err != nil {
					b.Fatal(err)
				}
				src.Close()
			}
		})
	}
}

// The guard changes no JSON meaning: the document and what the guard hands on are both
// valid or both invalid, and compact to the same bytes.
func FuzzGuard(f *testing.F) {
	f.Add(sampleJSON, 8)
	f.Add(`{"a":"b\\"   c","d":[1, 2,   3]}`, 2)
	f.Add(`{"a":"\\\\"   ,"b":  "  "}`, 1)
	f.Add(`["   \u0022  "  ,  "x"]`, 3)
	f.Fuzz(func(t *testing.T, doc string, readSize int) {
		if readSize < 1 || readSize > 64 {
			readSize = 7
		}
		// Stretch every white space run, and shorten the guard's limit, so that the
		// shortening really happens.
		stretched := strings.NewReplacer(" ", "    ").Replace(doc)
		g := newGuard(context.Background(), smallReads{r: strings.NewReader(stretched), n: readSize}, 1<<40)
		g.maxSpace = 2
		out, err := io.ReadAll(g)
		if err != nil {
			t.Fatal(err)
		}
		in := []byte(stretched)
		if json.Valid(in) != json.Valid(out) {
			t.Fatalf("validity changed: %q -> %q", doc, out)
		}
		if json.Valid(in) {
			var a, b bytes.Buffer
			if err := json.Compact(&a, in); err != nil {
				t.Fatal(err)
			}
			if err := json.Compact(&b, out); err != nil {
				t.Fatal(err)
			}
			if a.String() != b.String() {
				t.Fatalf("meaning changed: %q -> %q", a.String(), b.String())
			}
		}
	})
}

// smallReads hands out at most n bytes per Read, as an inflater does.
type smallReads struct {
	r io.Reader
	n int
}

func (s smallReads) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.n)]) }

// FuzzGuardMatchesOracle: the guard hands on the same bytes, stops with the same error
// at the same place and maps offsets back alike as the guard that checked every byte.
func FuzzGuardMatchesOracle(f *testing.F) {
	f.Add(sampleJSON, 8, 3, int64(40))
	f.Add(`{"a":"b\\"   c","d":[1, 2,   3],"e":{"f":[{"g":"`+strings.Repeat("h", 100)+`"}]}}`, 2, 2, int64(10))
	f.Add(`[  "   \u0022  "  ,  "x"  ,{"a" : [ ]}]`, 3, 1, int64(5))
	f.Fuzz(func(t *testing.T, doc string, readSize, maxSpace int, maxValue int64) {
		if readSize < 1 || readSize > 200 {
			readSize = 7
		}
		maxSpace = 1 + max(0, maxSpace)%8
		if maxValue < 1 || maxValue > 1<<20 {
			maxValue = 1 << 20
		}
		checkGuardMatchesOracle(t, doc, readSize, maxSpace, maxValue)
	})
}

// checkGuardMatchesOracle guards doc in reads of readSize bytes and fails unless the
// output, the error, the offsets mapped back and the ends of depth-2 values are the
// oracle's (the ends worked out from the output, which the oracle does not record).
func checkGuardMatchesOracle(t *testing.T, doc string, readSize, maxSpace int, maxValue int64) {
	t.Helper()
	g := newGuard(context.Background(), smallReads{r: strings.NewReader(doc), n: readSize}, maxValue)
	o := newOracleGuard(context.Background(), smallReads{r: strings.NewReader(doc), n: readSize}, maxValue)
	g.maxSpace, o.maxSpace = maxSpace, maxSpace
	got, gotErr := readAllSticky(g)
	want, wantErr := readAllSticky(o)
	if !bytes.Equal(got, want) {
		t.Fatalf("%q in reads of %d: output differs:\nguard:  %q\noracle: %q", doc, readSize, got, want)
	}
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%q in reads of %d: error differs: guard %v, oracle %v", doc, readSize, gotErr, wantErr)
	}
	for out := int64(0); out <= int64(len(got)); out++ {
		if g.rawOffset(out) != o.rawOffset(out) {
			t.Fatalf("%q in reads of %d: offset %d maps to %d, oracle %d", doc, readSize, out, g.rawOffset(out), o.rawOffset(out))
		}
	}
	if ends := depth2Ends(got); fmt.Sprint(g.ends) != fmt.Sprint(ends) {
		t.Fatalf("%q in reads of %d: ends %v, want %v", doc, readSize, g.ends, ends)
	}
}

// depth2Ends is the guard's ends worked out byte by byte: the offset just past each
// closing bracket, outside strings, that comes back to depth 2.
func depth2Ends(out []byte) []int64 {
	var ends []int64
	inString, escaped, depth := false, false, 0
	for i, c := range out {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 2 {
				ends = append(ends, int64(i+1))
			}
		}
	}
	return ends
}

// TestGuardStringsAtEveryOffset puts strings with escapes, runs of backslashes and
// non-ASCII bytes at every offset against the reads and against the 8 bytes the guard
// looks at at once, so that every string, escape and separator falls across a read's
// end and across each position in a word somewhere.
func TestGuardStringsAtEveryOffset(t *testing.T) {
	strs := []string{
		``, `a`, `abcdefg`, `abcdefgh`, `abcdefghi`, strings.Repeat("x", 70),
		`\"`, `\\`, `\\\"`, `\\\\`, `a\"b`, `abcdefg\"`, `abcdefgh\\`, `abcdefg\\"x`,
		`\\\\\\\\\\\\\\\\\"`, strings.Repeat(`\\`, 9) + `\"`, `\u0022`, `ab\u005c\\`,
		"é—ü", "\xff\xfe\x80\x22", "ab\xa2\xdcd", "#]#]#]#]\\\"#]", "\x01\x01\"\x01",
	}
	var elems []string
	for k, s := range strs {
		elems = append(elems, `{"k":"`+s+`", "n": [1, "`+s+`"],"m" : "`+s+`" }`)
		if k%3 == 0 {
			elems = append(elems, `"`+s+`"`)
		}
	}
	body := `{"id": "v1", "concepts": [` + strings.Join(elems, ", ") + `], "x": "` + strings.Join(strs, "") + `"}`
	for pad := 0; pad < 9; pad++ {
		doc := strings.Repeat(" ", pad) + body
		for readSize := 1; readSize <= 24; readSize++ {
			checkGuardMatchesOracle(t, doc, readSize, 2, 1<<20)
		}
		checkGuardMatchesOracle(t, doc, len(doc), 1, 1<<20)
	}
}

// TestGuardSeparatorsBetweenStrings covers what the guard passes between two strings
// without its byte loop: a separator, one space and a quote, inside elements and at the
// top two levels where a separator starts a value, with white space runs that are
// shortened, and with values that go over the limit on the way.
func TestGuardSeparatorsBetweenStrings(t *testing.T) {
	docs := []string{
		`{"a": "b", "c": {"d": "e", "f": ["g", "h", {"i": "j", "k": "l"}]}, "m": "n"}`,
		`[["a", "b"], {"c": "d", "e":  "f", "g":"h" , "i" :"j"}, ["k", "l", "m"]]`,
		`{"concepts": [{"id": "1", "names": [{"name": "x", "locale": "en"}]}, {"id": "22", "x": "yy"}]}`,
		`{"a": ["b", "c\"", "d\\", "e"], "f": [{"g": "h\\\\", "i": "\"j"}]}`,
	}
	for _, doc := range docs {
		for readSize := 1; readSize <= len(doc); readSize++ {
			for maxSpace := 1; maxSpace <= 2; maxSpace++ {
				for _, maxValue := range []int64{1, 3, 5, 8, 13, 21, 1 << 20} {
					checkGuardMatchesOracle(t, doc, readSize, maxSpace, maxValue)
				}
			}
		}
	}
}

// readAllSticky reads r to its end or first error, as the decoder does.
func readAllSticky(r io.Reader) ([]byte, error) {
	out, err := io.ReadAll(r)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return out, err
}

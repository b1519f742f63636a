package exportfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// outcome is everything one decode hands out.
type outcome struct {
	Order    string // v, c and m for each callback, in order
	Version  *ocl.SourceVersion
	Concepts []ocl.Concept
	Mappings []ocl.Mapping
	Stats    Stats
	Err      string
}

// decodeVariant says which callbacks a decode has and how it reads.
type decodeVariant struct {
	noConcepts, noMappings, keep bool
	reuse                        bool // Handler.Reuse: the values are copied in the callbacks
	workers                      int  // 0: the fast pass is off
	maxValue                     int64
}

func (v decodeVariant) String() string {
	return fmt.Sprintf("concepts=%v,mappings=%v,keep=%v,reuse=%v,workers=%d,maxValue=%d", !v.noConcepts, !v.noMappings, v.keep, v.reuse, v.workers, v.maxValue)
}

func (v decodeVariant) handler(o *outcome) Handler {
	h := Handler{
		Version:        func(x *ocl.SourceVersion) error { o.Version = x; o.Order += "v"; return nil },
		KeepWrongTypes: v.keep,
		Reuse:          v.reuse,
	}
	if !v.noConcepts {
		h.Concept = func(x *ocl.Concept) error { o.Concepts = append(o.Concepts, *x); o.Order += "c"; return nil }
	}
	if !v.noMappings {
		h.Mapping = func(x *ocl.Mapping) error { o.Mappings = append(o.Mappings, *x); o.Order += "m"; return nil }
	}
	return h
}

// decodeBoth decodes doc with the oracle and with the decoder and returns both outcomes.
func decodeBoth(doc []byte, v decodeVariant) (want, got outcome) {
	maxValue := v.maxValue
	if maxValue == 0 {
		maxValue = DefaultMaxValue
	}
	stats, err := oracleDecode(context.Background(), bytes.NewReader(doc), "doc.json", maxValue, v.handler(&want))
	want.Stats, want.Err = stats, errString(err)

	stats, err = decodeWith(context.Background(), bytes.NewReader(doc), "doc.json", maxValue, v.workers, v.handler(&got))
	got.Stats, got.Err = stats, errString(err)
	return want, got
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// scannedOffset matches the byte of a syntax error found while encoding/json's Decoder
// read a value outside the arrays' elements (a top-level value, a key, a reference
// skipped): SyntaxError.Offset then counts the bytes the Decoder has scanned as values
// since it started, which is no position in the document, and a decoder that took over
// after a fast pass has scanned fewer. Such errors are compared without that number.
var scannedOffset = regexp.MustCompile(`(, )byte \d+(: invalid JSON: )`)

// sameOutcome fails t when the decoder handed out anything else than the oracle.
func sameOutcome(t testing.TB, doc []byte, v decodeVariant) {
	t.Helper()
	want, got := decodeBoth(doc, v)
	if want.Err != got.Err && scannedOffset.ReplaceAllString(want.Err, "$1") != scannedOffset.ReplaceAllString(got.Err, "$1") {
		t.Fatalf("%v: errors differ\noracle:  %s\ndecoder: %s", v, want.Err, got.Err)
	}
	if want.Order != got.Order {
		t.Fatalf("%v: callbacks differ\noracle:  %.200s\ndecoder: %.200s", v, want.Order, got.Order)
	}
	require.Equal(t, want.Stats, got.Stats, "%v: stats", v)
	require.Equal(t, want.Version, got.Version, "%v: version", v)
	for i := range want.Concepts {
		require.Equal(t, want.Concepts[i], got.Concepts[i], "%v: concept #%d", v, i+1)
	}
	for i := range want.Mappings {
		require.Equal(t, want.Mappings[i], got.Mappings[i], "%v: mapping #%d", v, i+1)
	}
}

// withSmallCuts runs f with chunks and jobs cut small, so that elements straddle chunks.
func withSmallCuts(t testing.TB, chunk, job int, f func()) {
	t.Helper()
	oldChunk, oldBytes, oldElems := chunkSize, jobBytes, jobElems
	chunkSize, jobBytes, jobElems = chunk, job, max(1, job/64)
	defer func() { chunkSize, jobBytes, jobElems = oldChunk, oldBytes, oldElems }()
	f()
}

func exportJSON(t testing.TB, spec dataset.Spec) []byte {
	t.Helper()
	d, err := dataset.New(spec)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, ocltest.WriteExportJSON(&buf, d.Version("v2026-11-22"), d))
	return buf.Bytes()
}

// Generated exports of every shape, with every rule violation planted, decode to the
// same values, callbacks and stats as with encoding/json alone.
func TestDecodeMatchesOracleOnGeneratedExports(t *testing.T) {
	injections := make([]dataset.Injection, 0, len(dataset.Rules))
	for _, rule := range dataset.Rules {
		injections = append(injections, dataset.Injection{Rule: rule, Index: -1})
	}
	specs := map[string]dataset.Spec{
		"small":             dataset.Small,
		"every violation":   {Seed: 7, Concepts: 1000, Inject: injections},
		"2015 export":       {Seed: 3, Concepts: 500, Era: ocltest.Era2015},
		"collection":        {Seed: 4, Concepts: 500, Collection: "Starter"},
		"weights in extras": {Seed: 5, Concepts: 500, Weights: dataset.WeightExtras},
	}
	variants := []decodeVariant{
		{workers: 2},
		{workers: 1, keep: true},
		{workers: 3, noMappings: true},
		{workers: 2, noConcepts: true},
		{workers: 2, reuse: true},
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			doc := exportJSON(t, spec)
			if spec.Concepts == dataset.Small.Concepts {
				for _, v := range variants {
					sameOutcome(t, doc, v)
				}
			}
			withSmallCuts(t, 700, 3000, func() { sameOutcome(t, doc, decodeVariant{workers: 2, keep: true}) })
			withSmallCuts(t, 700, 3000, func() { sameOutcome(t, doc, decodeVariant{workers: 2, keep: true, reuse: true}) })
		})
	}
}

// Broken and unusual documents: the same values, and the same errors at the same
// offsets.
func TestDecodeMatchesOracleOnOddDocuments(t *testing.T) {
	concept := `{"id":"1","names":[{"name":"n","locale":"en"}],"extras":{"a":1}}`
	docs := []string{
		sampleJSON,
		`{}`,
		`{"concepts":[]}`,
		`{"concepts":[ ]  , "mappings" : [ ] }`,
		`{"concepts":null,"mappings":null}`,
		`{"concepts":[` + concept + `,` + concept + `]}`,
		`{"concepts":[` + concept + `,` + concept,
		`{"concepts":[` + concept + `,` + concept + `,`,
		`{"concepts":[` + concept + `,` + concept[:20],
		`{"concepts":[` + concept + ` ` + concept + `]}`,
		`{"concepts":[` + concept + `,]}`,
		`{"concepts":[,` + concept + `]}`,
		`{"concepts":[` + concept + `}`,
		`{"concepts":[` + concept + `]]}`,
		`{"concepts":[` + concept + `] "x":1}`,
		`{"concepts":[` + concept + `],"export_time":tru}`,
		`{"concepts":[` + concept + `],"export_time":"2s"} x`,
		`{"concepts":[1,` + concept + `]}`,
		`{"concepts":[null,` + concept + `,"x",{"id":2}]}`,
		`{"concepts":[` + concept + `,{"id":"2","retired":"yes","names":[]}]}`,
		`{"concepts":[{"id":"2","names":{}},` + concept + `]}`,
		`{"concepts":[{"ID":"2","Names":[]},{"id":"3","id":"4"}]}`,
		`{"concepts":[{"id":"2","names":[{"name":"a"}],"names":[{"locale":"b"}]}]}`,
		`{"concepts":[{"id":"\u00e9\ud83d\ude00\ud800x\\\"","names":[{"name":"caf\u00e9"}]}]}`,
		"{\"concepts\":[{\"id\":\"\xff\xfe\",\"extras\":{\"\xc3\xa9\":\"\xff\"}}]}",
		"{\"concepts\":[{\"id\":\"a\x01\"}]}",
		`{"concepts":[{"id":"1","extras":"text"},{"id":"2","extras":[1]},{"id":"3","extras":null}]}`,
		`{"concepts":[{"id":"1","mappings":[{"id":"m","sort_weight":1.5}]}]}`,
		`{"mappings":[{"id":"m1","sort_weight":1e400},{"id":"m2","sort_weight":-0.5e-3,"extras":{"sort_weight":"2","x":{"y":[true,false,null]}}}]}`,
		`{"mappings":[{"id":"m1","sort_weight":01}]}`,
		`{"mappings":[{"id":"m1","retired":tru}]}`,
		`{"mappings":[{"id":"m1"},  {"id":"m2","retired":tru}]}`,
		`{"references":[{"x":1},[1,2],{"y":}]}`,
		`{"references":[{"x":1},{"y":[{"z":"\""}]}],"concepts":[` + concept + `]}`,
		`{"concepts":[` + concept + `],"concepts":[` + concept + `]}`,
		`{"id":"v1","concepts":[{"id":"1","names":[` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `]}]}`,
		`{"concepts":[{"id":"1","x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}]}`,
	}
	variants := []decodeVariant{
		{workers: 2},
		{workers: 2, keep: true},
		{workers: 1, noConcepts: true, noMappings: true},
		{workers: 2, maxValue: 40},
		{workers: 2, keep: true, reuse: true},
	}
	for _, doc := range docs {
		for _, v := range variants {
			sameOutcome(t, []byte(doc), v)
			withSmallCuts(t, 1, 1, func() { sameOutcome(t, []byte(doc), v) })
			withSmallCuts(t, 16, 50, func() { sameOutcome(t, []byte(doc), v) })
		}
	}
}

// The oracle itself reads these documents as the tests above expect: it is the old
// decoder, not a copy of the new one.
func TestOracleIsEncodingJSON(t *testing.T) {
	want, got := decodeBoth([]byte(`{"concepts":[{"id":"1","retired":"yes"}]}`), decodeVariant{workers: 2})
	require.Contains(t, want.Err, `field "retired": expected bool, got JSON string`)
	require.Equal(t, want.Err, got.Err)
}

// The fast pass stops when the handler fails, as the decoder did.
func TestFastPassStopsOnHandlerError(t *testing.T) {
	doc := exportJSON(t, dataset.Small)
	stop := errors.New("stop")
	seen := 0
	_, err := decodeWith(context.Background(), bytes.NewReader(doc), "x", DefaultMaxValue, 2, Handler{
		Mapping: func(*ocl.Mapping) error {
			if seen++; seen == 1000 {
				return stop
			}
			return nil
		},
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 1000, seen)
}

// FuzzDecodeMatchesOracle: for any document, the decoder and the oracle accept or refuse
// it alike, with the same error, and hand out the same values in the same order.
func FuzzDecodeMatchesOracle(f *testing.F) {
	f.Add(sampleJSON, false, uint8(0))
	f.Add(`{"concepts":[{"id":"1","names":[{"name":"x","locale":"en"}]},{"id":"2"}],"mappings":[{"id":"m","sort_weight":2}]}`, true, uint8(7))
	f.Add(`{"concepts":[{"id":"1","retired":"no"},{"id":"2","names":null}]}`, true, uint8(3))
	f.Add(`{"mappings":[{"id":"m","extras":{"a":"\u00e9"}}, {"ID":"x"}]}`, false, uint8(200))
	f.Add(`{"concepts":[{"id":"1"} , {"id":"2",]}`, false, uint8(1))
	f.Fuzz(func(t *testing.T, doc string, keep bool, cut uint8) {
		v := decodeVariant{workers: 1 + int(cut%3), keep: keep, noMappings: cut%5 == 4, reuse: cut%2 == 1}
		if cut%7 == 6 {
			v.maxValue = 64
		}
		withSmallCuts(t, 1+int(cut)%97, 1+int(cut)%53, func() { sameOutcome(t, []byte(doc), v) })
		sameOutcome(t, []byte(doc), v)
	})
}

package changelog_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/changelog"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

var knownEdits = dataset.Edits{Add: 3, Retire: 2, Unretire: 1, Datatype: 1, Class: 1, RemoveAnswer: 1,
	AddMember: 1, ChangeMapping: 1, Rename: 1}

// twoReleases writes release A of a generated source and release B made from A with
// knownEdits, and indexes both.
func twoReleases(t *testing.T, spec dataset.Spec) (a, b *changelog.Index, rev *dataset.Revision) {
	t.Helper()
	d, err := dataset.New(spec)
	require.NoError(t, err)
	rev, err = dataset.Revise(d, knownEdits)
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(version string, content ocltest.Content) string {
		path := filepath.Join(dir, version+".zip")
		f, err := os.Create(path)
		require.NoError(t, err)
		require.NoError(t, ocltest.WriteExport(f, d.Version(version), content))
		require.NoError(t, f.Close())
		return path
	}
	pathA, pathB := write("v2026-11-22", d), write("v2026-12-20", rev)
	a, err = changelog.Build(context.Background(), pathA, exportfile.DefaultLimits)
	require.NoError(t, err)
	b, err = changelog.Build(context.Background(), pathB, exportfile.DefaultLimits)
	require.NoError(t, err)
	return a, b, rev
}

func codes(refs []changelog.ConceptRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Concept
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// The changelog of a release made from another with known edits lists exactly those
// edits, each in its list, and "breaking" exactly the breaking ones.
func TestChangelogListsExactlyTheKnownEdits(t *testing.T) {
	for _, spec := range []dataset.Spec{
		{Seed: 3, Concepts: 300, RetiredFraction: 0.05},
		{Seed: 4, Concepts: 300, RetiredFraction: 0.05, Era: ocltest.Era2015},
		{Seed: 5, Concepts: 300, RetiredFraction: 0.05, Collection: "Starter"},
	} {
		a, b, rev := twoReleases(t, spec)
		cl, err := changelog.Compare(a, b)
		require.NoError(t, err)
		applied := rev.Applied

		assert.False(t, cl.First)
		assert.Equal(t, "v2026-11-22", cl.From)
		assert.Equal(t, "v2026-12-20", cl.To)
		assert.Equal(t, applied[dataset.EditAdd], codes(cl.Added))
		assert.Equal(t, applied[dataset.EditRetire], codes(cl.Retired))
		assert.Equal(t, applied[dataset.EditUnretire], codes(cl.Unretired))
		assert.Empty(t, cl.Removed)

		wantFields := map[string]string{}
		for kind, field := range map[string]string{
			dataset.EditDatatype: changelog.FieldDatatype, dataset.EditClass: changelog.FieldClass,
			dataset.EditRemoveAnswer: changelog.FieldAnswers, dataset.EditAddMember: changelog.FieldMembers,
			dataset.EditChangeMapping: changelog.FieldMappings, dataset.EditRename: changelog.FieldNames,
		} {
			for _, code := range applied[kind] {
				wantFields[code] = field
			}
		}
		gotFields := map[string]string{}
		for _, ch := range cl.Changed {
			require.Len(t, ch.Fields, 1, "concept %s changed in one field only", ch.Concept)
			gotFields[ch.Concept] = ch.Fields[0]
		}
		assert.Equal(t, wantFields, gotFields)

		for _, ch := range cl.Changed {
			switch ch.Fields[0] {
			case changelog.FieldDatatype:
				assert.Equal(t, &changelog.ValueChange{From: "N/A", To: "Text"}, ch.Datatype)
			case changelog.FieldClass:
				assert.Equal(t, "Finding", ch.Class.To)
			case changelog.FieldAnswers:
				assert.Len(t, ch.Answers.Removed, 1)
				assert.Empty(t, ch.Answers.Added)
			case changelog.FieldMembers:
				assert.Len(t, ch.Members.Added, 1)
				assert.Empty(t, ch.Members.Removed)
			case changelog.FieldMappings:
				require.Len(t, ch.Mappings.Removed, 1)
				require.Len(t, ch.Mappings.Added, 1)
				assert.Equal(t, ch.Mappings.Removed[0].Code+"9", ch.Mappings.Added[0].Code)
			case changelog.FieldNames:
				require.Len(t, ch.Names.Added, 1)
				assert.True(t, strings.HasPrefix(ch.Names.Added[0].Text, "Revised "))
				assert.Equal(t, ch.Names.Added[0].Text, ch.Name, "the display name is the new preferred name")
			}
		}

		wantBreaking := []string{}
		for _, kind := range []string{dataset.EditRetire, dataset.EditDatatype, dataset.EditClass, dataset.EditRemoveAnswer} {
			wantBreaking = append(wantBreaking, applied[kind]...)
		}
		var gotBreaking []string
		kinds := map[string]int{}
		for _, it := range cl.Breaking {
			gotBreaking = append(gotBreaking, it.Concept)
			kinds[it.Kind]++
		}
		assert.Equal(t, sorted(wantBreaking), sorted(gotBreaking))
		assert.Equal(t, map[string]int{changelog.BreakRetired: 2, changelog.BreakDatatype: 1, changelog.BreakClass: 1,
			changelog.BreakAnswerRemoved: 1}, kinds)
		assert.Equal(t, changelog.Counts{Before: 300, After: 303, Added: 3, Retired: 2, Unretired: 1, Changed: 6, Breaking: 5}, cl.Counts)
	}
}

// An index written and read back is the same index, and writing it again gives the same
// bytes.
func TestIndexRoundTrip(t *testing.T) {
	a, _, _ := twoReleases(t, dataset.Spec{Seed: 3, Concepts: 300, RetiredFraction: 0.05})
	path := filepath.Join(t.TempDir(), "a.index.gz")
	require.NoError(t, a.WriteFile(path))
	back, err := changelog.ReadIndexFile(path)
	require.NoError(t, err)
	assert.Equal(t, a, back)
	var again bytes.Buffer
	require.NoError(t, back.Write(&again))
	first, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, first, again.Bytes())
	assert.Equal(t, "CIEL", back.Source)
	assert.Equal(t, "v2026-11-22", back.Version)
	assert.Equal(t, "en", back.Locale)
	assert.Len(t, back.Concepts, 300)
	assert.Equal(t, "1", back.Concepts[0].Code)
	assert.Equal(t, "300", back.Concepts[299].Code, "codes are ordered as numbers")
}

func gz(t *testing.T, text string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write([]byte(text))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.Bytes()
}

// A damaged index is refused with the line at fault, never read as a smaller release.
func TestReadIndexRefusesDamage(t *testing.T) {
	const header = `{"format":"shepherd-concept-index","index":1,"org":"CIEL","source":"CIEL","version":"v1","home":"CIEL","locale":"en","concepts":2}` + "\n"
	const c1 = `{"id":"1","dt":"N/A","cl":"Misc"}` + "\n"
	const c2 = `{"id":"2","dt":"N/A","cl":"Misc"}` + "\n"
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"not gzip":       {[]byte("plain text"), "not a gzip file"},
		"empty":          {gz(t, ""), "no header line"},
		"other format":   {gz(t, strings.Replace(header, "shepherd-concept-index", "idmap", 1)), `line 1: format "idmap"`},
		"newer version":  {gz(t, strings.Replace(header, `"index":1`, `"index":2`, 1)), "index version 2"},
		"unknown field":  {gz(t, header+c1+`{"id":"2","dt":"N/A","cl":"Misc","x":1}`+"\n"), "line 3"},
		"out of order":   {gz(t, header+c2+c1), `line 3: concept "1" comes after "2"`},
		"repeated":       {gz(t, header+c1+c1), `line 3: concept "1" comes after "1"`},
		"truncated":      {gz(t, header+c1), "announces 2 concepts, the file holds 1"},
		"no code":        {gz(t, header+`{"id":" ","dt":"N/A","cl":"Misc"}`+"\n"+c2), "line 2"},
		"names unsorted": {gz(t, header+`{"id":"1","dt":"N/A","cl":"Misc","n":[["fr","",false,false,"b"],["en","",false,false,"a"]]}`+"\n"+c2), "names are not sorted"},
		"bad name":       {gz(t, header+`{"id":"1","dt":"N/A","cl":"Misc","n":[["fr","",false]]}`+"\n"+c2), "line 2"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := changelog.ReadIndex(bytes.NewReader(tc.data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// The first release has nothing to compare with: its changelog says how many concepts it
// has and lists nothing.
func TestFirstReleaseListsNothing(t *testing.T) {
	_, b, _ := twoReleases(t, dataset.Spec{Seed: 3, Concepts: 300, RetiredFraction: 0.05})
	cl, err := changelog.Compare(nil, b)
	require.NoError(t, err)
	assert.True(t, cl.First)
	var md bytes.Buffer
	require.NoError(t, cl.Markdown(&md))
	assert.Contains(t, md.String(), "First release: 303 concepts.")
	assert.NotContains(t, md.String(), "## Added")
	assert.Equal(t, "**Changes:** first release, 303 concepts.\n", cl.Summarize().Markdown())
	assert.Equal(t, "**Changes:** first release, 55,000 concepts.\n", (&changelog.Summary{First: true, Concepts: 55000}).Markdown(),
		"counts are written as people read them")
}

// A hand-made pair of indexes whose names carry markup: every rendering escapes them.
func hostilePair() (*changelog.Index, *changelog.Index) {
	name := func(text string) []changelog.Name {
		return []changelog.Name{{Locale: "en", Type: "FULLY_SPECIFIED", Preferred: true, Text: text}}
	}
	hostile := "<script>alert(1)</script> | [x](javascript:y)"
	concept := func(code, datatype, class string, retired bool, text string, answers ...string) changelog.Concept {
		return changelog.NewConcept(changelog.Concept{Code: code, Datatype: datatype, Class: class, Retired: retired},
			name(text), answers, nil, nil)
	}
	old := &changelog.Index{Org: "O", Source: "S", Version: "v1", Home: "S", Locale: "en", Concepts: []changelog.Concept{
		concept("1", "Coded", "Question", false, "Q", "2", "3"),
		concept("2", "N/A", "Misc", false, hostile),
		concept("3", "N/A", "Misc", false, "three"),
	}}
	new := &changelog.Index{Org: "O", Source: "S", Version: "v2", Home: "S", Locale: "en", Concepts: []changelog.Concept{
		concept("1", "Coded", "Question", false, "Q", "3"),
		concept("2", "N/A", "Misc", true, hostile),
		concept("3", "N/A", "Misc", false, "three"),
	}}
	return old, new
}

func TestRenderingsEscapeDictionaryText(t *testing.T) {
	cl, err := changelog.Compare(hostilePair())
	require.NoError(t, err)
	require.Len(t, cl.Breaking, 2)

	var page bytes.Buffer
	require.NoError(t, cl.HTML(&page))
	html := page.String()
	assert.NotContains(t, html, "<script>")
	assert.Contains(t, html, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.NotContains(t, html, "http", "the page loads nothing from outside")
	assert.True(t, strings.HasPrefix(html, "<!DOCTYPE html>"))

	var md bytes.Buffer
	require.NoError(t, cl.Markdown(&md))
	text := md.String()
	assert.NotContains(t, text, "<script>")
	assert.NotContains(t, text, "x](javascript", "no link opens")
	assert.Contains(t, text, `&lt;script&gt;alert(1)&lt;/script&gt; \| \[x\](javascript:y)`)
	breaking := text[strings.Index(text, "## Breaking for sites"):strings.Index(text, "## Added")]
	assert.Equal(t, 2+2, strings.Count(breaking, "\n|"), "a header, its rule and two rows: no cell was split")

	summary := cl.Summarize().Markdown()
	assert.NotContains(t, summary, "<script>")
	assert.Contains(t, summary, "**2 breaking for sites**")
}

// The JSON form keeps its documented top-level fields and lists, empty ones as [].
func TestJSONFormIsStable(t *testing.T) {
	cl, err := changelog.Compare(hostilePair())
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, cl.JSON(&out))
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc))
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"schema", "org", "source", "from", "to", "first_release", "counts", "breaking",
		"added", "retired", "unretired", "removed", "changed"}, keys)
	assert.JSONEq(t, `"shepherd-changelog/1"`, string(doc["schema"]))
	assert.JSONEq(t, `[]`, string(doc["added"]))
	assert.JSONEq(t, `[{"concept":"1","name":"Q","fields":["answers"],"answers":{"added":[],"removed":["2"]}}]`, string(doc["changed"]))
	assert.JSONEq(t, `{"concepts_before":3,"concepts_after":3,"added":0,"retired":1,"unretired":0,"removed":0,"changed":1,"breaking":2}`, string(doc["counts"]))
}

// The summary keeps at most SummaryLimit breaking items and says how many it left out;
// a summary read back from an edited issue is checked.
func TestSummaryIsCapped(t *testing.T) {
	old := &changelog.Index{Org: "O", Source: "S", Version: "v1", Home: "S", Locale: "en"}
	new := &changelog.Index{Org: "O", Source: "S", Version: "v2", Home: "S", Locale: "en"}
	for i := range 25 {
		code := strings.Repeat("1", i+1)
		old.Concepts = append(old.Concepts, changelog.Concept{Code: code, Datatype: "N/A", Class: "Misc"})
		new.Concepts = append(new.Concepts, changelog.Concept{Code: code, Retired: true, Datatype: "N/A", Class: "Misc"})
	}
	cl, err := changelog.Compare(old, new)
	require.NoError(t, err)
	s := cl.Summarize()
	assert.Len(t, s.TopBreaking, changelog.SummaryLimit)
	assert.Equal(t, 25, s.Breaking)
	assert.Contains(t, s.Markdown(), "… and 15 more")
	require.NoError(t, s.Validate())

	s.TopBreaking = append(s.TopBreaking, "one too many")
	assert.Error(t, s.Validate())
	s.TopBreaking = []string{"a\nb"}
	assert.Error(t, s.Validate())
	s.TopBreaking, s.Added = nil, -1
	assert.Error(t, s.Validate())
}

func TestCompareRefusesAnotherSource(t *testing.T) {
	_, err := changelog.Compare(&changelog.Index{Source: "A", Version: "v1"}, &changelog.Index{Source: "B", Version: "v2"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "different sources")
}

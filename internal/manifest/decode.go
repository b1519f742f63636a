package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// MaxFileSize bounds manifests and configuration files: they come from pull requests
// and are read before anyone reviews them.
const MaxFileSize = 1 << 20

var byteOrderMark = []byte("\uFEFF")

// parseRoot checks the raw bytes of a file and returns the mapping at its top, or
// false after recording why there is none. emptyHint tells the reader what an empty
// file should contain instead.
func parseRoot(r *reporter, data []byte, emptyHint string) (ast.Node, bool) {
	start := Position{Line: 1, Column: 1}
	if len(data) > MaxFileSize {
		r.add(start, "", "the file is %d bytes, more than the limit of %d bytes (1 MiB)", len(data), MaxFileSize)
		return nil, false
	}
	// A byte order mark is allowed but is not part of the first line's columns.
	withoutMark := bytes.TrimPrefix(data, byteOrderMark)
	markSize := len(data) - len(withoutMark)
	data = withoutMark
	if pos, offset, ok := firstInvalidUTF8(data); !ok {
		r.add(pos, "", "invalid UTF-8 at byte %d (0x%02x): the file must be UTF-8 text", markSize+offset, data[offset])
		return nil, false
	}
	file, err := parseYAML(data)
	if err != nil {
		r.addMessage(syntaxErrorPosition(err), "", "invalid YAML: "+syntaxErrorMessage(err))
		return nil, false
	}
	docs := nonEmptyDocuments(file)
	if len(docs) == 0 {
		r.add(start, "", "the file is empty: %s", emptyHint)
		return nil, false
	}
	if len(docs) > 1 {
		r.add(nodePosition(docs[1]), "", "a second YAML document starts here: the file must hold exactly one")
		return nil, false
	}
	body := docs[0].Body
	if !isMapping(body) {
		r.add(nodePosition(body), "", "expected fields (key: value) at the top of the file, got %s", describe(body))
		return nil, false
	}
	return body, true
}

// maxFlowDepth bounds the nesting of [ ] and { }. The parser's time grows with the
// square of that depth (a line of 100,000 "[" takes it minutes), and no Shepherd file
// needs more than three levels.
const maxFlowDepth = 32

// parseYAML runs the YAML parser, turning a panic inside it into an error: the input
// is untrusted and a crash would hide which file was at fault.
func parseYAML(data []byte) (file *ast.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			file, err = nil, fmt.Errorf("the YAML parser failed on this input (%v)", p)
		}
	}()
	tokens := lexer.Tokenize(string(data))
	if err := checkFlowDepth(tokens); err != nil {
		return nil, err
	}
	return parser.Parse(tokens, 0)
}

// checkFlowDepth refuses flow collections nested deeper than maxFlowDepth.
func checkFlowDepth(tokens token.Tokens) error {
	depth := 0
	for _, tk := range tokens {
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			depth++
			if depth > maxFlowDepth {
				return &yaml.SyntaxError{
					Message: fmt.Sprintf("[ ] and { } are nested more than %d levels deep", maxFlowDepth),
					Token:   tk,
				}
			}
		case token.SequenceEndType, token.MappingEndType:
			depth = max(0, depth-1)
		}
	}
	return nil
}

// firstInvalidUTF8 finds the first byte that is not UTF-8, with its line and column.
func firstInvalidUTF8(data []byte) (Position, int, bool) {
	pos := Position{Line: 1, Column: 1}
	for offset := 0; offset < len(data); {
		r, size := utf8.DecodeRune(data[offset:])
		if r == utf8.RuneError && size <= 1 {
			return pos, offset, false
		}
		if r == '\n' {
			pos.Line++
			pos.Column = 1
		} else {
			pos.Column++
		}
		offset += size
	}
	return pos, 0, true
}

func syntaxErrorPosition(err error) Position {
	var withToken yaml.Error
	if errors.As(err, &withToken) {
		if tk := withToken.GetToken(); tk != nil && tk.Position != nil {
			return Position{Line: tk.Position.Line, Column: tk.Position.Column}
		}
	}
	return Position{Line: 1, Column: 1}
}

func syntaxErrorMessage(err error) string {
	var withToken yaml.Error
	msg := ""
	if errors.As(err, &withToken) {
		msg = withToken.GetMessage()
	} else {
		// Other errors may carry a source excerpt after the first line.
		msg, _, _ = strings.Cut(err.Error(), "\n")
	}
	return escapeControls(msg)
}

// escapeControls writes control characters the parser quotes (a tab, mostly) as
// escapes, so that a message stays on one readable line.
func escapeControls(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// nonEmptyDocuments drops documents without content (a lone "---" or a file of comments).
func nonEmptyDocuments(file *ast.File) []*ast.DocumentNode {
	var docs []*ast.DocumentNode
	for _, doc := range file.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	return docs
}

func isMapping(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

// nodePosition is where a node starts in the file. A mapping starts at its first key
// (the parser's own token for a mapping is its first colon).
func nodePosition(n ast.Node) Position {
	switch v := n.(type) {
	case nil:
		return Position{}
	case *ast.DocumentNode:
		if v.Start != nil && v.Start.Position != nil {
			return Position{Line: v.Start.Position.Line, Column: v.Start.Position.Column}
		}
		return nodePosition(v.Body)
	case *ast.MappingNode:
		if len(v.Values) > 0 {
			return nodePosition(v.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return nodePosition(v.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return Position{}
	}
	return Position{Line: tk.Position.Line, Column: tk.Position.Column}
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.StringNode:
		return "the text " + quote(v.Value)
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + n.String()
	case *ast.BoolNode:
		return "the boolean " + n.String()
	case *ast.MappingNode, *ast.MappingValueNode:
		return "fields (key: value)"
	case *ast.SequenceNode:
		return "a list"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast.")
}

// quote quotes a value for a message, shortening long ones.
func quote(s string) string {
	const limit = 60
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return strconv.Quote(s)
}

// decoder turns the YAML tree into Go values, recording where every field was written
// and every problem it meets. It never stops at the first problem.
type decoder struct {
	*reporter
}

// field is one known key of a mapping and what to do with its value.
type field struct {
	name   string
	decode func(value ast.Node, path string)
}

// object decodes a mapping with a fixed set of keys. A null value counts as absent,
// so that "key:" with nothing after it leaves the default in place.
func (d *decoder) object(n ast.Node, path string, fields []field) {
	m, ok := d.mapping(n, path)
	if !ok {
		return
	}
	iter := m.MapRange()
	for iter.Next() {
		key, value := iter.Key(), iter.Value()
		name := keyName(key)
		childPath := joinPath(path, name)
		f, known := findField(fields, name)
		if !known {
			d.unknownField(nodePosition(key), path, name, fields)
			continue
		}
		d.pos.keys[childPath] = nodePosition(key)
		if _, isNull := value.(*ast.NullNode); isNull || value == nil {
			continue
		}
		d.pos.values[childPath] = nodePosition(value)
		if d.supported(value, childPath) {
			f.decode(value, childPath)
		}
	}
}

func findField(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func (d *decoder) unknownField(pos Position, path, name string, fields []field) {
	known := make([]string, len(fields))
	for i, f := range fields {
		known[i] = f.name
	}
	msg := fmt.Sprintf("unknown field %s", quote(name))
	if guess := closest(name, known); guess != "" {
		msg += fmt.Sprintf(", did you mean %q?", guess)
	}
	msg += fmt.Sprintf(" (known fields: %s)", strings.Join(known, ", "))
	if path != "" {
		msg = path + ": " + msg
	}
	d.addMessage(pos, joinPath(path, name), msg)
}

func keyName(key ast.MapKeyNode) string {
	if s, ok := key.(*ast.StringNode); ok {
		return s.Value
	}
	return key.String()
}

// supported refuses the YAML features this format leaves out: anchors and aliases
// (they let a small file expand enormously) and explicit tags.
func (d *decoder) supported(n ast.Node, path string) bool {
	switch n.(type) {
	case *ast.AnchorNode:
		d.atValue(path, "YAML anchors (&name) are not supported: write the value out")
	case *ast.AliasNode:
		d.atValue(path, "YAML aliases (*name) are not supported: write the value out")
	case *ast.TagNode:
		d.atValue(path, "YAML tags (!tag) are not supported: write the plain value")
	default:
		return true
	}
	return false
}

func (d *decoder) mapping(n ast.Node, path string) (ast.MapNode, bool) {
	if m, ok := n.(ast.MapNode); ok && isMapping(n) {
		return m, true
	}
	d.add(nodePosition(n), path, "expected fields (key: value), got %s", describe(n))
	return nil, false
}

func (d *decoder) text(n ast.Node, path string) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		d.add(nodePosition(n), path, "expected text, got %s (put it in quotes to make it text)", describe(n))
		return "", false
	}
	d.add(nodePosition(n), path, "expected text, got %s", describe(n))
	return "", false
}

func (d *decoder) boolean(n ast.Node, path string) (bool, bool) {
	if b, ok := n.(*ast.BoolNode); ok {
		return b.Value, true
	}
	d.add(nodePosition(n), path, "expected true or false, got %s", describe(n))
	return false, false
}

func (d *decoder) integer(n ast.Node, path string) (int, bool) {
	if i, ok := n.(*ast.IntegerNode); ok {
		switch v := i.Value.(type) {
		case int64:
			if v >= math.MinInt && v <= math.MaxInt {
				return int(v), true
			}
		case uint64:
			if v <= math.MaxInt {
				return int(v), true
			}
		}
		d.add(nodePosition(n), path, "the number %s is too large", n.String())
		return 0, false
	}
	if s, ok := n.(*ast.StringNode); ok && isDigits(s.Value) && s.Token.Type == token.StringType {
		// The parser leaves integers it cannot hold as text.
		d.add(nodePosition(n), path, "the number %s is too large", s.Value)
		return 0, false
	}
	d.add(nodePosition(n), path, "expected a whole number, got %s", describe(n))
	return 0, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// list returns the items of a sequence; items are checked for anchors, aliases and tags.
func (d *decoder) list(n ast.Node, path string) ([]ast.Node, bool) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.add(nodePosition(n), path, "expected a list, got %s", describe(n))
		return nil, false
	}
	items := make([]ast.Node, 0, len(seq.Values))
	for i, item := range seq.Values {
		itemPath := indexPath(path, i)
		d.pos.values[itemPath] = nodePosition(item)
		if !d.supported(item, itemPath) {
			item = nil
		}
		items = append(items, item)
	}
	return items, true
}

// textList decodes a list of texts; it returns a non-nil slice for an empty list, so
// that "[]" stays distinguishable from an absent field.
func (d *decoder) textList(n ast.Node, path string) ([]string, bool) {
	items, ok := d.list(n, path)
	if !ok {
		return nil, false
	}
	values := make([]string, 0, len(items))
	for i, item := range items {
		if item == nil {
			ok = false
			continue
		}
		s, itemOK := d.text(item, indexPath(path, i))
		ok = ok && itemOK
		values = append(values, s)
	}
	return values, ok
}

// entry is one key and value of a mapping whose keys are data (rule ids, variables).
type entry struct {
	key   string
	path  string
	value ast.Node
}

// entries decodes a mapping with free keys.
func (d *decoder) entries(n ast.Node, path string) ([]entry, bool) {
	m, ok := d.mapping(n, path)
	if !ok {
		return nil, false
	}
	var list []entry
	iter := m.MapRange()
	for iter.Next() {
		name := keyName(iter.Key())
		childPath := joinPath(path, name)
		d.pos.keys[childPath] = nodePosition(iter.Key())
		d.pos.values[childPath] = nodePosition(iter.Value())
		if !d.supported(iter.Value(), childPath) {
			continue
		}
		list = append(list, entry{key: name, path: childPath, value: iter.Value()})
	}
	return list, true
}

// closest returns the known name within two edits of name, for "did you mean".
func closest(name string, known []string) string {
	best, bestDistance := "", 3
	if len(name) > 64 {
		return ""
	}
	for _, k := range known {
		if dist := editDistance(name, k); dist < bestDistance {
			best, bestDistance = k, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

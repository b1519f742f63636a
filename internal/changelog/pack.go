package changelog

import "slices"

// A concept's lists are held packed in one string each: every field a uvarint length and
// its bytes, lists sorted. At CIEL's size this keeps an index at about a third of the
// memory of slices of structs (one string header per list instead of one per field), and
// since packing is canonical, two lists are equal exactly when their packed strings are:
// comparing two releases unpacks only the lists that differ.

type packer []byte

func (p *packer) str(s string) {
	n := uint64(len(s))
	for n >= 0x80 {
		*p = append(*p, byte(n)|0x80)
		n >>= 7
	}
	*p = append(*p, byte(n))
	*p = append(*p, s...)
}

func (p *packer) flags(a, b bool) {
	var f byte
	if a {
		f |= 1
	}
	if b {
		f |= 2
	}
	*p = append(*p, f)
}

// unpacker reads what a packer wrote. Its input is always a packer's output (the
// packed strings are never read from outside), so a short read is a bug and panics.
type unpacker struct{ s string }

func (u *unpacker) more() bool { return len(u.s) > 0 }

func (u *unpacker) str() string {
	var n uint64
	for shift := 0; ; shift += 7 {
		b := u.s[0]
		u.s = u.s[1:]
		n |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
	}
	s := u.s[:n]
	u.s = u.s[n:]
	return s
}

func (u *unpacker) flags() (a, b bool) {
	f := u.s[0]
	u.s = u.s[1:]
	return f&1 != 0, f&2 != 0
}

func packNames(names []Name) string {
	slices.SortFunc(names, compareNames)
	var p packer
	for _, n := range names {
		p.str(n.Locale)
		p.str(n.Type)
		p.flags(n.Preferred, n.Retired)
		p.str(n.Text)
	}
	return string(p)
}

func unpackNames(s string) []Name {
	var out []Name
	for u := (unpacker{s}); u.more(); {
		var n Name
		n.Locale, n.Type = u.str(), u.str()
		n.Preferred, n.Retired = u.flags()
		n.Text = u.str()
		out = append(out, n)
	}
	return out
}

func packCodes(codes []string) string {
	slices.SortFunc(codes, compareCodes)
	var p packer
	for _, c := range codes {
		p.str(c)
	}
	return string(p)
}

func unpackCodes(s string) []string {
	var out []string
	for u := (unpacker{s}); u.more(); {
		out = append(out, u.str())
	}
	return out
}

func packMappings(maps []Mapping) string {
	slices.SortFunc(maps, compareMappings)
	var p packer
	for _, m := range maps {
		p.str(m.MapType)
		p.str(m.Source)
		p.str(m.Code)
	}
	return string(p)
}

func unpackMappings(s string) []Mapping {
	var out []Mapping
	for u := (unpacker{s}); u.more(); {
		out = append(out, Mapping{MapType: u.str(), Source: u.str(), Code: u.str()})
	}
	return out
}

// countPacked counts the records of a packed list of codes (fields 1) or mappings
// (fields 3).
func countPacked(s string, fields int) int {
	n := 0
	for u := (unpacker{s}); u.more(); n++ {
		for range fields {
			u.str()
		}
	}
	return n
}

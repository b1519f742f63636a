package qa

import (
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// Identity is which source (or collection) and version an export says it is.
type Identity struct {
	Org, Source, Version string
	repoKind             string // "sources" or "collections"
}

// Identify reads the identity from an export's metadata. A version export
// (`"type": "Source Version"` or "Collection Version") has the version as `id` and the
// repository in its `url`; the 2015-era export of a whole source (`"type": "Source"`)
// has the source as `id` and no version (OCL.md, "Old data types"). The owner comes
// from `owner`, else the URL.
func Identify(v *ocl.SourceVersion) Identity {
	owner, name, kind := repoFromURL(v.URL)
	id := Identity{Org: strings.TrimSpace(v.Owner), Source: name, repoKind: kind}
	if id.Org == "" {
		id.Org = owner
	}
	typ := strings.ToLower(strings.TrimSpace(v.Type))
	switch typ {
	case "source", "collection": // the repository itself, not one of its versions
		if id.Source == "" {
			id.Source = strings.TrimSpace(v.ID)
		}
		id.Version = strings.TrimSpace(v.Version)
	default:
		if id.Version = strings.TrimSpace(v.ID); id.Version == "" {
			id.Version = strings.TrimSpace(v.Version)
		}
		if id.Source == "" {
			id.Source = strings.TrimSpace(v.Name)
		}
	}
	if id.repoKind == "" && strings.HasPrefix(typ, "collection") {
		id.repoKind = "collections"
	}
	return id
}

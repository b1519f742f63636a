package ocltest

import (
	"maps"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// ModelOf is what the product's model decodes from concept row c and its mappings as
// written in an export of shape by org's source (the serializers in serializers.go),
// without writing and reading them back. TestModelOfReadsWhatTheExportSays (in the
// dataset package) checks it against the decoded bytes.
func ModelOf(org, source string, shape Shape, c ConceptRow, mappings []MappingRow) (ocl.Concept, []ocl.Mapping) {
	r := served{org: org, source: source, shape: shape}
	era := shape.Era
	owner, src := r.ownerSource(c.Owner, c.Source)
	url := sourceURL(owner, src) + "concepts/" + c.ID + "/"
	out := ocl.Concept{
		Type: "Concept", ID: c.ID, UUID: c.UUID, ExternalID: c.ExternalID, ConceptClass: c.ConceptClass,
		Datatype: c.Datatype, Retired: c.Retired, Extras: modelExtras(c.Extras, era),
		URL: url, VersionURL: url + c.Version + "/", Source: src, Owner: owner,
	}
	if era == Era2026 {
		out.RetireReason = c.RetireReason
		out.CreatedOn, out.UpdatedOn = c.CreatedOn, c.UpdatedOn
	}
	out.Names = make([]ocl.Name, len(c.Names))
	for k, n := range c.Names {
		out.Names[k] = ocl.Name{
			Name: n.Name, Locale: n.Locale, LocalePreferred: n.LocalePreferred, NameType: n.NameType,
			ExternalID: n.ExternalID, UUID: n.UUID, Retired: n.Retired && era == Era2026,
		}
	}
	out.Descriptions = make([]ocl.Description, len(c.Descriptions))
	for k, d := range c.Descriptions {
		out.Descriptions[k] = ocl.Description{
			Description: d.Description, Locale: d.Locale, LocalePreferred: d.LocalePreferred,
			DescriptionType: d.DescriptionType, ExternalID: d.ExternalID, UUID: d.UUID,
			Retired: d.Retired && era == Era2026,
		}
	}
	maps := make([]ocl.Mapping, len(mappings))
	for k, m := range mappings {
		maps[k] = ocl.Mapping{
			Type: "Mapping", ID: m.ID, UUID: m.UUID, ExternalID: m.ExternalID, Retired: m.Retired,
			MapType: m.MapType, FromConceptCode: m.FromConceptCode, FromConceptURL: m.FromConceptURL,
			FromSourceName: m.FromSourceName, FromSourceOwner: m.FromSourceOwner,
			ToConceptCode: m.ToConceptCode, ToConceptURL: m.ToConceptURL, ToConceptName: m.ToConceptName,
			ToSourceName: m.ToSourceName, ToSourceOwner: m.ToSourceOwner, ToSourceURL: m.ToSourceURL,
			Extras: modelExtras(m.Extras, era),
		}
		if m.SortWeight != nil && era == Era2026 {
			w := *m.SortWeight
			maps[k].SortWeight = &w
		}
	}
	return out, maps
}

// modelExtras is what ocl.Extras decodes from extras as written in era.
func modelExtras(e Extras, era Era) ocl.Extras {
	if e == nil && era == Era2026 {
		return ocl.Extras{}
	}
	if e == nil {
		return nil
	}
	return ocl.Extras(maps.Clone(e))
}

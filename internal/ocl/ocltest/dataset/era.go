package dataset

import (
	"encoding/json"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// Shares of the history OCL keeps since 2026-05 (Era2026).
const (
	retiredSynonymShare     = 0.03
	retiredDescriptionShare = 0.015
)

// retireReasons are the kinds of reason CIEL gives when it retires a concept.
var retireReasons = []string{
	"Duplicate concept",
	"Replaced by a more specific concept",
	"Concept no longer used",
	"Merged into another concept",
}

// addHistory adds what a 2026 server keeps of a concept's past: why it was retired,
// and now and then a retired synonym or description. They are drawn from their own
// hashes, so the rest of the concept is the same in every era.
func (d *Dataset) addHistory(dr *draft, i int, p *plan) {
	if d.spec.Era != ocltest.Era2026 {
		return
	}
	h := hash2(d.seed, saltHistory, uint64(i))
	if dr.c.Retired {
		dr.c.RetireReason = retireReasons[h%uint64(len(retireReasons))]
	}
	if p != nil {
		return
	}
	en := d.spec.Locales[d.en]
	if unit(h) < retiredSynonymShare {
		dr.c.Names = append(dr.c.Names, ocltest.NameRow{
			Name: d.nameText(i, d.en, variantRetired), Locale: en, Retired: true,
		})
	}
	if unit(mix(h)) < retiredDescriptionShare {
		t := hash3(d.seed, saltName, uint64(i), uint64(d.en)<<8|variantRetired)
		dr.c.Descriptions = append(dr.c.Descriptions, ocltest.DescriptionRow{
			Description: sentence(t, 5+int(t%8)), Locale: en, DescriptionType: "Definition", Retired: true,
		})
	}
}

// age turns a finished concept into the data of its era: where answers and members
// keep their order, and for 2015 the integer "precise" and the missing external ids.
func (d *Dataset) age(dr *draft, p *plan) {
	for k := range dr.maps {
		m := &dr.maps[k]
		if m.SortWeight == nil || d.spec.Weights == WeightTop {
			continue
		}
		m.Extras = withExtra(m.Extras, "sort_weight", jsonNumber(*m.SortWeight))
		if d.spec.Weights == WeightExtras {
			m.SortWeight = nil
		}
	}
	if d.spec.Era != ocltest.Era2015 || p != nil {
		return
	}
	if v, ok := dr.c.Extras["allow_decimal"]; ok {
		delete(dr.c.Extras, "allow_decimal")
		dr.c.Extras["precise"] = v
	}
	if v, ok := dr.c.Extras["precise"]; ok {
		// The 2015 API wrote booleans of OpenMRS as the integers of its tables.
		dr.c.Extras["precise"] = json.RawMessage(pick(string(v) == "true", "1", "0"))
	}
	for k := range dr.c.Descriptions {
		dr.c.Descriptions[k].ExternalID = ""
	}
	for k := range dr.maps {
		switch dr.maps[k].MapType {
		case ocl.MapTypeQAndA, ocl.MapTypeConceptSet:
			dr.maps[k].ExternalID = ""
		}
	}
}

func withExtra(e ocltest.Extras, key string, v json.RawMessage) ocltest.Extras {
	if e == nil {
		e = ocltest.Extras{}
	}
	e[key] = v
	return e
}

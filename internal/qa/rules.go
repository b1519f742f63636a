package qa

// Rule scopes, as the catalogue groups rules.
const (
	ScopeConcept = "concept" // one concept at a time (CIEL editorial rules)
	ScopeSource  = "source"  // across the whole source
	ScopeSchema  = "schema"  // what OCL's OpenMRS schema and OpenMRS itself enforce
	ScopeExtras  = "extras"  // the extras of concepts and mappings
)

// RuleInfo describes one rule of the catalogue.
type RuleInfo struct {
	ID              string   `json:"id"`
	DefaultSeverity Severity `json:"default_severity"`
	Scope           string   `json:"scope"`
	Title           string   `json:"title"`
}

// rule indexes the catalogue; the engine keeps per-rule state in arrays.
type rule uint8

const (
	fr01 rule = iota
	fr02
	fr03
	fr04
	fr05
	fr06
	fr07
	fr11
	fr12
	fr13
	fr15
	fr19
	fr23
	fr24
	fr25
	ce01
	ce02
	ce03
	ce04
	fr08
	fr09
	fr10
	fr22
	fr26
	xr01
	xr02
	xr03
	xr04
	xr05
	xr06
	om01
	om02
	om03
	om04
	om05
	om06
	om07
	js01
	ex01
	ex02
	ex03
	ex04
	ex05
	numRules
)

var catalogue = [numRules]RuleInfo{
	fr01: {"FR-01", SeverityError, ScopeConcept, "at most one preferred name per locale"},
	fr02: {"FR-02", SeverityError, ScopeConcept, "no two names with the same text in one locale (SHORT names aside, case-insensitive)"},
	fr03: {"FR-03", SeverityError, ScopeConcept, "at most one SHORT name per locale"},
	fr04: {"FR-04", SeverityError, ScopeConcept, "a SHORT or INDEX_TERM name is never the preferred name"},
	fr05: {"FR-05", SeverityError, ScopeConcept, "at most one FULLY_SPECIFIED name per locale"},
	fr06: {"FR-06", SeverityError, ScopeConcept, "at least one FULLY_SPECIFIED name"},
	fr07: {"FR-07", SeverityError, ScopeConcept, "every name type is FULLY_SPECIFIED, SHORT, INDEX_TERM or a synonym"},
	fr11: {"FR-11", SeverityError, ScopeConcept, "an active concept has an external_id of exactly 36 characters"},
	fr12: {"FR-12", SeverityError, ScopeConcept, "no duplicate mapping (same target and map type twice)"},
	fr13: {"FR-13", SeverityError, ScopeConcept, "exactly one SAME-AS mapping to the concept's own code in its own source"},
	fr15: {"FR-15", SeverityError, ScopeConcept, "no HTML entities in names or descriptions"},
	fr19: {"FR-19", SeverityWarning, ScopeConcept, "the preferred name contains \"and/or\", \"and\" or \"or\" (often two concepts in one)"},
	fr23: {"FR-23", SeverityWarning, ScopeConcept, "SAME-AS to a residual ICD code unless the fully specified name says \"other\""},
	fr24: {"FR-24", SeverityWarning, ScopeConcept, "the same target reached with more than one map type"},
	fr25: {"FR-25", SeverityWarning, ScopeConcept, "more than one SAME-AS to the same target source"},
	ce01: {"CE-01", SeverityError, ScopeConcept, "an English (en) preferred name exists"},
	ce02: {"CE-02", SeverityError, ScopeConcept, "a Numeric concept carries numeric details"},
	ce03: {"CE-03", SeverityError, ScopeConcept, "a Numeric concept of class Test has units"},
	ce04: {"CE-04", SeverityError, ScopeConcept, "a set has at least one CONCEPT-SET mapping"},
	fr08: {"FR-08", SeverityWarning, ScopeSource, "every name's locale is one of the version's supported locales"},
	fr09: {"FR-09", SeverityError, ScopeSource, "no two active concepts share a fully specified name in a locale"},
	fr10: {"FR-10", SeverityWarning, ScopeSource, "no two active concepts share a preferred name in a locale"},
	fr22: {"FR-22", SeverityWarning, ScopeSource, "a mapping points to a retired concept of the same source"},
	fr26: {"FR-26", SeverityError, ScopeSource, "no two active concepts are SAME-AS the same external code"},
	xr01: {"XR-01", SeverityError, ScopeSource, "every Q-AND-A and CONCEPT-SET target exists in the source"},
	xr02: {"XR-02", SeverityError, ScopeSource, "Q-AND-A mappings start only from Coded concepts"},
	xr03: {"XR-03", SeverityError, ScopeSource, "no concept is its own answer or its own set member"},
	xr04: {"XR-04", SeverityError, ScopeSource, "no two concepts share an external_id"},
	xr05: {"XR-05", SeverityWarning, ScopeSource, "no cycle in CONCEPT-SET membership"},
	xr06: {"XR-06", SeverityError, ScopeSource, "no two names, descriptions or mappings of one OpenMRS table share a uuid"},
	om01: {"OM-01", SeverityError, ScopeSchema, "datatype is a known OpenMRS datatype"},
	om02: {"OM-02", SeverityError, ScopeSchema, "class is not empty"},
	om03: {"OM-03", SeverityError, ScopeSchema, "external_id of a concept, name, description or mapping is at most 36 characters"},
	om04: {"OM-04", SeverityError, ScopeSchema, "name text is not blank and at most 255 characters"},
	om05: {"OM-05", SeverityError, ScopeSchema, "a reference source name is at most 50 characters"},
	om06: {"OM-06", SeverityError, ScopeSchema, "a numeric range or sort weight is a number a MySQL DOUBLE can store (no NaN or Infinity)"},
	om07: {"OM-07", SeverityError, ScopeSchema, "text fits OpenMRS's utf8 (utf8mb3) columns: no character outside the BMP, at most 65,535 bytes"},
	js01: {"JS-01", SeverityError, ScopeSchema, "a field the rules read has the JSON type OCL writes"},
	ex01: {"EX-01", SeverityError, ScopeExtras, "no reserved key (retired_reason, retire_reason) in extras"},
	ex02: {"EX-02", SeverityError, ScopeExtras, "no extras key with leading or trailing white space"},
	ex03: {"EX-03", SeverityWarning, ScopeExtras, "a known extras key has the wrong JSON type"},
	ex04: {"EX-04", SeverityWarning, ScopeExtras, "a boolean written as the string \"true\"/\"false\""},
	ex05: {"EX-05", SeverityInfo, ScopeExtras, "an extras key outside the known vocabulary"},
}

// ruleByID finds a rule from its catalogue id.
var ruleByID = func() map[string]rule {
	m := make(map[string]rule, numRules)
	for r := rule(0); r < numRules; r++ {
		m[catalogue[r].ID] = r
	}
	return m
}()

// Rules lists every rule of the catalogue, grouped by scope as the catalogue shows them.
func Rules() []RuleInfo {
	out := make([]RuleInfo, numRules)
	copy(out, catalogue[:])
	return out
}

// RuleIDs lists the id of every rule of the catalogue, the ids overrides may name.
func RuleIDs() []string {
	ids := make([]string, numRules)
	for r := rule(0); r < numRules; r++ {
		ids[r] = catalogue[r].ID
	}
	return ids
}

func (r rule) id() string { return catalogue[r].ID }

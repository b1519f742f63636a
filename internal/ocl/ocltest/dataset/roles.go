package dataset

// kind is what a concept's role implies for its extras and its own-source mappings.
type kind uint8

const (
	kindPlain    kind = iota
	kindAnswered      // Coded, with Q-AND-A mappings to answer concepts
	kindNumeric       // Numeric, with units and ranges in extras
	kindSet           // extras.is_set = 1, with CONCEPT-SET mappings to members
	kindComplex       // Complex, with extras.handler
)

// sourceGroup selects which external terminologies a concept maps to.
type sourceGroup uint8

const (
	groupClinical sourceGroup = iota
	groupDrug
	groupTest
	groupOther
)

// role is a (class, datatype) pair with its share of the dictionary.
type role struct {
	class    string
	datatype string
	kind     kind
	group    sourceGroup
	perMille int
}

// roles approximate CIEL's mix; the shares add up to 1000.
var roles = []role{
	{"Diagnosis", "N/A", kindPlain, groupClinical, 270},
	{"Symptom", "N/A", kindPlain, groupClinical, 40},
	{"Finding", "N/A", kindPlain, groupClinical, 55},
	{"Procedure", "N/A", kindPlain, groupClinical, 45},
	{"Anatomy", "N/A", kindPlain, groupClinical, 25},
	{"Drug", "N/A", kindPlain, groupDrug, 110},
	{"Misc", "N/A", kindPlain, groupOther, 95},
	{"Specimen", "N/A", kindPlain, groupOther, 10},
	{"Frequency", "N/A", kindPlain, groupOther, 5},
	{"Units of Measure", "N/A", kindPlain, groupOther, 5},
	{"Medical supply", "N/A", kindPlain, groupOther, 10},
	{"Question", "Coded", kindAnswered, groupOther, 90},
	{"Question", "Text", kindPlain, groupOther, 20},
	{"Question", "Date", kindPlain, groupOther, 8},
	{"Question", "Datetime", kindPlain, groupOther, 5},
	{"Question", "Time", kindPlain, groupOther, 2},
	{"Finding", "Boolean", kindPlain, groupClinical, 8},
	{"Test", "Numeric", kindNumeric, groupTest, 70},
	{"Test", "Coded", kindAnswered, groupTest, 30},
	{"Finding", "Numeric", kindNumeric, groupClinical, 15},
	{"Misc", "Complex", kindComplex, groupOther, 5},
	{"Misc", "Document", kindPlain, groupOther, 2},
	{"LabSet", "N/A", kindSet, groupTest, 30},
	{"ConvSet", "N/A", kindSet, groupOther, 35},
	{"MedSet", "N/A", kindSet, groupDrug, 10},
}

// Roles that injections force onto a concept, by their position in roles.
var (
	rolePlain          = &roles[0]  // Diagnosis, N/A
	roleNumericFinding = &roles[19] // Numeric but not a Test: CE-03 stays quiet
	roleNumericTest    = &roles[17]
	roleCodedQuestion  = &roles[11]
	roleConvSet        = &roles[23]
)

// roleByMille maps a draw in [0, 1000) to a role in O(1).
var roleByMille = func() [1000]*role {
	var table [1000]*role
	at := 0
	for r := range roles {
		for range roles[r].perMille {
			table[at] = &roles[r]
			at++
		}
	}
	if at != len(table) {
		panic("dataset: role shares must add up to 1000")
	}
	return table
}()

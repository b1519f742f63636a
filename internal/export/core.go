package export

import "strings"

// OpenMRS's core metadata. The ids and uuids are those OpenMRS ships in its initial
// data, so that other tables of an existing database (orders, forms, modules) that
// point at them stay valid after the concept tables are recreated.

type coreDatatype struct {
	id         int64
	name, hl7  string
	uuid, desc string
}

var coreDatatypes = []coreDatatype{
	{1, "Numeric", "NM", "8d4a4488-c2cc-11de-8d13-0010c6dffd0f", "Numeric value, including integer or float (e.g., creatinine, weight)"},
	{2, "Coded", "CWE", "8d4a48b6-c2cc-11de-8d13-0010c6dffd0f", "Value determined by term dictionary lookup (i.e., term identifier)"},
	{3, "Text", "ST", "8d4a4ab4-c2cc-11de-8d13-0010c6dffd0f", "Free text"},
	{4, "N/A", "ZZ", "8d4a4c94-c2cc-11de-8d13-0010c6dffd0f", "Not associated with a datatype (e.g., term answers, sets)"},
	{5, "Document", "RP", "8d4a4e74-c2cc-11de-8d13-0010c6dffd0f", "Pointer to a binary or text-based document (e.g., clinical document, RTF, XML, EKG, image, etc.) stored in complex_obs table"},
	{6, "Date", "DT", "8d4a505e-c2cc-11de-8d13-0010c6dffd0f", "Absolute date"},
	{7, "Time", "TM", "8d4a591e-c2cc-11de-8d13-0010c6dffd0f", "Absolute time of day"},
	{8, "Datetime", "TS", "8d4a5af4-c2cc-11de-8d13-0010c6dffd0f", "Absolute date and time"},
	{10, "Boolean", "BIT", "8d4a5cca-c2cc-11de-8d13-0010c6dffd0f", "Boolean value (yes/no, true/false)"},
	{11, "Rule", "ZZ", "8d4a5e96-c2cc-11de-8d13-0010c6dffd0f", "Value derived from other data"},
	{12, "Structured Numeric", "SN", "8d4a606c-c2cc-11de-8d13-0010c6dffd0f", "Complex numeric values possible (ie, <5, 1-10, etc.)"},
	{13, "Complex", "ED", "8d4a6242-c2cc-11de-8d13-0010c6dffd0f", "Complex value.  Analogous to HL7 Embedded Datatype"},
}

const (
	datatypeNumeric = 1
	datatypeComplex = 13
)

var datatypeSeparators = strings.NewReplacer(" ", "", "-", "", "_", "", "/", "")

// datatypeKey folds the spellings OCL uses ("Structured-Numeric", "N/A", "None") onto
// one key per OpenMRS datatype.
func datatypeKey(name string) string {
	k := strings.ToLower(strings.TrimSpace(name))
	k = datatypeSeparators.Replace(k)
	if k == "" || k == "none" || k == "null" {
		return "na"
	}
	return k
}

var datatypeIDs = func() map[string]int64 {
	m := make(map[string]int64, len(coreDatatypes))
	for _, d := range coreDatatypes {
		m[datatypeKey(d.name)] = d.id
	}
	return m
}()

type coreClass struct {
	id         int64
	name, uuid string
	desc       string
}

var coreClasses = []coreClass{
	{1, "Test", "8d4907b2-c2cc-11de-8d13-0010c6dffd0f", "Acq. during patient encounter (vitals, labs, etc.)"},
	{2, "Procedure", "8d490bf4-c2cc-11de-8d13-0010c6dffd0f", "Describes a clinical procedure"},
	{3, "Drug", "8d490dfc-c2cc-11de-8d13-0010c6dffd0f", "Drug"},
	{4, "Diagnosis", "8d4918b0-c2cc-11de-8d13-0010c6dffd0f", "Conclusion drawn through findings"},
	{5, "Finding", "8d491a9a-c2cc-11de-8d13-0010c6dffd0f", "Practitioner observation/finding"},
	{6, "Anatomy", "8d491c7a-c2cc-11de-8d13-0010c6dffd0f", "Anatomic sites / descriptors"},
	{7, "Question", "8d491e50-c2cc-11de-8d13-0010c6dffd0f", "Question (eg, patient history, SF36 items)"},
	{8, "LabSet", "8d492026-c2cc-11de-8d13-0010c6dffd0f", "Term to describe laboratory sets"},
	{9, "MedSet", "8d4923b4-c2cc-11de-8d13-0010c6dffd0f", "Term to describe medication sets"},
	{10, "ConvSet", "8d492594-c2cc-11de-8d13-0010c6dffd0f", "Term to describe convenience sets"},
	{11, "Misc", "8d492774-c2cc-11de-8d13-0010c6dffd0f", "Terms which don't fit other categories"},
	{12, "Symptom", "8d492954-c2cc-11de-8d13-0010c6dffd0f", "Patient-reported observation"},
	{13, "Symptom/Finding", "8d492b2a-c2cc-11de-8d13-0010c6dffd0f", "Observation that can be reported from patient or found on exam"},
	{14, "Specimen", "8d492d0a-c2cc-11de-8d13-0010c6dffd0f", "Body or fluid specimen"},
	{15, "Misc Order", "8d492ee0-c2cc-11de-8d13-0010c6dffd0f", "Orderable items which aren't tests or drugs"},
	{16, "Frequency", "8e071bfe-520c-44c0-a89b-538e9129b42a", "A class for order frequencies"},
}

// classKey compares class names without regard to case or surrounding spaces.
func classKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

type coreMapType struct {
	id         int64
	name, uuid string
}

var coreMapTypes = []coreMapType{
	{1, "SAME-AS", "35543629-7d8c-11e1-909d-c80aa9edcf4e"},
	{2, "NARROWER-THAN", "43ac5109-7d8c-11e1-909d-c80aa9edcf4e"},
	{3, "BROADER-THAN", "4b9d9421-7d8c-11e1-909d-c80aa9edcf4e"},
}

package export

import (
	_ "embed"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OpenMRS's core metadata. A site's database already holds these rows, and other tables
// (orders, forms, drug_reference_map, concept_reference_term_map, modules) point at them by
// id, so every artifact writes them exactly as OpenMRS ships them: same ids, names, uuids.
// They are read from OpenMRS's own core-data changelog (openmrsdata/NOTICE.md).

//go:embed openmrsdata/core-data.xml
var coreDataXML []byte

type coreDatatype struct {
	id         int64
	name, hl7  string
	uuid, desc string
	created    time.Time
}

type coreClass struct {
	id         int64
	name, uuid string
	desc       string
	created    time.Time
}

type coreMapType struct {
	id         int64
	name, uuid string
	desc       string // "" is NULL
	hidden     bool
	created    time.Time
}

var coreDatatypes, coreClasses, coreMapTypes = mustParseCoreData(coreDataXML)

// liquibaseInsert is one <insert> of a Liquibase changelog.
type liquibaseInsert struct {
	Table   string `xml:"tableName,attr"`
	Columns []struct {
		Name         string  `xml:"name,attr"`
		Value        *string `xml:"value,attr"`
		ValueNumeric *string `xml:"valueNumeric,attr"`
		ValueBoolean *string `xml:"valueBoolean,attr"`
		ValueDate    *string `xml:"valueDate,attr"`
	} `xml:"column"`
}

func mustParseCoreData(data []byte) ([]coreDatatype, []coreClass, []coreMapType) {
	d, c, m, err := parseCoreData(data)
	if err != nil {
		panic("export: openmrsdata/core-data.xml: " + err.Error())
	}
	return d, c, m
}

func parseCoreData(data []byte) ([]coreDatatype, []coreClass, []coreMapType, error) {
	var doc struct {
		Inserts []liquibaseInsert `xml:"insert"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, nil, nil, err
	}
	var (
		datatypes []coreDatatype
		classes   []coreClass
		mapTypes  []coreMapType
	)
	for _, ins := range doc.Inserts {
		v := map[string]string{}
		for _, col := range ins.Columns {
			for _, p := range []*string{col.Value, col.ValueNumeric, col.ValueBoolean, col.ValueDate} {
				if p != nil {
					v[col.Name] = *p
				}
			}
		}
		created, err := parseLiquibaseDate(v["date_created"])
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s %s: %w", ins.Table, v["uuid"], err)
		}
		switch ins.Table {
		case "concept_datatype":
			id, err := strconv.ParseInt(v["concept_datatype_id"], 10, 32)
			if err != nil {
				return nil, nil, nil, err
			}
			datatypes = append(datatypes, coreDatatype{id: id, name: v["name"], hl7: v["hl7_abbreviation"], uuid: v["uuid"], desc: v["description"], created: created})
		case "concept_class":
			id, err := strconv.ParseInt(v["concept_class_id"], 10, 32)
			if err != nil {
				return nil, nil, nil, err
			}
			classes = append(classes, coreClass{id: id, name: v["name"], uuid: v["uuid"], desc: v["description"], created: created})
		case "concept_map_type":
			id, err := strconv.ParseInt(v["concept_map_type_id"], 10, 32)
			if err != nil {
				return nil, nil, nil, err
			}
			mapTypes = append(mapTypes, coreMapType{id: id, name: v["name"], uuid: v["uuid"], desc: v["description"],
				hidden: v["is_hidden"] == "true", created: created})
		default:
			return nil, nil, nil, fmt.Errorf("unexpected table %q", ins.Table)
		}
	}
	return datatypes, classes, mapTypes, nil
}

func parseLiquibaseDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date_created %q cannot be read", s)
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

// classKey compares class names without regard to case or surrounding spaces.
func classKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// ConceptClass is a concept class a dictionary brings that OpenMRS does not ship, with the
// uuid sites already know it by. Its id comes from the id map like any other new row.
type ConceptClass struct {
	Name        string `json:"name"`
	UUID        string `json:"uuid"`
	Description string `json:"description,omitempty"`
}

// CIELClasses are CIEL's own classes whose uuids OpenMRS frontends and modules look up:
// "Radiology/Imaging Procedure" is the class the O3 imaging and radiology apps filter on
// (openmrs/openmrs-esm-patient-chart, openmrs-esm-radiology-app config schemas). Other
// classes get a uuid derived from their name, the same in every release.
var CIELClasses = []ConceptClass{
	{Name: "Radiology/Imaging Procedure", UUID: "8caa332c-efe4-4025-8b18-3398328e1323", Description: "Radiology or imaging procedure"},
}

// ReferenceSource is a concept_reference_source as OpenMRS sites have it. Mappings name
// their target source the OCL way ("SNOMED-CT"); sourceKey matches the two.
type ReferenceSource struct {
	// ID is the concept_source_id; 0 lets the id map choose.
	ID          int64  `json:"id,omitempty"`
	Name        string `json:"name"`
	UUID        string `json:"uuid,omitempty"`
	HL7Code     string `json:"hl7_code,omitempty"` // "" is NULL: the column is unique
	Description string `json:"description,omitempty"`
}

// cielSourceUUID pads an id with D to 36 characters, as CIEL's source uuids are.
func cielSourceUUID(id int) string {
	s := strconv.Itoa(id)
	return s + strings.Repeat("D", 36-len(s))
}

// CIELSources are the reference sources of a CIEL-era OpenMRS database (ids, names and uuids
// from its 2014 dump). hl7_code is HL7 v2 table 0396's code where the source has one (SCT,
// LN, I10) and NULL otherwise.
var CIELSources = []ReferenceSource{
	{ID: 1, Name: "SNOMED CT", UUID: cielSourceUUID(1), HL7Code: "SCT", Description: "SNOMED Clinical Terms"},
	{ID: 2, Name: "SNOMED NP", UUID: cielSourceUUID(2), Description: "SNOMED NP"},
	{ID: 3, Name: "ICD-10-WHO", UUID: "3f65bd34-26fe-102b-80cb-0017a47871b2", HL7Code: "I10", Description: "ICD-10 WHO Version"},
	{ID: 6, Name: "LOINC", UUID: cielSourceUUID(6), HL7Code: "LN", Description: "Logical Observation Identifiers Names and Codes"},
	{ID: 11, Name: "PIH", UUID: "fb9aaaf1-65e2-4c18-b53c-16b575f2f385", Description: "Partners In Health"},
	{ID: 12, Name: "PIH Malawi", UUID: cielSourceUUID(12), Description: "Partners In Health Malawi"},
	{ID: 13, Name: "AMPATH", UUID: cielSourceUUID(13), Description: "AMPATH"},
	{ID: 14, Name: "SNOMED MVP", UUID: cielSourceUUID(14), Description: "SNOMED MVP"},
	{ID: 19, Name: "3BT", UUID: cielSourceUUID(19), Description: "3BT"},
	{ID: 20, Name: "ICPC2", UUID: cielSourceUUID(20), Description: "International Classification of Primary Care 2"},
	{ID: 21, Name: "CIEL", UUID: cielSourceUUID(21), Description: "Columbia International eHealth Laboratory"},
	{ID: 24, Name: "IMO ProblemIT", UUID: cielSourceUUID(24), Description: "IMO ProblemIT"},
	{ID: 25, Name: "IMO ProcedureIT", UUID: cielSourceUUID(25), Description: "IMO ProcedureIT"},
}

var sourceKeySeparators = strings.NewReplacer(" ", "", "-", "")

// sourceKey matches source names ignoring case, spaces and hyphens: OCL's "SNOMED-CT" is
// a site's "SNOMED CT".
func sourceKey(name string) string {
	return strings.ToLower(sourceKeySeparators.Replace(strings.TrimSpace(name)))
}

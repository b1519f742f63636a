package export

import (
	"strings"
)

// tableID indexes the concept tables in the order their rows are flushed at the end.
type tableID int

const (
	tDatatype tableID = iota
	tClass
	tMapType
	tSource
	tTerm
	tConcept
	tName
	tDescription
	tNumeric
	tComplex
	tAnswer
	tSet
	tRefMap
	tableCount
)

// formatMask says which formats have a column.
type formatMask uint8

const (
	inAll formatMask = 0
	only2 formatMask = 1 // added in OpenMRS 2.0–2.2
)

func (m formatMask) has(f Format) bool { return m == inAll || f == FormatOpenMRS2 }

type columnDef struct {
	name    string
	sqlType string
	formats formatMask
	// name111 renames the column in the 1.11 schema (allow_decimal was precise).
	name111 string
}

func (c columnDef) nameIn(f Format) string {
	if f == FormatOpenMRS111 && c.name111 != "" {
		return c.name111
	}
	return c.name
}

type foreignKey struct {
	name, column, refTable, refColumn string
	formats                           formatMask
}

type uniqueKey struct {
	name, column string
	formats      formatMask
}

// indexDef is a plain index OpenMRS has besides those of its foreign keys.
type indexDef struct{ name, column string }

// tableDef is one OpenMRS concept table: its DDL and the columns Shepherd fills.
type tableDef struct {
	name    string
	columns []columnDef
	primary string
	// keepDropped is "retired" or "voided" for tables whose rows a site's own tables point
	// at: a row the release no longer has is kept, so marked, instead of deleted.
	keepDropped string
	uniques     []uniqueKey
	indexes     []indexDef
	fks         []foreignKey
	// insert lists, in order, the columns of every row the converter emits (canonical
	// names, i.e. the OpenMRS 2.x ones). Columns missing from a format are projected out.
	insert []string
}

// Column type shorthands, as OpenMRS declares them.
const (
	intNN      = "int(11) NOT NULL"
	intNull    = "int(11) DEFAULT NULL"
	boolNN     = "tinyint(1) NOT NULL DEFAULT '0'"
	dateNN     = "datetime NOT NULL"
	dateNull   = "datetime DEFAULT NULL"
	uuidNN     = "char(38) NOT NULL"
	reasonNull = "varchar(255) DEFAULT NULL"
	doubleNull = "double DEFAULT NULL"
)

// changedByFK is the changed_by key OpenMRS 2.1 added (named as its Liquibase snapshots do).
func changedByFK(table string) foreignKey {
	return foreignKey{name: table + "_changed_by", column: "changed_by", refTable: "users", refColumn: "user_id", formats: only2}
}

// retirable are the audit columns of OpenMRS metadata tables.
func retirable() []columnDef {
	return []columnDef{
		{name: "creator", sqlType: "int(11) NOT NULL DEFAULT '0'"},
		{name: "date_created", sqlType: dateNN},
		{name: "retired", sqlType: boolNN},
		{name: "retired_by", sqlType: intNull},
		{name: "date_retired", sqlType: dateNull},
		{name: "retire_reason", sqlType: reasonNull},
	}
}

func cols(parts ...[]columnDef) []columnDef {
	var out []columnDef
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// tables is the OpenMRS 1.11 concept schema with the 2.x additions marked. Foreign key
// names follow OpenMRS's where they are well known, so that later Liquibase changesets
// find them.
var tables = [tableCount]tableDef{
	tDatatype: {
		name: "concept_datatype",
		columns: cols([]columnDef{
			{name: "concept_datatype_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "name", sqlType: "varchar(255) NOT NULL DEFAULT ''"},
			{name: "hl7_abbreviation", sqlType: "varchar(3) DEFAULT NULL"},
			{name: "description", sqlType: "varchar(255) DEFAULT NULL"},
		}, retirable(), []columnDef{{name: "uuid", sqlType: uuidNN}}),
		primary:     "concept_datatype_id",
		keepDropped: "retired",
		uniques:     []uniqueKey{{name: "concept_datatype_uuid_index", column: "uuid"}},
		indexes:     []indexDef{{"concept_datatype_retired_status", "retired"}},
		fks: []foreignKey{
			{name: "concept_datatype_creator", column: "creator", refTable: "users", refColumn: "user_id"},
			{name: "user_who_retired_concept_datatype", column: "retired_by", refTable: "users", refColumn: "user_id"},
		},
		insert: []string{"concept_datatype_id", "name", "hl7_abbreviation", "description", "creator", "date_created", "retired", "uuid"},
	},
	tClass: {
		name: "concept_class",
		columns: cols([]columnDef{
			{name: "concept_class_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "name", sqlType: "varchar(255) NOT NULL DEFAULT ''"},
			{name: "description", sqlType: "varchar(255) DEFAULT NULL"},
		}, retirable(), []columnDef{
			{name: "uuid", sqlType: uuidNN},
			{name: "changed_by", sqlType: intNull, formats: only2},
			{name: "date_changed", sqlType: dateNull, formats: only2},
		}),
		primary:     "concept_class_id",
		keepDropped: "retired",
		uniques:     []uniqueKey{{name: "concept_class_uuid_index", column: "uuid"}},
		indexes:     []indexDef{{"concept_class_retired_status", "retired"}},
		fks: []foreignKey{
			{name: "concept_class_creator", column: "creator", refTable: "users", refColumn: "user_id"},
			{name: "user_who_retired_concept_class", column: "retired_by", refTable: "users", refColumn: "user_id"},
			changedByFK("concept_class"),
		},
		insert: []string{"concept_class_id", "name", "description", "creator", "date_created", "retired", "uuid"},
	},
	tMapType: {
		name: "concept_map_type",
		columns: cols([]columnDef{
			{name: "concept_map_type_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "name", sqlType: "varchar(255) NOT NULL"},
			{name: "description", sqlType: "varchar(255) DEFAULT NULL"},
			{name: "changed_by", sqlType: intNull},
			{name: "date_changed", sqlType: dateNull},
			{name: "is_hidden", sqlType: boolNN},
		}, retirable(), []columnDef{{name: "uuid", sqlType: uuidNN}}),
		primary:     "concept_map_type_id",
		keepDropped: "retired",
		uniques: []uniqueKey{
			{name: "name", column: "name"},
			{name: "uuid", column: "uuid"},
		},
		fks: []foreignKey{
			{name: "mapped_user_creator_concept_map_type", column: "creator", refTable: "users", refColumn: "user_id"},
			{name: "mapped_user_changed_concept_map_type", column: "changed_by", refTable: "users", refColumn: "user_id"},
			{name: "mapped_user_retired_concept_map_type", column: "retired_by", refTable: "users", refColumn: "user_id"},
		},
		insert: []string{"concept_map_type_id", "name", "description", "creator", "date_created", "is_hidden", "retired", "uuid"},
	},
	tSource: {
		name: "concept_reference_source",
		columns: cols([]columnDef{
			{name: "concept_source_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "name", sqlType: "varchar(50) NOT NULL DEFAULT ''"},
			{name: "description", sqlType: "text NOT NULL"},
			{name: "hl7_code", sqlType: "varchar(50) DEFAULT NULL"},
		}, retirable(), []columnDef{
			{name: "uuid", sqlType: uuidNN},
			{name: "unique_id", sqlType: "varchar(250) DEFAULT NULL", formats: only2},
			{name: "changed_by", sqlType: intNull, formats: only2},
			{name: "date_changed", sqlType: dateNull, formats: only2},
		}),
		primary:     "concept_source_id",
		keepDropped: "retired",
		uniques: []uniqueKey{
			{name: "concept_reference_source_uuid_index", column: "uuid"},
			{name: "concept_source_unique_hl7_codes", column: "hl7_code"},
			{name: "concept_reference_source_unique_id", column: "unique_id", formats: only2},
		},
		fks: []foreignKey{
			{name: "concept_source_creator", column: "creator", refTable: "users", refColumn: "user_id"},
			{name: "user_who_retired_concept_source", column: "retired_by", refTable: "users", refColumn: "user_id"},
			changedByFK("concept_reference_source"),
		},
		insert: []string{"concept_source_id", "name", "description", "hl7_code", "creator", "date_created", "retired", "uuid"},
	},
	tTerm: {
		name: "concept_reference_term",
		columns: cols([]columnDef{
			{name: "concept_reference_term_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "concept_source_id", sqlType: intNN},
			{name: "name", sqlType: "varchar(255) DEFAULT NULL"},
			{name: "code", sqlType: "varchar(255) NOT NULL"},
			{name: "version", sqlType: "varchar(255) DEFAULT NULL"},
			{name: "description", sqlType: "varchar(255) DEFAULT NULL"},
			{name: "changed_by", sqlType: intNull},
			{name: "date_changed", sqlType: dateNull},
		}, retirable(), []columnDef{{name: "uuid", sqlType: uuidNN}}),
		primary:     "concept_reference_term_id",
		keepDropped: "retired",
		uniques:     []uniqueKey{{name: "uuid", column: "uuid"}},
		indexes:     []indexDef{{"idx_code_concept_reference_term", "code"}},
		fks: []foreignKey{
			{name: "mapped_concept_source", column: "concept_source_id", refTable: "concept_reference_source", refColumn: "concept_source_id"},
			{name: "mapped_user_creator", column: "creator", refTable: "users", refColumn: "user_id"},
			{name: "mapped_user_changed", column: "changed_by", refTable: "users", refColumn: "user_id"},
			{name: "mapped_user_retired", column: "retired_by", refTable: "users", refColumn: "user_id"},
		},
		insert: []string{"concept_reference_term_id", "concept_source_id", "name", "code", "creator", "date_created", "retired", "uuid"},
	},
	tConcept: {
		name: "concept",
		columns: []columnDef{
			{name: "concept_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "retired", sqlType: boolNN},
			{name: "short_name", sqlType: "varchar(255) DEFAULT NULL"},
			{name: "description", sqlType: "text"},
			{name: "form_text", sqlType: "text"},
			{name: "datatype_id", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "class_id", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "is_set", sqlType: boolNN},
			{name: "creator", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "date_created", sqlType: dateNN},
			{name: "version", sqlType: "varchar(50) DEFAULT NULL"},
			{name: "changed_by", sqlType: intNull},
			{name: "date_changed", sqlType: dateNull},
			{name: "retired_by", sqlType: intNull},
			{name: "date_retired", sqlType: dateNull},
			{name: "retire_reason", sqlType: reasonNull},
			{name: "uuid", sqlType: uuidNN},
		},
		primary:     "concept_id",
		keepDropped: "retired",
		uniques:     []uniqueKey{{name: "concept_uuid_index", column: "uuid"}},
		fks: []foreignKey{
			{name: "concept_classes", column: "class_id", refTable: "concept_class", refColumn: "concept_class_id"},
			{name: "concept_datatypes", column: "datatype_id", refTable: "concept_datatype", refColumn: "concept_datatype_id"},
			{name: "concept_creator", column: "creator", refTable: "users", refColumn: "user_id"},
			{name: "user_who_changed_concept", column: "changed_by", refTable: "users", refColumn: "user_id"},
			{name: "user_who_retired_concept", column: "retired_by", refTable: "users", refColumn: "user_id"},
		},
		insert: []string{"concept_id", "retired", "datatype_id", "class_id", "is_set", "creator", "date_created", "retired_by", "date_retired", "retire_reason", "uuid"},
	},
	tName: {
		name: "concept_name",
		columns: []columnDef{
			{name: "concept_name_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "concept_id", sqlType: intNull},
			{name: "name", sqlType: "varchar(255) NOT NULL DEFAULT ''"},
			{name: "locale", sqlType: "varchar(50) NOT NULL DEFAULT ''"},
			{name: "locale_preferred", sqlType: "tinyint(1) DEFAULT '0'"},
			{name: "creator", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "date_created", sqlType: dateNN},
			{name: "concept_name_type", sqlType: "varchar(50) DEFAULT NULL"},
			{name: "voided", sqlType: boolNN},
			{name: "voided_by", sqlType: intNull},
			{name: "date_voided", sqlType: dateNull},
			{name: "void_reason", sqlType: reasonNull},
			{name: "uuid", sqlType: uuidNN},
			{name: "date_changed", sqlType: dateNull, formats: only2},
			{name: "changed_by", sqlType: intNull, formats: only2},
		},
		primary:     "concept_name_id",
		keepDropped: "voided",
		uniques:     []uniqueKey{{name: "concept_name_uuid_index", column: "uuid"}},
		indexes:     []indexDef{{"name_of_concept", "name"}},
		fks: []foreignKey{
			{name: "name_for_concept", column: "concept_id", refTable: "concept", refColumn: "concept_id"},
			{name: "user_who_created_name", column: "creator", refTable: "users", refColumn: "user_id"},
			{name: "user_who_voided_this_name", column: "voided_by", refTable: "users", refColumn: "user_id"},
			changedByFK("concept_name"),
		},
		insert: []string{"concept_name_id", "concept_id", "name", "locale", "locale_preferred", "creator", "date_created", "concept_name_type", "voided", "voided_by", "date_voided", "void_reason", "uuid"},
	},
	tDescription: {
		name: "concept_description",
		columns: []columnDef{
			{name: "concept_description_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "concept_id", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "description", sqlType: "text NOT NULL"},
			{name: "locale", sqlType: "varchar(50) NOT NULL DEFAULT ''"},
			{name: "creator", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "date_created", sqlType: dateNN},
			{name: "changed_by", sqlType: intNull},
			{name: "date_changed", sqlType: dateNull},
			{name: "uuid", sqlType: uuidNN},
		},
		primary: "concept_description_id",
		uniques: []uniqueKey{{name: "concept_description_uuid_index", column: "uuid"}},
		fks: []foreignKey{
			{name: "description_for_concept", column: "concept_id", refTable: "concept", refColumn: "concept_id"},
			{name: "user_who_created_description", column: "creator", refTable: "users", refColumn: "user_id"},
			{name: "user_who_changed_description", column: "changed_by", refTable: "users", refColumn: "user_id"},
		},
		insert: []string{"concept_description_id", "concept_id", "description", "locale", "creator", "date_created", "uuid"},
	},
	tNumeric: {
		name: "concept_numeric",
		columns: []columnDef{
			{name: "concept_id", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "hi_absolute", sqlType: doubleNull},
			{name: "hi_critical", sqlType: doubleNull},
			{name: "hi_normal", sqlType: doubleNull},
			{name: "low_absolute", sqlType: doubleNull},
			{name: "low_critical", sqlType: doubleNull},
			{name: "low_normal", sqlType: doubleNull},
			{name: "units", sqlType: "varchar(50) DEFAULT NULL"},
			{name: "allow_decimal", name111: "precise", sqlType: boolNN},
			{name: "display_precision", sqlType: intNull, formats: only2},
		},
		primary: "concept_id",
		fks: []foreignKey{
			{name: "numeric_attributes", column: "concept_id", refTable: "concept", refColumn: "concept_id"},
		},
		insert: []string{"concept_id", "hi_absolute", "hi_critical", "hi_normal", "low_absolute", "low_critical", "low_normal", "units", "allow_decimal", "display_precision"},
	},
	tComplex: {
		name: "concept_complex",
		columns: []columnDef{
			{name: "concept_id", sqlType: intNN},
			{name: "handler", sqlType: "varchar(255) DEFAULT NULL"},
		},
		primary: "concept_id",
		fks: []foreignKey{
			{name: "concept_attributes", column: "concept_id", refTable: "concept", refColumn: "concept_id"},
		},
		insert: []string{"concept_id", "handler"},
	},
	tAnswer: {
		name: "concept_answer",
		columns: []columnDef{
			{name: "concept_answer_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "concept_id", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "answer_concept", sqlType: intNull},
			{name: "answer_drug", sqlType: intNull},
			{name: "creator", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "date_created", sqlType: dateNN},
			{name: "sort_weight", sqlType: doubleNull},
			{name: "uuid", sqlType: uuidNN},
		},
		primary: "concept_answer_id",
		uniques: []uniqueKey{{name: "concept_answer_uuid_index", column: "uuid"}},
		fks: []foreignKey{
			{name: "answers_for_concept", column: "concept_id", refTable: "concept", refColumn: "concept_id"},
			{name: "answer", column: "answer_concept", refTable: "concept", refColumn: "concept_id"},
			{name: "answer_answer_drug_fk", column: "answer_drug", refTable: "drug", refColumn: "drug_id"},
			{name: "answer_creator", column: "creator", refTable: "users", refColumn: "user_id"},
		},
		insert: []string{"concept_answer_id", "concept_id", "answer_concept", "creator", "date_created", "sort_weight", "uuid"},
	},
	tSet: {
		name: "concept_set",
		columns: []columnDef{
			{name: "concept_set_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "concept_id", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "concept_set", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "sort_weight", sqlType: doubleNull},
			{name: "creator", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "date_created", sqlType: dateNN},
			{name: "uuid", sqlType: uuidNN},
		},
		primary: "concept_set_id",
		uniques: []uniqueKey{{name: "concept_set_uuid_index", column: "uuid"}},
		// OpenMRS indexes the member without a foreign key.
		indexes: []indexDef{{"idx_concept_set_concept", "concept_id"}},
		fks: []foreignKey{
			{name: "has_a", column: "concept_set", refTable: "concept", refColumn: "concept_id"},
			{name: "user_who_created", column: "creator", refTable: "users", refColumn: "user_id"},
		},
		insert: []string{"concept_set_id", "concept_id", "concept_set", "sort_weight", "creator", "date_created", "uuid"},
	},
	tRefMap: {
		name: "concept_reference_map",
		columns: []columnDef{
			{name: "concept_map_id", sqlType: "int(11) NOT NULL AUTO_INCREMENT"},
			{name: "concept_reference_term_id", sqlType: intNN},
			{name: "concept_map_type_id", sqlType: "int(11) NOT NULL DEFAULT '1'"},
			{name: "creator", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "date_created", sqlType: dateNN},
			{name: "concept_id", sqlType: "int(11) NOT NULL DEFAULT '0'"},
			{name: "changed_by", sqlType: intNull},
			{name: "date_changed", sqlType: dateNull},
			{name: "uuid", sqlType: uuidNN},
		},
		primary: "concept_map_id",
		uniques: []uniqueKey{{name: "concept_reference_map_uuid_id", column: "uuid"}},
		fks: []foreignKey{
			{name: "map_for_concept", column: "concept_id", refTable: "concept", refColumn: "concept_id"},
			{name: "mapped_concept_reference_term", column: "concept_reference_term_id", refTable: "concept_reference_term", refColumn: "concept_reference_term_id"},
			{name: "mapped_concept_map_type", column: "concept_map_type_id", refTable: "concept_map_type", refColumn: "concept_map_type_id"},
			{name: "map_creator", column: "creator", refTable: "users", refColumn: "user_id"},
			{name: "mapped_user_changed_ref_term", column: "changed_by", refTable: "users", refColumn: "user_id"},
		},
		insert: []string{"concept_map_id", "concept_reference_term_id", "concept_map_type_id", "creator", "date_created", "concept_id", "uuid"},
	},
}

// TableNames lists the concept tables the SQL recreates, in flush order.
func TableNames() []string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	return names
}

// stagePrefix names the side tables a load fills before the live tables are replaced.
const stagePrefix = "shepherd_stage_"

func (t *tableDef) stageName() string { return stagePrefix + t.name }

// tableOptions are those of an OpenMRS database: utf8 (utf8mb3), whose 3-byte characters
// keep a varchar(255) index within MySQL 5.6's 767-byte key limit.
const tableOptions = " ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci"

// liveDDL creates the live table when a database does not have it yet, with OpenMRS's
// columns, keys and foreign keys. A site's existing table is left as it is.
func (t *tableDef) liveDDL(f Format) string {
	parts := t.columnsAndKeys(f)
	for _, ix := range t.indexes {
		parts = append(parts, "KEY `"+ix.name+"` (`"+ix.column+"`)")
	}
	for _, fk := range t.fks {
		if fk.formats.has(f) {
			parts = append(parts, "KEY `"+fk.name+"` (`"+fk.column+"`)")
		}
	}
	for _, fk := range t.fks {
		if fk.formats.has(f) {
			parts = append(parts, "CONSTRAINT `"+fk.name+"` FOREIGN KEY (`"+fk.column+"`) REFERENCES `"+fk.refTable+"` (`"+fk.refColumn+"`)")
		}
	}
	return "CREATE TABLE IF NOT EXISTS `" + t.name + "` (" + strings.Join(parts, ", ") + ")" + tableOptions + ";\n"
}

// stageDDL recreates the side table: the same columns, primary and unique keys (so that a
// duplicate stops the load before the live table is touched), no foreign keys (their names
// are the live table's, and must be unique in a database).
func (t *tableDef) stageDDL(f Format) string {
	return "DROP TABLE IF EXISTS `" + t.stageName() + "`;\n" +
		"CREATE TABLE `" + t.stageName() + "` (" + strings.Join(t.columnsAndKeys(f), ", ") + ")" + tableOptions + ";\n"
}

func (t *tableDef) columnsAndKeys(f Format) []string {
	var parts []string
	for _, c := range t.columns {
		if c.formats.has(f) {
			parts = append(parts, "`"+c.nameIn(f)+"` "+c.sqlType)
		}
	}
	parts = append(parts, "PRIMARY KEY (`"+t.primary+"`)")
	for _, u := range t.uniques {
		if u.formats.has(f) {
			parts = append(parts, "UNIQUE KEY `"+u.name+"` (`"+u.column+"`)")
		}
	}
	return parts
}

// projection returns, for a format, the indexes of the emitted columns the format keeps
// and their names as a column list.
func (t *tableDef) projection(f Format) (keep []int, columns string) {
	byName := make(map[string]columnDef, len(t.columns))
	for _, c := range t.columns {
		byName[c.name] = c
	}
	var names []string
	for i, name := range t.insert {
		c, ok := byName[name]
		if !ok {
			panic("export: insert column " + name + " not declared in " + t.name)
		}
		if c.formats.has(f) {
			keep = append(keep, i)
			names = append(names, "`"+c.nameIn(f)+"`")
		}
	}
	return keep, "(" + strings.Join(names, ",") + ")"
}

package ocltest

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// The writers below follow oclapi2's serializers key for key, in the order of their
// Meta.fields. Values OCL computes from data the fake does not keep (checksums,
// database ids of versioned objects) are stable stand-ins of the right shape.

// served is the repository a content is served or exported as.
type served struct {
	org, source string
	shape       Shape
}

func (r *served) ownerSource(owner, source string) (string, string) {
	if owner == "" {
		owner = r.org
	}
	if source == "" {
		source = r.source
	}
	return owner, source
}

func sourceURL(owner, source string) string { return "/orgs/" + owner + "/sources/" + source + "/" }

const defaultUser = "ocladmin"

func userOr(u string) string {
	if u == "" {
		return defaultUser
	}
	return u
}

// checksum is an md5-shaped digest of parts, standing in for OCL's checksums
// (oclapi2 core/common/checksums.py hashes the fields that define a resource).
func checksum(parts ...string) string {
	h := md5.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var sum [md5.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

func appendChecksums(o *object, parts ...string) {
	standard := checksum(parts...)
	o.key("checksums")
	c := openObject(o.b, o.style)
	c.str("standard", standard)
	c.str("smart", checksum(append(parts, "smart")...))
	o.b = c.close()
}

// displayName is what OCL shows for a concept: the preferred active name in the
// default locale "en", else the first active preferred name, else the first name.
func displayName(c *ConceptRow) (name, locale string) {
	pick := -1
	for k := range c.Names {
		n := &c.Names[k]
		if n.Retired || !n.LocalePreferred {
			continue
		}
		if n.Locale == "en" {
			pick = k
			break
		}
		if pick < 0 {
			pick = k
		}
	}
	if pick < 0 && len(c.Names) > 0 {
		pick = 0
	}
	if pick < 0 {
		return "", ""
	}
	return c.Names[pick].Name, c.Names[pick].Locale
}

// localized is a name or a description: OCL keeps both in one kind of row.
type localized struct {
	uuid, text, externalID, kind, locale string
	preferred, retired                   bool
}

// appendLocalized writes a name (textKey "name", typeName "ConceptName", kindKey
// "name_type") as LocalizedNameSerializer does, or a description as
// LocalizedDescriptionSerializer does (oclapi2 core/concepts/serializers.py): "type" is
// the serializer's own name; "checksum" and (since 2026-05) "retired" come last.
func appendLocalized(b []byte, l localized, textKey, typeName, kindKey string, style *jsonStyle, era Era) []byte {
	o := openObject(b, style)
	o.str("uuid", l.uuid)
	o.str(textKey, l.text)
	o.strOrNull("external_id", l.externalID)
	o.str("type", typeName)
	o.str("locale", l.locale)
	o.boolean("locale_preferred", l.preferred)
	o.strOrNull(kindKey, l.kind)
	if era == Era2026 {
		o.str("checksum", checksum(l.text, l.locale, l.kind))
		o.boolean("retired", l.retired)
	}
	return o.close()
}

func appendName(b []byte, n *NameRow, style *jsonStyle, era Era) []byte {
	l := localized{n.UUID, n.Name, n.ExternalID, n.NameType, n.Locale, n.LocalePreferred, n.Retired}
	return appendLocalized(b, l, "name", "ConceptName", "name_type", style, era)
}

func appendDescription(b []byte, d *DescriptionRow, style *jsonStyle, era Era) []byte {
	l := localized{d.UUID, d.Description, d.ExternalID, d.DescriptionType, d.Locale, d.LocalePreferred, d.Retired}
	return appendLocalized(b, l, "description", "ConceptDescription", "description_type", style, era)
}

func appendExtras(o *object, e Extras, era Era) {
	o.key("extras")
	if e == nil && era == Era2026 {
		e = Extras{} // the column defaults to {} today; older rows kept null
	}
	o.b = e.appendJSON(o.b, o.style)
}

// appendExportConcept writes a concept of export.json as ConceptVersionExportSerializer
// does (oclapi2 core/concepts/serializers.py), or as the 2015 API did.
func appendExportConcept(b []byte, c *ConceptRow, r *served) []byte {
	era := r.shape.Era
	owner, source := r.ownerSource(c.Owner, c.Source)
	srcURL := sourceURL(owner, source)
	url := srcURL + "concepts/" + c.ID + "/"
	display, displayLocale := displayName(c)
	o := openObject(b, &exportStyle)
	o.str("type", "Concept")
	o.str("uuid", c.UUID)
	o.str("id", c.ID)
	o.strOrNull("external_id", c.ExternalID)
	o.str("concept_class", c.ConceptClass)
	o.str("datatype", c.Datatype)
	o.str("display_name", display)
	o.str("display_locale", displayLocale)
	o.list("names", len(c.Names), func(b []byte, k int) []byte { return appendName(b, &c.Names[k], &exportStyle, era) })
	o.list("descriptions", len(c.Descriptions), func(b []byte, k int) []byte {
		return appendDescription(b, &c.Descriptions[k], &exportStyle, era)
	})
	appendExtras(&o, c.Extras, era)
	o.boolean("retired", c.Retired)
	o.str("source", source)
	o.str("source_url", srcURL)
	o.str("owner", owner)
	o.str("owner_name", owner)
	o.str("owner_url", "/orgs/"+owner+"/")
	o.str("version", c.Version)
	if era == Era2015 {
		// The 2015 API named the row's dates after their columns.
		o.str("created_at", c.CreatedOn)
		o.str("updated_at", c.UpdatedOn)
	} else {
		o.str("created_on", c.CreatedOn)
		o.str("updated_on", c.UpdatedOn)
	}
	o.str("version_created_on", c.UpdatedOn)
	o.str("version_created_by", userOr(c.UpdatedBy))
	if era == Era2026 {
		o.null("update_comment")
	}
	o.boolean("is_latest_version", true)
	o.null("locale")
	o.str("url", url)
	if era == Era2015 {
		o.str("version_url", url+c.Version+"/")
		return o.close()
	}
	o.str("owner_type", "Organization")
	o.str("version_url", url+c.Version+"/")
	o.null("previous_version_url")
	o.emptyList("parent_concept_urls")
	o.emptyList("child_concept_urls")
	o.str("version_updated_on", c.UpdatedOn)
	o.str("version_updated_by", userOr(c.UpdatedBy))
	appendChecksums(&o, c.ID, c.ConceptClass, c.Datatype, c.Version, c.UpdatedOn)
	o.strOrNull("retire_reason", c.RetireReason)
	return o.close()
}

// appendMapping writes a mapping as MappingDetailSerializer does (oclapi2
// core/mappings/serializers.py), which both export.json (core/common/utils.py,
// write_export_file) and listings use; fromName is the display name of the concept
// the mapping starts from.
func appendMapping(b []byte, m *MappingRow, fromName string, r *served, style *jsonStyle, era Era) []byte {
	owner, source := r.ownerSource(m.Owner, m.Source)
	url := sourceURL(owner, source) + "mappings/" + m.ID + "/"
	o := openObject(b, style)
	if era == Era2026 {
		appendExtras(&o, m.Extras, era)
		appendChecksums(&o, m.ID, m.MapType, m.FromConceptCode, m.ToSourceName, m.ToConceptCode, m.Version)
	}
	o.strOrNull("external_id", m.ExternalID)
	o.boolean("retired", m.Retired)
	o.str("map_type", m.MapType)
	o.str("source", source)
	o.str("owner", owner)
	o.str("owner_type", "Organization")
	o.str("from_concept_code", m.FromConceptCode)
	o.null("from_concept_name")
	o.str("from_concept_url", m.FromConceptURL)
	o.str("to_concept_code", m.ToConceptCode)
	o.strOrNull("to_concept_name", m.ToConceptName)
	o.strOrNull("to_concept_url", m.ToConceptURL)
	o.str("from_source_owner", m.FromSourceOwner)
	o.str("from_source_owner_type", "Organization")
	o.str("from_source_url", m.FromSourceURL)
	o.str("from_source_name", m.FromSourceName)
	o.strOrNull("to_source_owner", m.ToSourceOwner)
	o.str("to_source_owner_type", "Organization")
	o.strOrNull("to_source_url", m.ToSourceURL)
	o.strOrNull("to_source_name", m.ToSourceName)
	o.str("url", url)
	o.str("version", m.Version)
	o.str("id", m.ID)
	o.str("versioned_object_id", m.UUID)
	o.str("versioned_object_url", url)
	o.boolean("is_latest_version", true)
	o.null("update_comment")
	o.str("version_url", url+m.Version+"/")
	if era == Era2015 {
		o.str("type", "Mapping")
		o.str("uuid", m.UUID)
		appendExtras(&o, m.Extras, era)
		o.str("created_at", m.CreatedOn)
		o.str("updated_at", m.UpdatedOn)
		o.str("created_by", userOr(m.CreatedBy))
		o.str("updated_by", userOr(m.UpdatedBy))
		return o.close()
	}
	o.str("uuid", m.UUID)
	o.str("version_created_on", m.UpdatedOn)
	o.null("from_source_version")
	o.null("to_source_version")
	o.strOrNull("from_concept_name_resolved", fromName)
	o.null("to_concept_name_resolved")
	o.str("type", "Mapping")
	if m.SortWeight != nil {
		o.number("sort_weight", *m.SortWeight)
	} else {
		o.null("sort_weight")
	}
	o.str("version_updated_on", m.UpdatedOn)
	o.str("version_updated_by", userOr(m.UpdatedBy))
	o.null("latest_source_version")
	o.str("created_on", m.CreatedOn)
	o.str("updated_on", m.UpdatedOn)
	o.str("created_by", userOr(m.CreatedBy))
	// MappingDetailSerializer writes updated_by from created_by.username.
	o.str("updated_by", userOr(m.CreatedBy))
	o.boolean("public_can_view", true)
	return o.close()
}

// appendListedConcept writes a concept of a listing: ConceptDetailSerializer with
// verbose=true, else ConceptListSerializer, which leaves out names, descriptions and
// (unless includeExtras) extras (oclapi2 core/concepts/serializers.py). maps, when
// not nil, fills "mappings" (includeMappings=true).
func appendListedConcept(b []byte, c *ConceptRow, maps []MappingRow, verbose bool, r *served) []byte {
	owner, source := r.ownerSource(c.Owner, c.Source)
	url := sourceURL(owner, source) + "concepts/" + c.ID + "/"
	display, displayLocale := displayName(c)
	o := openObject(b, &apiStyle)
	o.str("uuid", c.UUID)
	if maps != nil {
		o.list("mappings", len(maps), func(b []byte, k int) []byte {
			return appendMapping(b, &maps[k], display, r, &apiStyle, Era2026)
		})
	}
	if verbose {
		appendExtras(&o, c.Extras, Era2026)
	}
	appendChecksums(&o, c.ID, c.ConceptClass, c.Datatype, c.Version, c.UpdatedOn)
	o.str("id", c.ID)
	o.strOrNull("external_id", c.ExternalID)
	o.str("concept_class", c.ConceptClass)
	o.str("datatype", c.Datatype)
	o.str("url", url)
	o.boolean("retired", c.Retired)
	o.str("source", source)
	o.str("owner", owner)
	o.str("owner_type", "Organization")
	o.str("owner_url", "/orgs/"+owner+"/")
	o.str("display_name", display)
	o.str("display_locale", displayLocale)
	if verbose {
		o.list("names", len(c.Names), func(b []byte, k int) []byte { return appendName(b, &c.Names[k], &apiStyle, Era2026) })
		o.list("descriptions", len(c.Descriptions), func(b []byte, k int) []byte {
			return appendDescription(b, &c.Descriptions[k], &apiStyle, Era2026)
		})
		o.str("created_on", c.CreatedOn)
		o.str("updated_on", c.UpdatedOn)
		o.str("versions_url", url+"versions/")
		o.str("version", c.Version)
		o.str("type", "Concept")
		o.null("update_comment")
		o.str("version_url", url+c.Version+"/")
		o.str("updated_by", userOr(c.UpdatedBy))
		o.str("created_by", userOr(c.CreatedBy))
		o.boolean("public_can_view", true)
		o.str("versioned_object_id", c.UUID)
	} else {
		o.str("version", c.Version)
		o.null("update_comment")
		o.null("locale")
		o.str("version_created_by", userOr(c.UpdatedBy))
		o.str("version_created_on", c.UpdatedOn)
		o.boolean("is_latest_version", true)
		o.str("versions_url", url+"versions/")
		o.str("version_url", url+c.Version+"/")
		o.str("type", "Concept")
		o.str("versioned_object_id", c.UUID)
		o.str("version_updated_on", c.UpdatedOn)
		o.str("version_updated_by", userOr(c.UpdatedBy))
	}
	o.strOrNull("retire_reason", c.RetireReason)
	return o.close()
}

// appendReference writes the collection reference that brought concept c into a
// collection, as CollectionReferenceDetailSerializer does (oclapi2
// core/collections/serializers.py): the expression names the concept's own source.
func appendReference(b []byte, n int, c *ConceptRow, r *served) []byte {
	owner, source := r.ownerSource(c.Owner, c.Source)
	srcURL := sourceURL(owner, source)
	collURL := "/orgs/" + r.org + "/collections/" + r.shape.Collection + "/"
	id := strconv.Itoa(n + 1)
	o := openObject(b, &exportStyle)
	o.str("id", id)
	o.str("expression", srcURL+"concepts/"+c.ID+"/")
	o.str("reference_type", "concepts")
	o.null("cascade")
	o.null("transform")
	o.str("code", c.ID)
	o.null("resource_version")
	o.str("namespace", "/orgs/"+owner+"/")
	o.str("system", srcURL)
	o.null("version")
	o.null("valueset")
	o.null("filter")
	o.null("display")
	o.str("uri", collURL+"references/"+id+"/")
	o.boolean("include", true)
	o.str("created_on", c.CreatedOn)
	o.str("created_by", userOr(c.CreatedBy))
	return o.close()
}

// headerOf names the repository an export's version metadata describes.
func headerOf(version ocl.SourceVersion, shape Shape) served {
	r := served{org: version.Owner, source: version.Name, shape: shape}
	// The URL names them exactly: /orgs/{org}/sources/{source}/{version}/.
	parts := strings.Split(strings.Trim(version.URL, "/"), "/")
	if len(parts) >= 4 && parts[0] == "orgs" && parts[2] == "sources" {
		r.org, r.source = parts[1], parts[3]
	}
	return r
}

// appendExportHeader writes the version metadata that opens export.json, without its
// closing brace: SourceVersionExportSerializer (oclapi2 core/sources/serializers.py),
// CollectionVersionExportSerializer for a collection, or the 2015 source itself.
func appendExportHeader(b []byte, v ocl.SourceVersion, r *served) []byte {
	era, coll := r.shape.Era, r.shape.Collection
	repoURL := sourceURL(r.org, r.source)
	short, kind, versionKind := r.source, "Source", "Source Version"
	if coll != "" {
		repoURL = "/orgs/" + r.org + "/collections/" + coll + "/"
		short, kind, versionKind = coll, "Collection", "Collection Version"
	}
	name, fullName := v.Name, v.FullName
	if coll != "" || name == "" {
		name = short
	}
	if coll != "" || fullName == "" {
		fullName = name
	}
	locales := []string(v.SupportedLocales)
	defaultLocale := v.DefaultLocale
	if defaultLocale == "" && len(locales) > 0 {
		defaultLocale = locales[0]
	}
	o := openObject(b, &exportStyle)
	if era == Era2015 {
		// The 2015 export opened with the repository, not a version of it.
		o.str("type", kind)
		o.str("uuid", checksum(repoURL)[:24])
		o.str("id", short)
		o.str("short_code", short)
		o.str("name", name)
		o.str("full_name", fullName)
		o.strOrNull("description", v.Description)
		o.str(strings.ToLower(kind)+"_type", pick(coll == "", "Dictionary", "Subset"))
		o.str("public_access", "View")
		o.str("default_locale", defaultLocale)
		o.str("supported_locales", strings.Join(locales, ","))
		o.null("website")
		o.str("url", repoURL)
		o.str("owner", r.org)
		o.str("owner_type", "Organization")
		o.str("owner_url", "/orgs/"+r.org+"/")
		o.str("versions_url", repoURL+"versions/")
		o.str("concepts_url", repoURL+"concepts/")
		o.str("mappings_url", repoURL+"mappings/")
		o.str("created_at", v.CreatedOn)
		o.str("updated_at", v.CreatedOn)
		o.str("created_by", defaultUser)
		o.str("updated_by", defaultUser)
		o.null("extras")
		o.strOrNull("external_id", v.ExternalID)
		return o.b
	}
	o.str("type", versionKind)
	o.str("uuid", checksum(repoURL, v.ID)[:24])
	o.str("id", v.ID)
	o.str("short_code", short)
	o.str("name", name)
	o.str("full_name", fullName)
	o.strOrNull("description", v.Description)
	if coll == "" {
		o.str("source_type", "Dictionary")
	} else {
		o.str("collection_type", "Subset")
	}
	o.str("custom_validation_schema", "OpenMRS")
	o.str("public_access", "View")
	o.str("default_locale", defaultLocale)
	o.strings("supported_locales", locales)
	o.null("website")
	o.str("url", repoURL)
	o.str("owner", r.org)
	o.str("owner_type", "Organization")
	o.str("owner_url", "/orgs/"+r.org+"/")
	o.boolean("retired", v.Retired)
	o.str("version_url", repoURL+v.ID+"/")
	o.null("previous_version_url")
	o.str("created_on", v.CreatedOn)
	o.str("updated_on", v.CreatedOn)
	o.str("created_by", defaultUser)
	o.str("updated_by", defaultUser)
	appendExtras(&o, Extras(v.Extras), era)
	o.strOrNull("external_id", v.ExternalID)
	o.str("version", v.ID)
	o.str("concepts_url", repoURL+v.ID+"/concepts/")
	o.str("mappings_url", repoURL+v.ID+"/mappings/")
	o.boolean("is_processing", false)
	o.boolean("released", v.Released)
	for _, k := range []string{"canonical_url", "identifier", "publisher", "contact", "jurisdiction",
		"purpose", "copyright", "content_type", "revision_date", "text", "meta", "experimental",
		"case_sensitive", "collection_reference", "hierarchy_meaning", "compositional", "version_needed",
		"hierarchy_root_url"} {
		o.null(k)
	}
	appendChecksums(&o, repoURL, v.ID, v.CreatedOn)
	o.emptyList("properties")
	o.emptyList("filters")
	o.emptyList("match_algorithms")
	// The repository as it was when the version was made (JSONField(source='snapshot')).
	o.key(strings.ToLower(kind))
	s := openObject(o.b, &exportStyle)
	s.str("type", kind)
	s.str("id", short)
	s.str("short_code", short)
	s.str("name", name)
	s.str("url", repoURL)
	s.str("owner", r.org)
	s.str("owner_type", "Organization")
	o.b = s.close()
	return o.b
}

func pick[T any](cond bool, yes, no T) T {
	if cond {
		return yes
	}
	return no
}

package bench

import (
	"encoding/json"
	"fmt"
	"io"
)

// The floor decodes into these plain structs: the fields QA reads, no custom
// unmarshalling, no normalisation. Extras stay raw, as QA keeps them.
type (
	floorName struct {
		Name            string `json:"name"`
		Locale          string `json:"locale"`
		LocalePreferred bool   `json:"locale_preferred"`
		NameType        string `json:"name_type"`
		ExternalID      string `json:"external_id"`
	}
	floorDescription struct {
		Description string `json:"description"`
		Locale      string `json:"locale"`
	}
	floorConcept struct {
		ID           string                     `json:"id"`
		ExternalID   string                     `json:"external_id"`
		ConceptClass string                     `json:"concept_class"`
		Datatype     string                     `json:"datatype"`
		Retired      bool                       `json:"retired"`
		URL          string                     `json:"url"`
		Names        []floorName                `json:"names"`
		Descriptions []floorDescription         `json:"descriptions"`
		Extras       map[string]json.RawMessage `json:"extras"`
	}
	floorMapping struct {
		ID              string                     `json:"id"`
		ExternalID      string                     `json:"external_id"`
		Retired         bool                       `json:"retired"`
		MapType         string                     `json:"map_type"`
		FromConceptCode string                     `json:"from_concept_code"`
		ToConceptCode   string                     `json:"to_concept_code"`
		ToConceptURL    string                     `json:"to_concept_url"`
		ToSourceName    string                     `json:"to_source_name"`
		SortWeight      *float64                   `json:"sort_weight"`
		Extras          map[string]json.RawMessage `json:"extras"`
	}
)

// FloorCounts is what the floor decoded, so that its work is used and checkable.
type FloorCounts struct {
	Concepts, Names, Mappings int
}

// DecodeFloor stream-decodes an export.json document with encoding/json alone, on the
// caller's goroutine: Token over the top-level object, Decode for each concept and
// mapping into a fresh plain struct, anything else skipped as raw JSON. It is the
// least any streaming reader of the export must spend, and what QA and SQL export
// are measured against.
func DecodeFloor(r io.Reader) (FloorCounts, error) {
	var counts FloorCounts
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return counts, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return counts, err
		}
		switch key, _ := tok.(string); key {
		case "concepts":
			err = decodeArray(dec, func() error {
				var c floorConcept
				if err := dec.Decode(&c); err != nil {
					return err
				}
				counts.Concepts++
				counts.Names += len(c.Names)
				return nil
			})
		case "mappings":
			err = decodeArray(dec, func() error {
				var m floorMapping
				if err := dec.Decode(&m); err != nil {
					return err
				}
				counts.Mappings++
				return nil
			})
		default:
			var skipped json.RawMessage
			err = dec.Decode(&skipped)
		}
		if err != nil {
			return counts, fmt.Errorf("key %v: %w", tok, err)
		}
	}
	return counts, expectDelim(dec, '}')
}

func decodeArray(dec *json.Decoder, element func() error) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		if err := element(); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != want {
		return fmt.Errorf("expected %v at byte %d, found %v", want, dec.InputOffset(), tok)
	}
	return nil
}

package dataset_test

import (
	"fmt"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

func ExampleNew() {
	spec := dataset.Small
	spec.Inject = []dataset.Injection{{Rule: "FR-01", Index: 41}, {Rule: "FR-26", Index: -1}}
	d, err := dataset.New(spec)
	if err != nil {
		panic(err)
	}
	c, maps := d.Concept(41)
	fmt.Println(d.Len(), c.ID, maps[0].MapType, maps[0].ToConceptCode)
	for _, e := range d.Expected() {
		fmt.Printf("%s on concept %s, mapping %q, locale %q\n", e.Rule, e.ConceptID, e.MappingID, e.Locale)
	}
	// Output:
	// 2000 42 SAME-AS 42
	// FR-01 on concept 42, mapping "", locale "en"
	// FR-26 on concept 1201, mapping "76803", locale ""
}

package steps

import (
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
	"github.com/shepherd-release/shepherd/internal/qa"
)

// QAOptions turns the configuration's QA settings into the engine's options for a source.
func QAOptions(cfg manifest.QAConfig, org, source string) qa.Options {
	sev := make(map[string]qa.Severity, len(cfg.Severity))
	for rule, s := range cfg.Severity {
		sev[rule] = qa.Severity(s)
	}
	return qa.Options{
		Org: org, Source: source,
		Severity:    sev,
		Disabled:    cfg.Disabled,
		MaxFindings: cfg.MaxFindings,
	}
}

// ExportLimits turns the configuration's export_limits into the export reader's limits.
func ExportLimits(l manifest.ExportLimits) exportfile.Limits {
	return exportfile.Limits{
		MaxUncompressed: uint64(l.MaxJSONMiB) << 20,
		MaxRatio:        uint64(l.MaxRatio),
		RatioFloor:      exportfile.DefaultLimits.RatioFloor,
		MaxValue:        int64(l.MaxValueMiB) << 20,
	}
}

package steps

import (
	"github.com/shepherd-release/shepherd/internal/manifest"
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

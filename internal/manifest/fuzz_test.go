package manifest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var manifestSeeds = []string{
	"version: v2026-11-22\n",
	"version: v2026-11-22\ndescription: CIEL November release\nreleased: false\nsource:\n  org: CIEL\n  source: CIEL\n" +
		"exports: [openmrs-2]\nqa:\n  severity:\n    FR-19: info\n  disabled:\n    - FR-23\nnotes: |\n  New concepts.\n\n  More.\nissue: 42\n",
	"version: v2026-11-22\n\nrelased: true\n",
	"version: v2026-02-30\n",
	"version: v2026-11-22\ndescription: 12\nreleased: yes\nissue: \"7\"\nexports: openmrs-2\nnotes: [a]\n",
	"version: v2026-11-22\nissue: 99999999999999999999999\n",
	"version: v2026-11-22\nqa:\n  severity:\n    fr-1: fatal\n    FR-02: info\n  disabled: [FR-02, XR-05, XR-05, R1]\n",
	"version: v2026-11-22\n---\nversion: v2026-11-23\n",
	"version: v2026-11-22\nnotes: caf\xe9\n",
	"version: &v v2026-11-22\ndescription: *v\nnotes: !!str x\n",
	"\uFEFFversion: v2026-11-22\n",
	"version: v2026-11-22\nnotes: \"bell\\a \\U0001F600 \\x7f\"\n",
	"{version: v2026-11-22, exports: []}\n",
	"",
	"- a\n",
}

func FuzzParseManifest(f *testing.F) {
	for _, seed := range manifestSeeds {
		f.Add(testManifestFile, []byte(seed))
		f.Add("draft.yaml", []byte(seed))
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		m, err := ParseManifest(name, data)
		if err != nil {
			assert.Nil(t, m)
			requirePositioned(t, name, err)
			return
		}
		// Whatever was accepted is valid, and survives being written and read again.
		require.NoError(t, m.Validate(nil))
		written, err := Marshal(m)
		require.NoError(t, err)
		back, err := ParseManifest(name, written)
		require.NoError(t, err, "written:\n%s", written)
		require.Equal(t, plain(m), plain(back), "written:\n%s", written)
		_, err = m.Effective(nil)
		if err != nil {
			requirePositioned(t, name, err)
		}
	})
}

var configSeeds = []string{
	"{}\n",
	"ocl:\n  org: PIH\nstorage:\n  bucket: ciel-releases\n  endpoint: https://s3.example.org\n",
	"poll:\n  interval: ten minutes\n  max_attempts: -1\nretention: 36h\nstorage:\n  bucket: Foo\n  endpoint: http://x:9000\n" +
		"exports:\n  - format: script\n  - format: openmrs-2\n    command: [x]\n  - format: openmrs-3\nlabels:\n  done: release:failed\n",
	"exports:\n  - format: script\n    name: csv\n    command: [python3, x.py]\n    timeout: 1h\n    env:\n      A_B: c\n",
	"storage:\n  part_size: 8MB\n  link_mode: public\n  public_base_url: https://dl.example.org\n",
	"qa:\n  severity:\n    FR-19: info\n  disabled: [FR-23]\n  max_findings: 10\n",
	"retention: 1d12h\n",
	"github:\n  base_url: https://ghe.example.org/api/v3\n  environment: releases\n",
	"",
}

func FuzzParseConfig(f *testing.F) {
	for _, seed := range configSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(ConfigPath, data)
		if err != nil {
			assert.Nil(t, cfg)
			requirePositioned(t, ConfigPath, err)
			return
		}
		require.NoError(t, cfg.Validate())
		// Every manifest that is valid on its own fits a valid configuration or says why.
		m := DefaultManifest("v2026-11-22", cfg)
		if _, err := m.Effective(cfg); err != nil {
			t.Fatalf("the default manifest does not fit an accepted configuration: %v", err)
		}
	})
}

// requirePositioned checks that err lists problems of the named file, each with a
// line, a column and a message.
func requirePositioned(t *testing.T, file string, err error) {
	t.Helper()
	var list Errors
	require.True(t, errors.As(err, &list), "error %T is not an Errors: %v", err, err)
	require.NotEmpty(t, list)
	for _, e := range list {
		assert.Equal(t, file, e.File)
		assert.Positive(t, e.Line, e.Message)
		assert.Positive(t, e.Column, e.Message)
		assert.NotEmpty(t, e.Message)
	}
}

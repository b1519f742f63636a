package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestActionNeedsAKnownName(t *testing.T) {
	res := shepherd(t, nil, "action")
	assert.Equal(t, exitCannot, res.code)
	assert.Contains(t, res.stderr, "name one action: backport, command, create-version, freeze, janitor, poll-export, qa, site, start-release")

	res = shepherd(t, nil, "action", "deploy")
	assert.Equal(t, exitCannot, res.code)
	assert.Contains(t, res.stderr, `no action "deploy"`)
}

// Outside a workflow the action cannot tell its repository: it fails as an action
// (exit 1) with an error annotation saying so.
func TestActionOutsideAWorkflow(t *testing.T) {
	res := shepherd(t, map[string]string{}, "action", "janitor")
	assert.Equal(t, exitFindings, res.code)
	assert.Contains(t, res.stdout, "::error::GITHUB_REPOSITORY is \"\"")
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/steps"
)

func TestMaintenanceOnStatusOff(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"GITHUB_ACTOR": "alice"}
	r := shepherd(t, vars, "maintenance", "on", "--reason", "upgrading Shepherd", "--repo-dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "git add .github/shepherd/MAINTENANCE")
	m, err := steps.ReadMaintenance(dir)
	require.NoError(t, err)
	require.NotNil(t, m)
	assert.Equal(t, "alice", m.By)
	assert.Equal(t, "upgrading Shepherd", m.Reason)
	assert.False(t, m.Since.IsZero())

	r = shepherd(t, vars, "maintenance", "status", "--repo-dir", dir)
	assert.Contains(t, r.stdout, "maintenance is on: paused for maintenance since")
	assert.Contains(t, r.stdout, "by alice: upgrading Shepherd")

	r = shepherd(t, vars, "maintenance", "off", "--repo-dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	_, err = os.Stat(filepath.Join(dir, steps.MaintenanceFile))
	assert.ErrorIs(t, err, os.ErrNotExist)
	r = shepherd(t, vars, "maintenance", "off", "--repo-dir", dir)
	assert.Equal(t, exitOK, r.code, "switching off twice is harmless")
	assert.Contains(t, r.stdout, "already off")
}

func TestMaintenanceWithoutReasonStillHolds(t *testing.T) {
	dir := t.TempDir()
	r := shepherd(t, nil, "maintenance", "on", "--repo-dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "no reason given")
	m, err := steps.ReadMaintenance(dir)
	require.NoError(t, err)
	assert.Equal(t, "no reason given", m.Reason)
	assert.Equal(t, exitCannot, shepherd(t, nil, "maintenance", "sideways").code)
	assert.Equal(t, exitCannot, shepherd(t, nil, "maintenance").code)
}

func TestUnlockNeedsAVersion(t *testing.T) {
	r := shepherd(t, nil, "unlock")
	assert.Equal(t, exitCannot, r.code)
	assert.Contains(t, r.stderr, "--version is required")
}

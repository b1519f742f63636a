package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/store"
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

// unlock shows the lease object and whose it is: a live, fresh lease stays without
// --force, a dry run removes nothing, --force removes it, and a release without a lease
// object says so.
func TestUnlockShowsTheLeaseAndNeedsForceForALiveOne(t *testing.T) {
	ctx := context.Background()
	sb, err := sandbox.New(ctx, sandbox.Options{Dir: t.TempDir(), Head: dataset.Spec{Seed: 5, Concepts: 20}})
	require.NoError(t, err)
	defer sb.Close()
	work := t.TempDir()
	t.Chdir(work)
	config := filepath.Join(work, "shepherd.yaml")
	require.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf("ocl:\n  base_url: %s\ngithub:\n  base_url: %s\nstorage:\n  local_dir: %s\n",
		sb.OCL.URL(), sb.GitHub.URL(), filepath.Join(work, "store"))), 0o644))
	vars := map[string]string{"GITHUB_REPOSITORY": sandbox.Owner + "/" + sandbox.Repo, "GITHUB_TOKEN": sandbox.GitHubToken, "OCL_TOKEN": sandbox.OCLToken}
	unlock := func(args ...string) result {
		return shepherd(t, vars, append([]string{"unlock", "--version", "v2026-11-22", "--config", config}, args...)...)
	}

	st, err := store.NewLocal(filepath.Join(work, "store"))
	require.NoError(t, err)
	key, err := steps.LeaseKey("CIEL", "CIEL", "v2026-11-22")
	require.NoError(t, err)
	const run = "https://github.com/CIEL/ciel-releases/actions/runs/12"
	now := time.Now().UTC()
	data, err := json.Marshal(steps.Lease{Holder: steps.LeaseRetry, Run: run, Version: "v2026-11-22", Token: "t",
		Since: now.Add(-5 * time.Minute), Heartbeat: now.Add(-time.Minute), Until: now.Add(65 * time.Minute)})
	require.NoError(t, err)
	_, err = st.Create(ctx, key, data)
	require.NoError(t, err)
	stillThere := func() bool {
		_, _, err := st.ReadSmall(ctx, key)
		return err == nil
	}

	r := unlock()
	assert.Equal(t, exitFindings, r.code, r.stderr)
	assert.Contains(t, r.stdout, "release v2026-11-22: found lease "+key+", held by retry (run "+run+") since ")
	assert.Contains(t, r.stdout, "taken 5 min ago")
	assert.Contains(t, r.stdout, "it is live: its run may still be changing the release")
	assert.Contains(t, r.stderr, "--force removes it anyway")
	assert.True(t, stillThere())

	r = unlock("--force", "--dry-run")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "release v2026-11-22: dry run: would remove lease "+key+", held by retry")
	assert.True(t, stillThere(), "a dry run removes nothing")

	r = unlock("--force")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "release v2026-11-22: removed lease "+key+", held by retry (run "+run+")")
	assert.False(t, stillThere())

	r = unlock()
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "release v2026-11-22: no lease ("+key+" does not exist): no run holds the release; nothing to remove\n"+
		"  a run creates it when it starts changing the release, and it is removed once the release is finished (done, its files removed)\n", r.stdout)
}

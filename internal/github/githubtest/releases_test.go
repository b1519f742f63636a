package githubtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReleaseLifecycle(t *testing.T) {
	s, gh := newFake(t)
	head := s.SetFile(owner, name, "main", "releases/v2024-06-01.yaml", "v")

	_, _, err := gh.Repositories.GetReleaseByTag(ctx, owner, name, "v2024-06-01")
	errorResponse(t, err, http.StatusNotFound)

	created, resp, err := gh.Repositories.CreateRelease(ctx, owner, name, &github.RepositoryRelease{
		TagName: github.String("v2024-06-01"), Name: github.String("CIEL v2024-06-01"), Body: github.String("notes"),
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "main", created.GetTargetCommitish(), "the default branch by default")
	assert.NotNil(t, created.PublishedAt)
	assert.Contains(t, created.GetUploadURL(), "/api/uploads/")
	assert.Equal(t, head, s.Tags(owner, name)["v2024-06-01"], "publishing creates the tag at the target")

	_, _, err = gh.Repositories.CreateRelease(ctx, owner, name, &github.RepositoryRelease{TagName: github.String("v2024-06-01")})
	requireValidation(t, err, "Release", "tag_name", "already_exists")

	byTag, _, err := gh.Repositories.GetReleaseByTag(ctx, owner, name, "v2024-06-01")
	require.NoError(t, err)
	assert.Equal(t, created.GetID(), byTag.GetID())

	edited, _, err := gh.Repositories.EditRelease(ctx, owner, name, created.GetID(), &github.RepositoryRelease{Body: github.String("better notes")})
	require.NoError(t, err)
	assert.Equal(t, "better notes", edited.GetBody())
	assert.Equal(t, "CIEL v2024-06-01", edited.GetName(), "name kept when not sent")

	got, _, err := gh.Repositories.GetRelease(ctx, owner, name, created.GetID())
	require.NoError(t, err)
	assert.Equal(t, "better notes", got.GetBody())

	latest, _, err := gh.Repositories.GetLatestRelease(ctx, owner, name)
	require.NoError(t, err)
	assert.Equal(t, created.GetID(), latest.GetID())

	_, _, err = gh.Repositories.EditRelease(ctx, owner, name, created.GetID(), &github.RepositoryRelease{Body: github.String(strings.Repeat("x", 125001))})
	requireValidation(t, err, "Release", "body", "custom")
}

func TestDraftReleases(t *testing.T) {
	s, gh := newFake(t)
	draft, _, err := gh.Repositories.CreateRelease(ctx, owner, name, &github.RepositoryRelease{
		TagName: github.String("v1"), Draft: github.Bool(true),
	})
	require.NoError(t, err)
	assert.Nil(t, draft.PublishedAt)
	assert.Empty(t, s.Tags(owner, name), "a draft has no tag yet")

	_, _, err = gh.Repositories.GetReleaseByTag(ctx, owner, name, "v1")
	errorResponse(t, err, http.StatusNotFound)

	published, _, err := gh.Repositories.EditRelease(ctx, owner, name, draft.GetID(), &github.RepositoryRelease{Draft: github.Bool(false)})
	require.NoError(t, err)
	assert.NotNil(t, published.PublishedAt)
	assert.Contains(t, s.Tags(owner, name), "v1")
}

func TestReleaseOnAnExistingTagAndBadTarget(t *testing.T) {
	s, gh := newFake(t)
	old := s.BranchSHA(owner, name, "main")
	_, _, err := gh.Git.CreateRef(ctx, owner, name, &github.Reference{Ref: github.String("refs/tags/v1"), Object: &github.GitObject{SHA: github.String(old)}})
	require.NoError(t, err)
	s.SetFile(owner, name, "main", "a", "a")

	_, _, err = gh.Repositories.CreateRelease(ctx, owner, name, &github.RepositoryRelease{TagName: github.String("v1")})
	require.NoError(t, err)
	assert.Equal(t, old, s.Tags(owner, name)["v1"], "an existing tag is not moved")

	_, _, err = gh.Repositories.CreateRelease(ctx, owner, name, &github.RepositoryRelease{TagName: github.String("v2"), TargetCommitish: github.String("nope")})
	requireValidation(t, err, "Release", "target_commitish", "invalid")

	_, _, err = gh.Repositories.CreateRelease(ctx, owner, name, &github.RepositoryRelease{})
	requireValidation(t, err, "Release", "tag_name", "missing_field")
}

func TestListReleasesNewestFirstWithPages(t *testing.T) {
	s, gh := newFake(t)
	for _, tag := range []string{"v1", "v2", "v3"} {
		_, _, err := gh.Repositories.CreateRelease(ctx, owner, name, &github.RepositoryRelease{TagName: github.String(tag)})
		require.NoError(t, err)
	}
	first, resp, err := gh.Repositories.ListReleases(ctx, owner, name, &github.ListOptions{PerPage: 2})
	require.NoError(t, err)
	require.Len(t, first, 2)
	assert.Equal(t, "v3", first[0].GetTagName())
	require.Equal(t, 2, resp.NextPage)
	second, resp, err := gh.Repositories.ListReleases(ctx, owner, name, &github.ListOptions{PerPage: 2, Page: resp.NextPage})
	require.NoError(t, err)
	require.Len(t, second, 1)
	assert.Equal(t, "v1", second[0].GetTagName())
	assert.Zero(t, resp.NextPage)
	assert.Len(t, s.Releases(owner, name), 3)

	_, err = gh.Repositories.DeleteRelease(ctx, owner, name, second[0].GetID())
	require.NoError(t, err)
	assert.Len(t, s.Releases(owner, name), 2)
}

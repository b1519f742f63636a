package githubtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetContents(t *testing.T) {
	s, gh := newFake(t)
	long := strings.Repeat("concept,mapping\n", 20) // wraps over several base64 lines
	s.SetFile(owner, name, "main", "releases/v2024-06-01.yaml", long)
	s.SetFile(owner, name, "main", "releases/old/v2023.yaml", "old")
	s.SetFile(owner, name, "feature", "releases/draft.yaml", "draft")

	file, dir, resp, err := gh.Repositories.GetContents(ctx, owner, name, "releases/v2024-06-01.yaml", nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	require.Nil(t, dir)
	assert.Equal(t, "base64", file.GetEncoding())
	assert.Contains(t, *file.Content, "\n", "GitHub wraps base64 content")
	content, err := file.GetContent()
	require.NoError(t, err)
	assert.Equal(t, long, content)
	assert.Len(t, file.GetSHA(), 40)
	assert.Equal(t, "v2024-06-01.yaml", file.GetName())

	_, dir, _, err = gh.Repositories.GetContents(ctx, owner, name, "releases", nil)
	require.NoError(t, err)
	var entries []string
	for _, e := range dir {
		entries = append(entries, e.GetType()+":"+e.GetPath())
	}
	assert.Equal(t, []string{"dir:releases/old", "file:releases/v2024-06-01.yaml"}, entries)

	_, _, _, err = gh.Repositories.GetContents(ctx, owner, name, "releases/draft.yaml", nil)
	errorResponse(t, err, http.StatusNotFound)
	file, _, _, err = gh.Repositories.GetContents(ctx, owner, name, "releases/draft.yaml", &github.RepositoryContentGetOptions{Ref: "feature"})
	require.NoError(t, err)
	content, err = file.GetContent()
	require.NoError(t, err)
	assert.Equal(t, "draft", content)

	_, _, _, err = gh.Repositories.GetContents(ctx, owner, name, "x", &github.RepositoryContentGetOptions{Ref: "nope"})
	errorResponse(t, err, http.StatusNotFound)
}

func TestCreateAndUpdateFile(t *testing.T) {
	s, gh := newFake(t)
	s.SetFile(owner, name, "release", "keep.txt", "")

	created, resp, err := gh.Repositories.CreateFile(ctx, owner, name, "releases/v1.yaml", &github.RepositoryContentFileOptions{
		Message: github.String("Add v1"), Content: []byte("one"), Branch: github.String("release"),
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, s.BranchSHA(owner, name, "release"), created.Commit.GetSHA(), "the branch moved to the new commit")
	got, ok := s.File(owner, name, "release", "releases/v1.yaml")
	require.True(t, ok)
	assert.Equal(t, "one", got)
	_, onMain := s.File(owner, name, "main", "releases/v1.yaml")
	assert.False(t, onMain)

	_, _, err = gh.Repositories.UpdateFile(ctx, owner, name, "releases/v1.yaml", &github.RepositoryContentFileOptions{
		Message: github.String("Edit v1"), Content: []byte("two"), Branch: github.String("release"),
	})
	er := errorResponse(t, err, http.StatusUnprocessableEntity)
	assert.Contains(t, er.Message, `"sha" wasn't supplied`)

	_, _, err = gh.Repositories.UpdateFile(ctx, owner, name, "releases/v1.yaml", &github.RepositoryContentFileOptions{
		Message: github.String("Edit v1"), Content: []byte("two"), Branch: github.String("release"), SHA: github.String(strings.Repeat("0", 40)),
	})
	er = errorResponse(t, err, http.StatusConflict)
	assert.Contains(t, er.Message, "does not match")

	updated, resp, err := gh.Repositories.UpdateFile(ctx, owner, name, "releases/v1.yaml", &github.RepositoryContentFileOptions{
		Message: github.String("Edit v1"), Content: []byte("two"), Branch: github.String("release"), SHA: created.Content.SHA,
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEqual(t, created.Content.GetSHA(), updated.Content.GetSHA())
	got, _ = s.File(owner, name, "release", "releases/v1.yaml")
	assert.Equal(t, "two", got)

	_, _, err = gh.Repositories.CreateFile(ctx, owner, name, "x", &github.RepositoryContentFileOptions{
		Message: github.String("m"), Content: []byte("x"), Branch: github.String("missing"),
	})
	errorResponse(t, err, http.StatusNotFound)
}

func TestDeleteFile(t *testing.T) {
	s, gh := newFake(t)
	s.SetFile(owner, name, "main", "a.txt", "a")
	file, _, _, err := gh.Repositories.GetContents(ctx, owner, name, "a.txt", nil)
	require.NoError(t, err)

	_, _, err = gh.Repositories.DeleteFile(ctx, owner, name, "a.txt", &github.RepositoryContentFileOptions{
		Message: github.String("rm"), SHA: github.String("stale"),
	})
	errorResponse(t, err, http.StatusConflict)

	res, _, err := gh.Repositories.DeleteFile(ctx, owner, name, "a.txt", &github.RepositoryContentFileOptions{
		Message: github.String("rm"), SHA: file.SHA,
	})
	require.NoError(t, err)
	assert.Equal(t, s.BranchSHA(owner, name, "main"), res.Commit.GetSHA())
	_, exists := s.File(owner, name, "main", "a.txt")
	assert.False(t, exists)

	_, _, err = gh.Repositories.DeleteFile(ctx, owner, name, "a.txt", &github.RepositoryContentFileOptions{
		Message: github.String("rm"), SHA: file.SHA,
	})
	errorResponse(t, err, http.StatusNotFound)
}

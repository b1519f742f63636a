package githubtest_test

import (
	"net/http"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefs(t *testing.T) {
	s, gh := newFake(t)
	root := s.BranchSHA(owner, name, "main")
	next := s.SetFile(owner, name, "main", "releases/v2024-06-01.yaml", "version: v2024-06-01\n")

	main, _, err := gh.Git.GetRef(ctx, owner, name, "refs/heads/main")
	require.NoError(t, err)
	assert.Equal(t, "refs/heads/main", main.GetRef())
	assert.Equal(t, next, main.GetObject().GetSHA())
	assert.Equal(t, "commit", main.GetObject().GetType())

	tag, resp, err := gh.Git.CreateRef(ctx, owner, name, &github.Reference{
		Ref: github.String("refs/tags/v2024-06-01"), Object: &github.GitObject{SHA: github.String(next)},
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "refs/tags/v2024-06-01", tag.GetRef())
	assert.Equal(t, map[string]string{"v2024-06-01": next}, s.Tags(owner, name))

	_, _, err = gh.Git.CreateRef(ctx, owner, name, &github.Reference{
		Ref: github.String("refs/tags/v2024-06-01"), Object: &github.GitObject{SHA: github.String(next)},
	})
	er := errorResponse(t, err, http.StatusUnprocessableEntity)
	assert.Equal(t, "Reference already exists", er.Message)

	_, _, err = gh.Git.CreateRef(ctx, owner, name, &github.Reference{
		Ref: github.String("refs/heads/feature"), Object: &github.GitObject{SHA: github.String("deadbeef")},
	})
	er = errorResponse(t, err, http.StatusUnprocessableEntity)
	assert.Equal(t, "Object does not exist", er.Message)

	_, _, err = gh.Git.CreateRef(ctx, owner, name, &github.Reference{
		Ref: github.String("feature"), Object: &github.GitObject{SHA: github.String(next)},
	})
	er = errorResponse(t, err, http.StatusUnprocessableEntity)
	assert.Equal(t, "Reference name is invalid", er.Message)

	_, _, err = gh.Git.UpdateRef(ctx, owner, name, &github.Reference{
		Ref: github.String("heads/main"), Object: &github.GitObject{SHA: github.String(root)},
	}, false)
	er = errorResponse(t, err, http.StatusUnprocessableEntity)
	assert.Equal(t, "Update is not a fast forward", er.Message)

	moved, _, err := gh.Git.UpdateRef(ctx, owner, name, &github.Reference{
		Ref: github.String("heads/main"), Object: &github.GitObject{SHA: github.String(root)},
	}, true)
	require.NoError(t, err)
	assert.Equal(t, root, moved.GetObject().GetSHA())
	assert.Equal(t, root, s.BranchSHA(owner, name, "main"))

	matching, _, err := gh.Git.ListMatchingRefs(ctx, owner, name, &github.ReferenceListOptions{Ref: "tags/v2024"})
	require.NoError(t, err)
	require.Len(t, matching, 1)
	assert.Equal(t, "refs/tags/v2024-06-01", matching[0].GetRef())

	tags, _, err := gh.Repositories.ListTags(ctx, owner, name, nil)
	require.NoError(t, err)
	require.Len(t, tags, 1)
	assert.Equal(t, next, tags[0].GetCommit().GetSHA())

	_, err = gh.Git.DeleteRef(ctx, owner, name, "tags/v2024-06-01")
	require.NoError(t, err)
	_, _, err = gh.Git.GetRef(ctx, owner, name, "tags/v2024-06-01")
	errorResponse(t, err, http.StatusNotFound)
	_, err = gh.Git.DeleteRef(ctx, owner, name, "tags/v2024-06-01")
	errorResponse(t, err, http.StatusUnprocessableEntity)
}

func TestGetCommit(t *testing.T) {
	s, gh := newFake(t)
	root := s.BranchSHA(owner, name, "main")
	next := s.SetFile(owner, name, "main", "a.txt", "a")

	c, _, err := gh.Git.GetCommit(ctx, owner, name, next)
	require.NoError(t, err)
	assert.Equal(t, next, c.GetSHA())
	require.Len(t, c.Parents, 1)
	assert.Equal(t, root, c.Parents[0].GetSHA())

	_, _, err = gh.Git.GetCommit(ctx, owner, name, "feedface")
	errorResponse(t, err, http.StatusNotFound)
}

func TestRefsListingAndMissingRefUpdate(t *testing.T) {
	s, gh := newFake(t)
	head := s.SetFile(owner, name, "feature", "a", "a")
	assert.Equal(t, map[string]string{
		"refs/heads/main":    s.BranchSHA(owner, name, "main"),
		"refs/heads/feature": head,
	}, s.Refs(owner, name))

	_, _, err := gh.Git.UpdateRef(ctx, owner, name, &github.Reference{
		Ref: github.String("heads/missing"), Object: &github.GitObject{SHA: github.String(head)},
	}, false)
	er := errorResponse(t, err, http.StatusUnprocessableEntity)
	assert.Equal(t, "Reference does not exist", er.Message)
}

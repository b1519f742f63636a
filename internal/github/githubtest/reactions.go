package githubtest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// reaction is one person's or App's reaction to a comment.
type reaction struct {
	id      int64
	user    string
	content string
	created time.Time
}

// reactionContents are the reactions GitHub accepts.
// https://docs.github.com/rest/reactions/reactions#about-reactions
var reactionContents = []string{"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}

func (s *Server) registerReactionRoutes() {
	s.handle("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", (*call).createCommentReaction)
}

// Reactions lists the reactions to a comment as "login:content", oldest first.
func (s *Server) Reactions(owner, repo string, commentID int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, cm := range s.mustRepo(owner, repo).comments {
		if cm.id == commentID {
			for _, r := range cm.reactions {
				out = append(out, r.user+":"+r.content)
			}
		}
	}
	return out
}

func (c *call) reactionJSON(r *reaction) object {
	return object{"id": r.id, "node_id": nodeID("REA", r.id), "user": c.s.userJSON(r.user),
		"content": r.content, "created_at": ts(r.created)}
}

// createCommentReaction answers 201 with a new reaction, or 200 with the one the caller
// already gave with the same content: GitHub keeps one reaction of each kind per user.
// https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment
func (c *call) createCommentReaction() {
	_, cm := c.comment()
	if cm == nil {
		return
	}
	var req struct {
		Content *string `json:"content"`
	}
	if !c.decode(&req) {
		return
	}
	if req.Content == nil || !slices.Contains(reactionContents, *req.Content) {
		c.invalid(fieldError{Resource: "Reaction", Field: "content", Code: "invalid"})
		return
	}
	for _, r := range cm.reactions {
		if strings.EqualFold(r.user, c.login) && r.content == *req.Content {
			c.json(http.StatusOK, c.reactionJSON(r))
			return
		}
	}
	r := &reaction{id: c.s.newID(), user: c.login, content: *req.Content, created: c.now}
	cm.reactions = append(cm.reactions, r)
	// A reaction has no API URL of its own, and GitHub documents no Location for it.
	c.json(http.StatusCreated, c.reactionJSON(r))
}

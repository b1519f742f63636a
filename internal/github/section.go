// Package github is the bot's voice on GitHub: the tracking issue and its living status
// section, milestone comments, labels, commit statuses, the PR preview comment, tags and
// releases. It stores the release record as hidden JSON inside the section it owns and
// never touches text people wrote outside it.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Markers delimit what the bot owns in a body. They are HTML comments, invisible on GitHub.
const (
	sectionStart = "<!-- shepherd:status:start -->"
	sectionEnd   = "<!-- shepherd:status:end -->"
	statePrefix  = "<!-- shepherd:state "
	stateSuffix  = " -->"
)

// StateSchema is the version of the hidden JSON format; a reader refuses newer ones so
// an old binary never overwrites state it does not understand.
const StateSchema = 1

type stateEnvelope struct {
	Schema int             `json:"schema"`
	State  json.RawMessage `json:"state"`
}

// RenderSection wraps the visible status text and the hidden state into the bot's section.
func RenderSection(visible string, state any) (string, error) {
	raw, err := json.Marshal(state)
	if err != nil {
		return "", fmt.Errorf("encode release state: %w", err)
	}
	env, err := json.Marshal(stateEnvelope{Schema: StateSchema, State: raw})
	if err != nil {
		return "", err
	}
	// "--" cannot appear inside an HTML comment; JSON never needs it unescaped.
	hidden := strings.ReplaceAll(string(env), "--", `-\u002d`)
	var b strings.Builder
	b.WriteString(sectionStart)
	b.WriteString("\n")
	// Visible text quoting our own markers would confuse the next read: defuse them.
	b.WriteString(strings.ReplaceAll(strings.TrimSpace(visible), "<!-- shepherd:", "<!-- shepherd "))
	b.WriteString("\n")
	b.WriteString(statePrefix)
	b.WriteString(hidden)
	b.WriteString(stateSuffix)
	b.WriteString("\n")
	b.WriteString(sectionEnd)
	return b.String(), nil
}

// ReplaceSection puts section into body in place of the bot's previous section, keeping
// everything else byte for byte. A body without a section gets it appended.
func ReplaceSection(body, section string) string {
	start := strings.Index(body, sectionStart)
	if start < 0 {
		if strings.TrimSpace(body) == "" {
			return section
		}
		return strings.TrimRight(body, "\n") + "\n\n" + section
	}
	end := strings.Index(body[start:], sectionEnd)
	if end < 0 {
		// A damaged section (someone deleted the end marker): replace to the end of the
		// start marker's paragraph is guesswork, so take everything after the start marker.
		return body[:start] + section
	}
	end += start + len(sectionEnd)
	return body[:start] + section + body[end:]
}

// ErrNoState means the body holds no section written by the bot.
var ErrNoState = fmt.Errorf("no shepherd state in the body")

// ReadState decodes the hidden state of the bot's section into v.
func ReadState(body string, v any) error {
	start := strings.Index(body, sectionStart)
	if start < 0 {
		return ErrNoState
	}
	rest := body[start:]
	if end := strings.Index(rest, sectionEnd); end >= 0 {
		rest = rest[:end]
	}
	i := strings.Index(rest, statePrefix)
	if i < 0 {
		return ErrNoState
	}
	rest = rest[i+len(statePrefix):]
	j := strings.Index(rest, stateSuffix)
	if j < 0 {
		return fmt.Errorf("shepherd state is not terminated")
	}
	var env stateEnvelope
	if err := json.Unmarshal([]byte(rest[:j]), &env); err != nil {
		return fmt.Errorf("shepherd state is not valid JSON: %w", err)
	}
	if env.Schema > StateSchema {
		return fmt.Errorf("shepherd state has schema %d; this version of shepherd reads up to %d: upgrade it", env.Schema, StateSchema)
	}
	if err := json.Unmarshal(env.State, v); err != nil {
		return fmt.Errorf("shepherd state does not fit: %w", err)
	}
	return nil
}

// Marker is a hidden tag that identifies what the bot wrote: a tracking issue, a
// milestone comment, the PR preview comment.
func Marker(kind, id string) string {
	return "<!-- shepherd:" + kind + " " + id + " -->"
}

// MaxBodyChars is GitHub's limit for an issue body or a comment, in characters.
const MaxBodyChars = 65536

// StateText is the hidden state of the bot's section in text, exactly as written ("" when
// there is none): what a run compares to tell whether another run saved meanwhile.
func StateText(text string) string {
	start := strings.Index(text, sectionStart)
	if start < 0 {
		return ""
	}
	rest := text[start:]
	if end := strings.Index(rest, sectionEnd); end >= 0 {
		rest = rest[:end]
	}
	i := strings.Index(rest, statePrefix)
	if i < 0 {
		return ""
	}
	rest = rest[i+len(statePrefix):]
	if j := strings.Index(rest, stateSuffix); j >= 0 {
		return rest[:j]
	}
	return rest
}

// ErrConflict means another run saved the release since this run read it: this run's
// picture is out of date, and writing it would undo the other's work.
var ErrConflict = errors.New("another run changed the release meanwhile")

// SaveSection writes the bot's section where the issue keeps it: the body of an issue the
// bot opened, or its status comment on an issue a person opened. The text is read again
// just before writing, so whatever a person wrote outside the section since this run
// read it is kept. If the hidden state there is no longer the one i holds (what this run
// read or last wrote), another run has moved the release: ErrConflict, nothing written.
// When the text would pass GitHub's 65,536-character limit, compact (a shorter rendering
// of the same state) is written instead. It reports whether it wrote.
func (c *Client) SaveSection(ctx context.Context, i *Issue, section, compact string) (bool, error) {
	loaded := StateText(i.StatusText())
	if i.Status != nil {
		cm, err := c.getComment(ctx, i.Status.ID)
		if err != nil {
			return false, err
		}
		if StateText(cm.Body) != loaded {
			return false, fmt.Errorf("issue #%d: %w", i.Number, ErrConflict)
		}
		marker := "\n\n" + statusMarker(i.Version)
		text, err := fitSection(i.Number, "", section+marker, compact+marker)
		if err != nil || text == cm.Body {
			i.Status.Body = cm.Body
			return false, err
		}
		if err := c.editComment(ctx, cm.ID, text); err != nil {
			return false, err
		}
		i.Status.Body = text
		return true, nil
	}
	fresh, err := c.GetIssue(ctx, i.Number)
	if err != nil {
		return false, err
	}
	i.Labels, i.State, i.Title = fresh.Labels, fresh.State, fresh.Title
	if StateText(fresh.Body) != loaded {
		return false, fmt.Errorf("issue #%d: %w", i.Number, ErrConflict)
	}
	base := fresh.Body
	if i.Version != "" && markerVersion(base, "release") == "" {
		// Someone deleted the marker the bot finds its issue by: put it back.
		base = releaseMarker(i.Version) + "\n\n" + base
	}
	body, err := fitSection(i.Number, base, section, compact)
	if err != nil || body == fresh.Body {
		i.Body = fresh.Body
		return false, err
	}
	if err := c.EditIssueBody(ctx, i.Number, body); err != nil {
		return false, err
	}
	i.Body = body
	return true, nil
}

// CheckUnchanged answers ErrConflict when the release's hidden state on GitHub is no
// longer the one this run last read or wrote on i: asked before a side effect that a
// later save could not take back (a milestone comment).
func (c *Client) CheckUnchanged(ctx context.Context, i *Issue) error {
	var now string
	if i.Status != nil {
		cm, err := c.getComment(ctx, i.Status.ID)
		if err != nil {
			return err
		}
		now = cm.Body
	} else {
		fresh, err := c.GetIssue(ctx, i.Number)
		if err != nil {
			return err
		}
		now = fresh.Body
	}
	if StateText(now) != StateText(i.StatusText()) {
		return fmt.Errorf("issue #%d: %w", i.Number, ErrConflict)
	}
	return nil
}

// fitSection puts section into body, or compact when section would not fit GitHub's limit.
func fitSection(number int, body, section, compact string) (string, error) {
	for _, s := range []string{section, compact} {
		out := ReplaceSection(body, s)
		if utf8.RuneCountInString(out) <= MaxBodyChars {
			return out, nil
		}
	}
	n := utf8.RuneCountInString(ReplaceSection(body, compact))
	return "", fmt.Errorf("issue #%d: the status would make the text %d characters long, over GitHub's %d; shorten what people wrote outside Shepherd's section",
		number, n, MaxBodyChars)
}

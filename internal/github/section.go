// Package github is the bot's voice on GitHub: the tracking issue and its living status
// section, milestone comments, labels, commit statuses, the PR preview comment, tags and
// releases. It stores the release record as hidden JSON inside the section it owns and
// never touches text people wrote outside it.
package github

import (
	"encoding/json"
	"fmt"
	"strings"
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

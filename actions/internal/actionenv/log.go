package actionenv

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"

	githubactions "github.com/sethvargo/go-githubactions"
)

// Handler writes slog records through the action's logger: debug lines as debug
// messages (shown when step debugging is on), warnings and errors as annotations,
// everything else as plain log lines. Attributes follow the message as key=value.
type Handler struct {
	action *githubactions.Action
	level  slog.Leveler
	// attrs formats the attributes into buf; shared by the handlers derived from one.
	attrs slog.Handler
	buf   *bytes.Buffer
	mu    *sync.Mutex
}

// NewHandler logs through a at level and above.
func NewHandler(a *githubactions.Action, level slog.Leveler) *Handler {
	buf := &bytes.Buffer{}
	dropHeader := func(groups []string, at slog.Attr) slog.Attr {
		if len(groups) == 0 && (at.Key == slog.TimeKey || at.Key == slog.LevelKey || at.Key == slog.MessageKey) {
			return slog.Attr{}
		}
		return at
	}
	return &Handler{
		action: a, level: level, buf: buf, mu: &sync.Mutex{},
		attrs: slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: dropHeader}),
	}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.Reset()
	if err := h.attrs.Handle(ctx, r); err != nil {
		return err
	}
	line := r.Message
	if attrs := strings.TrimSpace(h.buf.String()); attrs != "" {
		line += "  " + attrs
	}
	switch {
	case r.Level >= slog.LevelError:
		h.action.Errorf("%s", line)
	case r.Level >= slog.LevelWarn:
		h.action.Warningf("%s", line)
	case r.Level >= slog.LevelInfo:
		h.action.Infof("%s", line)
	default:
		h.action.Debugf("%s", line)
	}
	return nil
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = h.attrs.WithAttrs(as)
	return &c
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	c := *h
	c.attrs = h.attrs.WithGroup(name)
	return &c
}

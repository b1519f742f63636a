package sshsig

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Signer is one line of an allowed_signers file: who may sign, with which key, in which
// namespaces and when.
type Signer struct {
	// Principals are the names (or patterns) the line gives the key, like releases@ciel.
	Principals []string
	Key        ssh.PublicKey
	// Namespaces limits the namespaces the key may sign in (nil: any).
	Namespaces []string
	// ValidAfter and ValidBefore bound when the key may be used (zero: no bound).
	ValidAfter, ValidBefore time.Time
	// Line is where the signer is written in its file.
	Line int
}

// AllowedSigners is a parsed allowed_signers file.
type AllowedSigners struct {
	File    string
	Signers []Signer
}

// ParseAllowedSigners reads an allowed_signers file as ssh-keygen(1) describes it: per
// line, principals, options, key type and key; '#' starts a comment line. Options
// Shepherd does not understand — cert-authority above all, which trusts certificates
// Shepherd cannot check — are refused rather than ignored.
func ParseAllowedSigners(file string, data []byte) (*AllowedSigners, error) {
	out := &AllowedSigners{File: file}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseSignerLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, n, err)
		}
		s.Line = n
		out.Signers = append(out.Signers, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(out.Signers) == 0 {
		return nil, fmt.Errorf("%s: no signer in it (expected lines like: releases@example.org valid-after=\"20260101Z\" ssh-ed25519 AAAA…)", file)
	}
	return out, nil
}

func parseSignerLine(line string) (Signer, error) {
	var s Signer
	principals, rest := nextField(line)
	for _, p := range strings.Split(principals, ",") {
		if p == "" {
			return s, errors.New("an empty principal")
		}
		s.Principals = append(s.Principals, p)
	}
	rest = strings.TrimSpace(rest)
	// Options, when present, come before the key type. ssh.ParseAuthorizedKey would skip
	// them silently (authorized_keys options), so they are split off here first.
	opts, keyText := "", rest
	if first, after := nextField(rest); !isKeyType(first) {
		opts, keyText = first, after
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(keyText)))
	if err != nil {
		return s, fmt.Errorf("no public key after the principals and options: %v", err)
	}
	s.Key = key
	for _, opt := range splitOptions(opts) {
		name, value, hasValue := strings.Cut(opt, "=")
		value = strings.Trim(value, `"`)
		switch strings.ToLower(name) {
		case "namespaces":
			s.Namespaces = strings.Split(value, ",")
		case "valid-after", "valid-before":
			if !hasValue {
				return s, fmt.Errorf("%s needs a time, like %s=\"20260101Z\"", name, name)
			}
			t, err := ParseTime(value)
			if err != nil {
				return s, fmt.Errorf("%s: %w", name, err)
			}
			if strings.EqualFold(name, "valid-after") {
				s.ValidAfter = t
			} else {
				s.ValidBefore = t
			}
		case "cert-authority":
			return s, errors.New("cert-authority lines trust SSH certificates, which Shepherd does not check; list the signing keys themselves")
		default:
			return s, fmt.Errorf("unknown option %q (known: namespaces, valid-after, valid-before)", name)
		}
	}
	if !s.ValidAfter.IsZero() && !s.ValidBefore.IsZero() && !s.ValidBefore.After(s.ValidAfter) {
		return s, errors.New("valid-before is not after valid-after")
	}
	return s, nil
}

func isKeyType(field string) bool {
	for _, p := range []string{"ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-"} {
		if strings.HasPrefix(field, p) {
			return true
		}
	}
	return false
}

// nextField splits off the first field; a quoted part does not end it.
func nextField(s string) (string, string) {
	s = strings.TrimSpace(s)
	quoted := false
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case (r == ' ' || r == '\t') && !quoted:
			return s[:i], s[i:]
		}
	}
	return s, ""
}

// splitOptions splits comma-separated options, keeping commas inside quotes.
func splitOptions(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	quoted, start := false, 0
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// ParseTime reads a time as allowed_signers writes it: YYYYMMDD, YYYYMMDDHHMM or
// YYYYMMDDHHMMSS, in UTC with a trailing Z and otherwise in local time, as ssh-keygen
// reads it.
func ParseTime(s string) (time.Time, error) {
	loc := time.Local
	if t, ok := strings.CutSuffix(s, "Z"); ok {
		s, loc = t, time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(s)]
	if !ok {
		return time.Time{}, fmt.Errorf("%q is not a time like 20260101Z, 202601011200Z or 20260101120000Z", s)
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time like 20260101Z: %v", s, err)
	}
	return t, nil
}

// FormatTime writes t as allowed_signers reads it, in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format("20060102150405") + "Z" }

// Window says when a signer may sign, for messages.
func (s Signer) Window() string {
	from, until := "any time", "no end"
	if !s.ValidAfter.IsZero() {
		from = s.ValidAfter.UTC().Format(time.RFC3339)
	}
	if !s.ValidBefore.IsZero() {
		until = s.ValidBefore.UTC().Format(time.RFC3339)
	}
	return "valid from " + from + " until " + until
}

// Name is the signer's principals and where it is written, for messages.
func (s Signer) Name(file string) string {
	return fmt.Sprintf("%s (%s:%d)", strings.Join(s.Principals, ","), file, s.Line)
}

// allowsNamespace matches namespace against the line's namespace patterns.
func (s Signer) allowsNamespace(namespace string) bool {
	if s.Namespaces == nil {
		return true
	}
	for _, p := range s.Namespaces {
		if ok, _ := path.Match(p, namespace); ok {
			return true
		}
	}
	return false
}

// UntrustedKeyError says that no line of the allowed signers holds the signing key.
type UntrustedKeyError struct {
	File        string
	Fingerprint string
}

func (e *UntrustedKeyError) Error() string {
	return fmt.Sprintf("the signing key %s is not in %s", e.Fingerprint, e.File)
}

// OutsideValidityError says the key is listed but not valid at the time asked about.
type OutsideValidityError struct {
	Signer string
	Window string
	At     time.Time
}

func (e *OutsideValidityError) Error() string {
	return fmt.Sprintf("the signing key of %s is %s, not at %s", e.Signer, e.Window, e.At.UTC().Format(time.RFC3339))
}

// Check finds the signer of key allowed to sign in namespace at time at, or says exactly
// why there is none: the key is not listed, is listed for other namespaces, or is
// outside its validity window.
func (a *AllowedSigners) Check(key ssh.PublicKey, namespace string, at time.Time) (Signer, error) {
	want := key.Marshal()
	var listed []Signer
	for _, s := range a.Signers {
		if bytes.Equal(s.Key.Marshal(), want) {
			listed = append(listed, s)
		}
	}
	if len(listed) == 0 {
		return Signer{}, &UntrustedKeyError{File: a.File, Fingerprint: Fingerprint(key)}
	}
	var problem error
	for _, s := range listed {
		switch {
		case !s.allowsNamespace(namespace):
			problem = fmt.Errorf("the signing key of %s may sign only in namespaces %s, not %s", s.Name(a.File), strings.Join(s.Namespaces, ","), namespace)
		case !s.ValidAfter.IsZero() && at.Before(s.ValidAfter), !s.ValidBefore.IsZero() && at.After(s.ValidBefore):
			problem = &OutsideValidityError{Signer: s.Name(a.File), Window: s.Window(), At: at}
		default:
			return s, nil
		}
	}
	return Signer{}, problem
}

// NewKey makes a new Ed25519 key: the unencrypted OpenSSH private key (PEM) and its
// public key as an allowed_signers line writes it. For demos and tests; real release
// keys are made with ssh-keygen and kept in a secret.
func NewKey(comment string) (privatePEM []byte, public string, err error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, "", err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, "", err
	}
	return pem.EncodeToMemory(block), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), nil
}

package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/lifecycle"
)

// ruleID names the lifecycle rule of a folder so that re-running finds and keeps it.
func ruleID(folder string) string { return "shepherd-expire-" + folder }

// EnsureRetention implements Store with a bucket lifecycle rule. Rules of other folders and
// other tools are kept; the call writes only when the rule is missing or different.
func (s *S3) EnsureRetention(ctx context.Context, prefix string, days int) (Rule, error) {
	folder, err := validatePrefix(prefix, false)
	if err != nil {
		return Rule{}, fmt.Errorf("retention in %s: %w", s, err)
	}
	if days < 1 {
		return Rule{}, fmt.Errorf("retention of %q in %s: %d days; must be at least 1", folder, s, days)
	}
	want := Rule{ID: ruleID(folder), Prefix: folderOf(folder), Days: days}
	current, err := s.lifecycle(ctx)
	if err != nil {
		return Rule{}, err
	}
	if slices.ContainsFunc(current.Rules, want.matches) {
		return want, nil
	}
	current.Rules = slices.DeleteFunc(current.Rules, func(r lifecycle.Rule) bool { return r.ID == want.ID })
	current.Rules = append(current.Rules, lifecycle.Rule{
		ID:         want.ID,
		Status:     minio.Enabled,
		RuleFilter: lifecycle.Filter{Prefix: want.Prefix},
		Expiration: lifecycle.Expiration{Days: lifecycle.ExpirationDays(days)},
	})
	if err := s.client.SetBucketLifecycle(ctx, s.cfg.Bucket, current); err != nil {
		return Rule{}, s.lifecycleError("set lifecycle rule "+want.ID, err)
	}
	readBack, err := s.lifecycle(ctx)
	if err != nil {
		return Rule{}, err
	}
	if !slices.ContainsFunc(readBack.Rules, want.matches) {
		return Rule{}, &RetentionUnsupportedError{Where: s.String(), Reason: fmt.Sprintf("rule %s was accepted but is not in the lifecycle configuration read back", want.ID)}
	}
	return want, nil
}

// matches reports whether an S3 lifecycle rule is this rule, enabled.
func (r Rule) matches(lr lifecycle.Rule) bool {
	return lr.ID == r.ID && lr.Status == minio.Enabled && rulePrefix(lr) == r.Prefix && int(lr.Expiration.Days) == r.Days
}

// rulePrefix is the prefix a lifecycle rule applies to, in its filter or in the older,
// filter-less form.
func rulePrefix(lr lifecycle.Rule) string {
	if lr.RuleFilter.Prefix != "" {
		return lr.RuleFilter.Prefix
	}
	return lr.Prefix
}

// lifecycle reads the bucket's lifecycle configuration; none yet is an empty one.
func (s *S3) lifecycle(ctx context.Context) (*lifecycle.Configuration, error) {
	cfg, err := s.client.GetBucketLifecycle(ctx, s.cfg.Bucket)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchLifecycleConfiguration" {
			return lifecycle.NewConfiguration(), nil
		}
		return nil, s.lifecycleError("read lifecycle configuration", err)
	}
	return cfg, nil
}

// lifecycleError types the answers of servers that do not implement lifecycle rules.
func (s *S3) lifecycleError(op string, err error) error {
	resp := minio.ToErrorResponse(err)
	unsupported := resp.Code == "NotImplemented" || resp.Code == "MethodNotAllowed" ||
		resp.StatusCode == http.StatusNotImplemented || resp.StatusCode == http.StatusMethodNotAllowed
	if unsupported {
		return &RetentionUnsupportedError{Where: s.String(), Reason: op + " refused", Err: s.fail(op, "", err)}
	}
	return s.fail(op, "", err)
}

// policyStatement is one statement of an S3 bucket policy.
type policyStatement struct {
	Sid       string              `json:"Sid"`
	Effect    string              `json:"Effect"`
	Principal map[string][]string `json:"Principal"`
	Action    []string            `json:"Action"`
	Resource  []string            `json:"Resource"`
}

// publicReadStatement lets anyone GET objects in folder, and nothing else (no listing).
func publicReadStatement(bucket, folder string) policyStatement {
	sum := sha256.Sum256([]byte(folder))
	return policyStatement{
		// Sids are restricted to letters and digits on AWS; the hash tells folders apart.
		Sid:       "ShepherdPublicRead" + hex.EncodeToString(sum[:6]),
		Effect:    "Allow",
		Principal: map[string][]string{"AWS": {"*"}},
		Action:    []string{"s3:GetObject"},
		Resource:  []string{"arn:aws:s3:::" + bucket + "/" + folder + "/*"},
	}
}

// PublicReadPolicy is the bucket policy EnsurePublicRead writes on an empty bucket policy.
func PublicReadPolicy(bucket, prefix string) (string, error) {
	folder, err := validatePrefix(prefix, false)
	if err != nil {
		return "", err
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []policyStatement{publicReadStatement(bucket, folder)}}
	out, err := json.MarshalIndent(doc, "", "  ")
	return string(out), err
}

// EnsurePublicRead makes objects under the folder prefix readable by anyone, and nothing else
// in the bucket: the public mode. Statements already in the bucket policy are kept.
func (s *S3) EnsurePublicRead(ctx context.Context, prefix string) error {
	folder, err := validatePrefix(prefix, false)
	if err != nil {
		return fmt.Errorf("public read in %s: %w", s, err)
	}
	want := publicReadStatement(s.cfg.Bucket, folder)
	doc, err := s.policy(ctx)
	if err != nil {
		return err
	}
	statements, _ := doc["Statement"].([]any)
	if slices.ContainsFunc(statements, want.sameAs) {
		return nil
	}
	statements = slices.DeleteFunc(statements, func(st any) bool { return sidOf(st) == want.Sid })
	doc["Statement"] = append(statements, want)
	if _, ok := doc["Version"]; !ok {
		doc["Version"] = "2012-10-17"
	}
	policy, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("public read in %s: encode policy: %w", s, err)
	}
	if err := s.client.SetBucketPolicy(ctx, s.cfg.Bucket, string(policy)); err != nil {
		return s.fail("set bucket policy", "", err)
	}
	readBack, err := s.policy(ctx)
	if err != nil {
		return err
	}
	statements, _ = readBack["Statement"].([]any)
	if !slices.ContainsFunc(statements, want.sameAs) {
		return fmt.Errorf("public read in %s: statement %s missing from the bucket policy read back", s, want.Sid)
	}
	return nil
}

// policy reads the bucket policy as generic JSON, so statements this package does not model
// survive a rewrite.
func (s *S3) policy(ctx context.Context) (map[string]any, error) {
	text, err := s.client.GetBucketPolicy(ctx, s.cfg.Bucket)
	if err != nil {
		return nil, s.fail("read bucket policy", "", err)
	}
	doc := map[string]any{}
	if text == "" {
		return doc, nil
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("read bucket policy of %s: not JSON: %w", s, err)
	}
	return doc, nil
}

func sidOf(statement any) string {
	m, _ := statement.(map[string]any)
	sid, _ := m["Sid"].(string)
	return sid
}

// sameAs compares a statement read back (servers reformat single values as strings or lists)
// with this one.
func (p policyStatement) sameAs(statement any) bool {
	if sidOf(statement) != p.Sid {
		return false
	}
	raw, err := json.Marshal(statement)
	if err != nil {
		return false
	}
	var got struct {
		Effect   string
		Action   stringList
		Resource stringList
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		return false
	}
	return got.Effect == p.Effect && slices.Equal(got.Action, p.Action) && slices.Equal(got.Resource, p.Resource)
}

// stringList decodes a JSON string or list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

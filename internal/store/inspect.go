package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/lifecycle"
)

// Read-only looks at a bucket's set-up, for `shepherd doctor`. None of them writes.

// CheckBucket asks whether the bucket exists and the credentials may list it (a HEAD on the
// bucket, s3:ListBucket). A missing bucket is ErrNoSuchBucket.
func (s *S3) CheckBucket(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return s.fail("check bucket", "", err)
	}
	if !exists {
		return &RequestError{Op: "check bucket", Where: s.String(), Code: "NoSuchBucket", Status: 404, Kind: ErrNoSuchBucket,
			Err: fmt.Errorf("the bucket does not exist"), Hint: "create it, or fix storage.bucket"}
	}
	return nil
}

// RetentionRule reads back the lifecycle rule that expires prefix: the one EnsureRetention
// keeps (by its id), else any expiry rule on exactly that prefix, as a person may add by hand,
// an enabled one first. found is false when there is none (or no lifecycle configuration at
// all). A disabled rule comes back as it is, for the caller to judge.
func (s *S3) RetentionRule(ctx context.Context, prefix string) (rule Rule, enabled, found bool, err error) {
	folder, err := validatePrefix(prefix, false)
	if err != nil {
		return Rule{}, false, false, fmt.Errorf("retention in %s: %w", s, err)
	}
	cfg, err := s.lifecycle(ctx)
	if err != nil {
		return Rule{}, false, false, err
	}
	best := -1
	rank := func(lr lifecycle.Rule) int {
		switch {
		case lr.ID == ruleID(folder):
			return 3
		case rulePrefix(lr) != folderOf(folder) || lr.Expiration.Days == 0:
			return -1
		case lr.Status == minio.Enabled:
			return 2
		}
		return 1
	}
	for i, lr := range cfg.Rules {
		if r := rank(lr); r >= 0 && (best < 0 || r > rank(cfg.Rules[best])) {
			best = i
		}
	}
	if best < 0 {
		return Rule{}, false, false, nil
	}
	lr := cfg.Rules[best]
	return Rule{ID: lr.ID, Prefix: rulePrefix(lr), Days: int(lr.Expiration.Days)}, lr.Status == minio.Enabled, true, nil
}

// Versioning is the bucket's versioning state: "" (never turned on), "Enabled" or
// "Suspended" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html).
func (s *S3) Versioning(ctx context.Context) (string, error) {
	cfg, err := s.client.GetBucketVersioning(ctx, s.cfg.Bucket)
	if err != nil {
		return "", s.fail("read bucket versioning", "", err)
	}
	return cfg.Status, nil
}

// PublicReadState is what the bucket policy says anonymous users may do.
type PublicReadState struct {
	// Ours: the statement EnsurePublicRead writes for the prefix is there, unchanged.
	Ours bool
	// Broader lists the Sids (or positions) of other statements that allow anonymous access:
	// anything beyond GetObject on the prefix.
	Broader []string
}

// PublicRead reads the bucket policy and judges anonymous access.
func (s *S3) PublicRead(ctx context.Context, prefix string) (PublicReadState, error) {
	folder, err := validatePrefix(prefix, false)
	if err != nil {
		return PublicReadState{}, fmt.Errorf("public read in %s: %w", s, err)
	}
	want := publicReadStatement(s.cfg.Bucket, folder)
	doc, err := s.policy(ctx)
	if err != nil {
		return PublicReadState{}, err
	}
	var state PublicReadState
	statements, _ := doc["Statement"].([]any)
	for i, st := range statements {
		if want.sameAs(st) {
			state.Ours = true
			continue
		}
		if allowsAnonymous(st) {
			name := sidOf(st)
			if name == "" {
				name = fmt.Sprintf("statement %d", i+1)
			}
			state.Broader = append(state.Broader, name)
		}
	}
	return state, nil
}

// allowsAnonymous reports an Allow statement whose principal is everyone ("*", or {"AWS": "*"}).
func allowsAnonymous(statement any) bool {
	raw, err := json.Marshal(statement)
	if err != nil {
		return false
	}
	var st struct {
		Effect    string
		Principal json.RawMessage
	}
	if json.Unmarshal(raw, &st) != nil || !strings.EqualFold(st.Effect, "Allow") {
		return false
	}
	var everyone string
	if json.Unmarshal(st.Principal, &everyone) == nil {
		return everyone == "*"
	}
	var byKind map[string]stringList
	if json.Unmarshal(st.Principal, &byKind) == nil {
		return slices.Contains(byKind["AWS"], "*")
	}
	return false
}

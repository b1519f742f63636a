package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/store"
)

const loadTestDSNEnv = "SHEPHERD_LOAD_TEST_DSN"

// dbDialTimeout bounds connecting to the load-test database when the DSN sets no timeout.
const dbDialTimeout = 10 * time.Second

func (d *run) oclClient() (*ocl.Client, error) {
	if d.ocl != nil || d.oclErr != nil {
		return d.ocl, d.oclErr
	}
	opts := append(steps.OCLOptions(d.cfg), d.o.OCLOptions...)
	d.ocl, d.oclErr = ocl.NewClient(d.cfg.OCL.BaseURL, d.getenv(d.cfg.OCL.TokenEnv), opts...)
	return d.ocl, d.oclErr
}

// checkOCLSource reads the source's HEAD with the token. OCL checks a token it is given even
// on public sources: a wrong one answers 401 "Invalid token." (OpenConceptLab/oclapi2
// core/common/authentication.py: OCLAuthentication hands a token it does not know to Django
// REST framework's TokenAuthentication, which refuses it), so a 200 means the token is good.
func (d *run) checkOCLSource(ctx context.Context) Result {
	org, source := d.cfg.OCL.Org, d.cfg.OCL.Source
	client, err := d.oclClient()
	if err != nil {
		return failed("fix ocl.base_url in the configuration", "no OCL client: %s", oneLine(err))
	}
	v, err := client.GetVersion(ctx, org, source, "HEAD")
	tokenEnv := d.cfg.OCL.TokenEnv
	switch {
	case errors.Is(err, ocl.ErrUnauthorized):
		d.oclSourceErr = err
		return failed(fmt.Sprintf("put a valid API token in %s (OCL → your profile → API token)", tokenEnv),
			"OCL refused the token (401): %s", oneLine(err))
	case errors.Is(err, ocl.ErrNotFound):
		d.oclSourceErr = err
		return failed("fix ocl.org and ocl.source in the configuration, or use a token whose user can see a private source",
			"source %s/%s not found at %s", org, source, d.cfg.OCL.BaseURL)
	case err != nil:
		d.oclSourceErr = err
		return failed("check ocl.base_url and the network; re-run when OCL answers", "cannot read %s/%s: %s", org, source, oneLine(err))
	}
	d.oclSourceRead = true
	with := "with the token in " + tokenEnv
	if d.getenv(tokenEnv) == "" {
		with = "without a token"
	}
	name := v.FullName
	if name == "" {
		name = org + "/" + source
	}
	return ok("read %s (HEAD) %s at %s", name, with, d.cfg.OCL.BaseURL)
}

// checkOCLCreateVersion says whether the token may create versions, without creating one.
// OCL offers no read that answers it directly. Its source code does: the create view
// (OpenConceptLab/oclapi2 core/sources/views.py, SourceVersionListView) never checks a
// permission on the source, so any user OCL authenticates may create a version; older
// servers checked membership of the owning organisation. A token OCL accepts is therefore
// what can be known without a side effect, and the check says so.
func (d *run) checkOCLCreateVersion(context.Context) Result {
	tokenEnv := d.cfg.OCL.TokenEnv
	if d.getenv(tokenEnv) == "" {
		return failed(fmt.Sprintf("set %s to an API token of a user who may edit the source", tokenEnv), "no token: creating a version needs one")
	}
	if !d.oclSourceRead {
		why := "not read"
		if d.oclSourceErr != nil {
			why = oneLine(d.oclSourceErr)
		}
		return skipped("the source could not be read with the token (ocl-source): %s", why)
	}
	return ok("OCL accepted the token; it lets any signed-in user create a version (oclapi2 checks no permission on the source), so nothing was created to prove it")
}

// s3 builds the S3 store once; errNoBucket when the configuration names none.
func (d *run) s3(context.Context) (*store.S3, error) {
	if d.bucket != nil || d.bucketErr != nil {
		return d.bucket, d.bucketErr
	}
	if d.cfg.Storage.Bucket == "" {
		d.bucketErr = errNoBucket
		return nil, d.bucketErr
	}
	// Two tries: an unreachable server should not hold the run through minio-go's ten.
	opts := append([]store.Option{store.WithGetenv(d.o.Getenv), store.WithMaxRetries(2)}, d.o.StoreOptions...)
	d.bucket, d.bucketErr = store.NewS3(steps.StoreConfig(d.cfg), opts...)
	return d.bucket, d.bucketErr
}

var errNoBucket = errors.New("no bucket configured: artifacts go to a local folder")

// needBucket is the result of a bucket check that cannot run.
func (d *run) needBucket(ctx context.Context) (*store.S3, Result, bool) {
	s, err := d.s3(ctx)
	switch {
	case errors.Is(err, errNoBucket):
		return nil, skipped("%v (storage.bucket is empty)", err), false
	case err != nil:
		return nil, skipped("no usable store: %s", oneLine(err)), false
	case !d.bucketReachable:
		return nil, skipped("the bucket is not reachable (bucket)"), false
	}
	return s, Result{}, true
}

func (d *run) checkBucket(ctx context.Context) Result {
	s, err := d.s3(ctx)
	switch {
	case errors.Is(err, errNoBucket) && d.cfg.Sets("storage.type"):
		return skipped("storage.type: local: releases go to %s on the runner, which must keep its disk", d.cfg.Storage.LocalDir)
	case errors.Is(err, errNoBucket):
		// As the release steps do (steps.Env.storageOutlivesTheRun): on a runner the folder
		// vanishes with the job, and the links with it.
		return failed("set storage.bucket, storage.endpoint and the key secrets (docs/storage.md), or write storage.type: local if the runner keeps its disk",
			"no bucket configured: on GitHub Actions a release refuses to start, since the local folder vanishes with the runner")
	case err != nil:
		return failed("set storage.endpoint and the key secrets (see credentials)", "cannot set up the store: %s", oneLine(err))
	}
	if err := s.CheckBucket(ctx); err != nil {
		fix := "check storage.endpoint, the key pair and its policy: see docs/storage.md"
		switch {
		case errors.Is(err, store.ErrNoSuchBucket):
			fix = "create the bucket, or fix storage.bucket"
		case errors.Is(err, store.ErrDenied):
			fix = "check the secret key and the key's policy (s3:ListBucket on the bucket); behind a proxy, keep the Host header: see docs/rustfs.md"
		case errors.Is(err, store.ErrUnreachable):
			fix = "check storage.endpoint (scheme, host, port) and that the runner can reach it"
		}
		return failed(fix, "%s", oneLine(err))
	}
	d.bucketReachable = true
	return ok("%s answers and the key may list it", s)
}

func (d *run) checkLifecycle(ctx context.Context) Result {
	s, r, usable := d.needBucket(ctx)
	if !usable {
		return r
	}
	prefix := d.cfg.Storage.Prefix
	want := int(d.cfg.Retention/(24*time.Hour)) + 1
	fix := fmt.Sprintf("Shepherd writes the rule when it publishes a release; to have it now, add an enabled rule expiring %s/ after %d days", prefix, want)
	rule, enabled, found, err := s.RetentionRule(ctx, prefix)
	switch {
	case errors.Is(err, store.ErrRetentionUnsupported):
		return warned("nothing to do: the janitor deletes expired releases itself", "the server does not keep lifecycle rules: %s", oneLine(err))
	case errors.Is(err, store.ErrDenied):
		return failed("add s3:GetLifecycleConfiguration and s3:PutLifecycleConfiguration on the bucket to the key's policy", "%s", oneLine(err))
	case err != nil:
		return failed("re-run when the server answers", "%s", oneLine(err))
	case !found:
		return failed(fix, "no lifecycle rule for %s/ (retention %s + 1 day = %d days)", prefix, days(d.cfg.Retention), want)
	case !enabled:
		return failed(fix, "lifecycle rule %s is disabled", rule.ID)
	case rule.Days < want:
		return failed(fix, "lifecycle rule %s expires files after %d days, before the %d days links promise (retention + 1)", rule.ID, rule.Days, want)
	case rule.Days > want:
		return warned(fix, "lifecycle rule %s expires files after %d days, later than retention + 1 = %d (the janitor deletes them on time anyway)", rule.ID, rule.Days, want)
	}
	return ok("lifecycle rule %s expires %s after %d days (retention + 1)", rule.ID, rule.Prefix, rule.Days)
}

func (d *run) checkVersioning(ctx context.Context) Result {
	s, r, usable := d.needBucket(ctx)
	if !usable {
		return r
	}
	status, err := s.Versioning(ctx)
	switch {
	case errors.Is(err, store.ErrDenied):
		return warned("add s3:GetBucketVersioning on the bucket to the key's policy (doctor only), or look in the server's console",
			"the key may not read the bucket's versioning: %s", oneLine(err))
	case err != nil:
		return failed("re-run when the server answers", "%s", oneLine(err))
	}
	fix := "use a bucket without versioning: deleted releases stay behind as old versions, and RustFS refuses plain GETs on versioned buckets without s3:GetObjectVersion: see docs/rustfs.md"
	switch status {
	case "Enabled":
		return failed(fix, "versioning is on")
	case "Suspended":
		return warned(fix, "versioning is suspended: versions made while it was on are kept")
	}
	return ok("versioning is off")
}

// conditionalProbeKey is the object the conditional-writes check creates and removes,
// beside the leases and outside any source's folder of them.
const conditionalProbeKey = "leases/.doctor-probe.json"

// checkConditional writes a probe object twice with If-None-Match: * and replaces it with
// a wrong If-Match: a server that ignores the conditions accepts what must be refused,
// and then a lease cannot keep two runs apart (internal/store/conditional.go lists the
// servers). It removes the probe.
func (d *run) checkConditional(ctx context.Context) Result {
	s, r, usable := d.needBucket(ctx)
	if !usable {
		return r
	}
	err := store.ProbeConditional(ctx, s, conditionalProbeKey)
	switch {
	case errors.Is(err, store.ErrDenied):
		return failed("add s3:PutObject, s3:GetObject and s3:DeleteObject on leases/* to the key's policy", "%s", oneLine(err))
	case err != nil:
		return failed("use a server that evaluates If-None-Match and If-Match on PutObject (MinIO, RustFS, AWS S3): see docs/rustfs.md#conditional-writes-and-leases",
			"%s", oneLine(err))
	}
	return ok("a second create-only write and a replace with a wrong ETag were both refused (412): leases hold")
}

func (d *run) checkPolicy(ctx context.Context) Result {
	if d.cfg.Storage.LinkMode != manifest.LinkPublic {
		return skipped("links are presigned (storage.link_mode: %s): no bucket policy is needed", d.cfg.Storage.LinkMode)
	}
	s, r, usable := d.needBucket(ctx)
	if !usable {
		return r
	}
	prefix := d.cfg.Storage.Prefix
	state, err := s.PublicRead(ctx, prefix)
	if err != nil {
		return failed("add s3:GetBucketPolicy and s3:PutBucketPolicy on the bucket to the key's policy", "%s", oneLine(err))
	}
	switch {
	case len(state.Broader) > 0:
		return failed("remove the other anonymous statements: public mode lets anyone read "+prefix+"/ and nothing else",
			"the bucket policy lets anyone do more than read %s/: %s", prefix, strings.Join(state.Broader, ", "))
	case !state.Ours:
		pol, _ := store.PublicReadPolicy(d.cfg.Storage.Bucket, prefix)
		return failed("Shepherd adds it when it publishes; to have it now, set this bucket policy: "+strings.Join(strings.Fields(pol), " "),
			"the bucket policy does not let anyone read %s/: public links would answer 403", prefix)
	}
	return ok("anyone may read %s/ and nothing else", prefix)
}

// checkLoadTestDB connects to the load-test database and asks its version.
func (d *run) checkLoadTestDB(ctx context.Context) Result {
	if !slices.ContainsFunc(d.cfg.Exports, func(e manifest.ExportSpec) bool { return e.LoadTest }) {
		return skipped("no export has load_test: true")
	}
	dsn := d.getenv(loadTestDSNEnv)
	if dsn == "" {
		return skipped("%s is not set: the export-poll workflow uses its own MariaDB service (root@tcp(127.0.0.1:3306)/)", loadTestDSNEnv)
	}
	fix := fmt.Sprintf("fix %s (user:password@tcp(host:3306)/) or start the server; the user must create and drop databases", loadTestDSNEnv)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		// The driver's message may quote the DSN, password included: say only where it failed.
		return failed(fix, "%s is not a MySQL DSN", loadTestDSNEnv)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = dbDialTimeout
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return failed(fix, "%s: %s", loadTestDSNEnv, oneLine(err))
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return failed(fix, "cannot reach the database at %s: %s", cfg.Addr, oneLine(err))
	}
	kind := "MySQL"
	if strings.Contains(strings.ToLower(version), "mariadb") {
		kind = "MariaDB"
	}
	return ok("%s %s at %s", kind, version, cfg.Addr)
}

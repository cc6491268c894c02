package source

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 serves gofakes3's in-memory backend on loopback, through wrap
// when given, and returns the backend and the server's URL.
func fakeS3(t *testing.T, wrap func(http.Handler) http.Handler) (*s3mem.Backend, string) {
	t.Helper()
	backend := s3mem.New()
	var h http.Handler = gofakes3.New(backend).Server()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h) // 127.0.0.1
	t.Cleanup(srv.Close)
	return backend, srv.URL
}

// awsEnv isolates the AWS SDK from the machine's configuration and points
// it at endpoint ("" for none) with static test keys. region "" leaves the
// region unset.
func awsEnv(t *testing.T, endpoint, region string) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_S3_USE_ARN_REGION", "AWS_USE_DUALSTACK_ENDPOINT",
		"AWS_USE_FIPS_ENDPOINT",
	} {
		t.Setenv(k, "") // restores the old value after the test
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDGUMSHOETEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "gumshoe-test-secret")
	if endpoint != "" {
		t.Setenv("AWS_ENDPOINT_URL", endpoint)
	}
	if region != "" {
		t.Setenv("AWS_REGION", region)
	}
}

func newTestClient(t *testing.T) *s3.Client {
	t.Helper()
	c, err := NewS3Client(context.Background())
	if err != nil {
		t.Fatalf("NewS3Client() error = %v", err)
	}
	return c
}

func createBucket(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket(%s) error = %v", bucket, err)
	}
}

func putObject(t *testing.T, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	}); err != nil {
		t.Fatalf("PutObject(%s) error = %v", key, err)
	}
}

func TestNewS3Client(t *testing.T) {
	tests := []struct {
		name, endpoint, endpointS3, region string
		wantRegion                         string
		wantPathStyle                      bool
	}{
		{name: "endpoint override, no region", endpoint: "http://127.0.0.1:9", wantRegion: "us-east-1", wantPathStyle: true},
		{name: "endpoint override with region", endpoint: "http://127.0.0.1:9", region: "eu-west-1", wantRegion: "eu-west-1", wantPathStyle: true},
		{name: "s3-specific endpoint override", endpointS3: "http://127.0.0.1:9", region: "ap-south-1", wantRegion: "ap-south-1", wantPathStyle: true},
		{name: "real AWS", region: "us-west-2", wantRegion: "us-west-2"},
		{name: "real AWS, no region", wantRegion: "us-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awsEnv(t, tt.endpoint, tt.region)
			if tt.endpointS3 != "" {
				t.Setenv("AWS_ENDPOINT_URL_S3", tt.endpointS3)
			}
			o := newTestClient(t).Options()
			if o.Region != tt.wantRegion {
				t.Errorf("Region = %q; want %q", o.Region, tt.wantRegion)
			}
			if o.UsePathStyle != tt.wantPathStyle {
				t.Errorf("UsePathStyle = %v; want %v", o.UsePathStyle, tt.wantPathStyle)
			}
			wantEndpoint := cmpOr(tt.endpointS3, tt.endpoint)
			if got := aws.ToString(o.BaseEndpoint); got != wantEndpoint {
				t.Errorf("BaseEndpoint = %q; want %q", got, wantEndpoint)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func md5hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// centralizedKeys is a central log bucket: two accounts, two regions,
// every layout.
func centralizedKeys() []string {
	var keys []string
	for _, acct := range []string{"111111111111", "222222222222"} {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			keys = append(keys,
				fmt.Sprintf("AWSLogs/%[1]s/vpcflowlogs/%[2]s/2024/05/06/%[1]s_vpcflowlogs_%[2]s_fl-0123abcd_20240506T0105Z_aa11bb22.log.gz", acct, region),
				fmt.Sprintf("AWSLogs/%[1]s/vpcflowlogs/%[2]s/2024/05/06/07/%[1]s_vpcflowlogs_%[2]s_fl-0123abcd_20240506T0710Z_cc33dd44.log.gz", acct, region),
				fmt.Sprintf("AWSLogs/aws-account-id=%[1]s/aws-service=vpcflowlogs/aws-region=%[2]s/year=2024/month=05/day=06/hour=08/%[1]s_vpcflowlogs_%[2]s_fl-0123abcd_20240506T0815Z_ee55ff66.log.parquet", acct, region),
				fmt.Sprintf("AWSLogs/%[1]s/CloudTrail/%[2]s/2024/05/06/%[1]s_CloudTrail_%[2]s_20240506T0930Z_Mu0KsOhtH1ar15ZZ.json.gz", acct, region),
				fmt.Sprintf("AWSLogs/o-abcdefghij/%[1]s/CloudTrail/%[2]s/2024/05/06/%[1]s_CloudTrail_%[2]s_20240506T1030Z_QF6qcgyiaVnSueXa.json.gz", acct, region),
				fmt.Sprintf("aws/VPC_FLOW/2.0/region=%[2]s/accountId=%[1]s/eventDay=20240506/part-0001.gz.parquet", acct, region),
			)
		}
		keys = append(keys, fmt.Sprintf("AWSLogs/%[1]s/vpcdnsquerylogs/vpc-0a1b2c3d/2024/05/06/vpc-0a1b2c3d_vpcdnsquerylogs_%[1]s_20240506T1145Z_71584702.log.gz", acct))
	}
	slices.Sort(keys)
	return keys
}

func TestListS3(t *testing.T) {
	_, endpoint := fakeS3(t, nil)
	awsEnv(t, endpoint, "")
	client := newTestClient(t) // through the environment, as the CLI does
	ctx := context.Background()
	const bucket = "central-logs"
	createBucket(t, client, bucket)

	keys := centralizedKeys()
	bodies := map[string][]byte{}
	for i, k := range keys {
		b := []byte(fmt.Sprintf("object %d %s\n", i, strings.Repeat("x", i)))
		if strings.HasSuffix(k, ".gz") {
			b = gz(t, string(b))
		}
		bodies[k] = b
		putObject(t, client, bucket, k, b)
	}
	putObject(t, client, bucket, "AWSLogs/", nil) // console folder marker

	check := func(t *testing.T, uri string, cfg Config, wantKeys []string) []Object {
		t.Helper()
		got := listAll(t, uri, cfg)
		var gotURIs, wantURIs []string
		for _, o := range got {
			gotURIs = append(gotURIs, o.URI)
		}
		for _, k := range wantKeys {
			wantURIs = append(wantURIs, "s3://"+bucket+"/"+k)
		}
		if diff := cmp.Diff(wantURIs, gotURIs); diff != "" {
			t.Fatalf("List(%q) URIs mismatch (-want +got):\n%s", uri, diff)
		}
		for i, o := range got {
			k := wantKeys[i]
			if !o.IsS3() {
				t.Errorf("%s: IsS3() = false", o.URI)
			}
			if o.Size != int64(len(bodies[k])) {
				t.Errorf("%s: Size = %d; want %d", o.URI, o.Size, len(bodies[k]))
			}
			if want := md5hex(bodies[k]); o.ETag != want {
				t.Errorf("%s: ETag = %q; want %q", o.URI, o.ETag, want)
			}
			if o.Modified.IsZero() || o.Modified.Location() != time.UTC || time.Since(o.Modified) > time.Hour {
				t.Errorf("%s: Modified = %v; want recent UTC", o.URI, o.Modified)
			}
			if diff := cmp.Diff(ParseKey(k), o.Layout); diff != "" {
				t.Errorf("%s: Layout mismatch (-want +got):\n%s", o.URI, diff)
			}
		}
		return got
	}

	cfg := Config{S3: client}
	var all []Object
	t.Run("whole bucket", func(t *testing.T) {
		all = check(t, "s3://"+bucket, cfg, keys)
		check(t, "s3://"+bucket+"/", cfg, keys)
	})
	t.Run("default client from environment", func(t *testing.T) {
		check(t, "s3://"+bucket, Config{}, keys)
	})
	t.Run("prefix", func(t *testing.T) {
		var want []string
		for _, k := range keys {
			if strings.HasPrefix(k, "AWSLogs/222222222222/") {
				want = append(want, k)
			}
		}
		if len(want) != 7 {
			t.Fatalf("test keys under account 222222222222 = %d; want 7", len(want))
		}
		check(t, "s3://"+bucket+"/AWSLogs/222222222222/", cfg, want)
	})
	t.Run("small pages", func(t *testing.T) {
		small := cfg
		small.pageSize = 4
		check(t, "s3://"+bucket, small, keys)
	})
	t.Run("empty prefix", func(t *testing.T) {
		if got := listAll(t, "s3://"+bucket+"/nothing/here/", cfg); len(got) != 0 {
			t.Errorf("List(empty prefix) = %d objects; want 0", len(got))
		}
	})
	if t.Failed() {
		return
	}

	t.Run("layouts", func(t *testing.T) {
		// Each object keeps its own account and region in a central bucket.
		seen := map[[3]string]int{}
		for _, o := range all {
			l := o.Layout
			if l.AccountID == "" || l.Service == "" || l.Date.IsZero() {
				t.Errorf("%s: Layout %+v lacks account, service or date", o.URI, l)
			}
			if l.Region == "" && l.Service != "vpcdnsquerylogs" {
				t.Errorf("%s: Layout %+v lacks region", o.URI, l)
			}
			seen[[3]string{l.AccountID, l.Region, l.Service}]++
		}
		for _, acct := range []string{"111111111111", "222222222222"} {
			for _, region := range []string{"us-east-1", "eu-west-1"} {
				if n := seen[[3]string{acct, region, "vpcflowlogs"}]; n != 3 {
					t.Errorf("flow log objects for %s %s = %d; want 3", acct, region, n)
				}
				if n := seen[[3]string{acct, region, "CloudTrail"}]; n != 2 {
					t.Errorf("CloudTrail objects for %s %s = %d; want 2", acct, region, n)
				}
				if n := seen[[3]string{acct, region, "VPC_FLOW"}]; n != 1 {
					t.Errorf("Security Lake objects for %s %s = %d; want 1", acct, region, n)
				}
			}
		}
		hourly := all[slices.IndexFunc(all, func(o Object) bool { return strings.Contains(o.URI, "/2024/05/06/07/") })]
		if !hourly.Layout.HasHour || hourly.Layout.Date != at(2024, 5, 6, 7, 0, 0) || hourly.Layout.FlowLogID != "fl-0123abcd" {
			t.Errorf("%s: Layout = %+v; want hour 07 and fl-0123abcd", hourly.URI, hourly.Layout)
		}
	})

	t.Run("open", func(t *testing.T) {
		for _, o := range all {
			rc, err := o.Open(ctx)
			if err != nil {
				t.Fatalf("Open(%s) error = %v", o.URI, err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, bodies[strings.TrimPrefix(o.URI, "s3://"+bucket+"/")]) {
				t.Errorf("Open(%s) read %d bytes, err %v; want the object's %d bytes", o.URI, len(got), err, o.Size)
			}
		}
		o := all[0]
		rc, err := o.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		zr, isGzip, err := Decompress(rc)
		if err != nil || !isGzip {
			t.Fatalf("Decompress(%s) = gzip %v, %v; want gzip", o.URI, isGzip, err)
		}
		text, err := io.ReadAll(zr)
		if err != nil || !strings.HasPrefix(string(text), "object 0 ") {
			t.Errorf("Decompress(%s) read %q, %v; want \"object 0 ...\"", o.URI, text, err)
		}
	})

	t.Run("open reader at", func(t *testing.T) {
		idx := slices.IndexFunc(all, func(o Object) bool { return strings.HasSuffix(o.URI, ".parquet") })
		for _, spool := range []bool{false, true} {
			t.Run(fmt.Sprintf("spool=%v", spool), func(t *testing.T) {
				tmp := t.TempDir()
				c := Config{S3: client, TempDir: tmp}
				if spool {
					c.memLimit = 8
				}
				// List again so the objects carry this Config.
				var o Object
				if err := List(ctx, all[idx].URI, c, func(x Object) error { o = x; return nil }); err != nil {
					t.Fatal(err)
				}
				want := bodies[strings.TrimPrefix(o.URI, "s3://"+bucket+"/")]
				r, err := o.OpenReaderAt(ctx)
				if err != nil {
					t.Fatalf("OpenReaderAt(%s) error = %v", o.URI, err)
				}
				if r.Size() != int64(len(want)) {
					t.Errorf("Size() = %d; want %d", r.Size(), len(want))
				}
				buf := make([]byte, 5)
				if n, err := r.ReadAt(buf, 3); err != nil || !bytes.Equal(buf[:n], want[3:8]) {
					t.Errorf("ReadAt(5, 3) = %q, %v; want %q", buf[:n], err, want[3:8])
				}
				tail := make([]byte, 10)
				n, err := r.ReadAt(tail, int64(len(want))-4)
				if n != 4 || err != io.EOF || !bytes.Equal(tail[:n], want[len(want)-4:]) {
					t.Errorf("ReadAt past end = %d, %v; want 4, io.EOF", n, err)
				}
				files, _ := os.ReadDir(tmp)
				if spool != (len(files) == 1) {
					t.Errorf("temp files while open = %d; want spooled=%v", len(files), spool)
				}
				if err := r.Close(); err != nil {
					t.Errorf("Close() error = %v", err)
				}
				if files, _ := os.ReadDir(tmp); len(files) != 0 {
					t.Errorf("temp files after Close = %d; want 0", len(files))
				}
			})
		}
	})
}

func TestListS3Paging(t *testing.T) {
	var listCalls atomic.Int32
	backend, endpoint := fakeS3(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
				listCalls.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	awsEnv(t, endpoint, "us-east-1")
	client := newTestClient(t)
	const bucket = "many"
	createBucket(t, client, bucket)

	// Seed the backend directly: 1234 round trips through the SDK would
	// only slow the test down.
	var want []string
	for i := range 1234 {
		key := fmt.Sprintf("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/%02d/123456789012_vpcflowlogs_us-east-1_fl-1_20240101T0000Z_%05d.log.gz", i%28+1, i)
		body := []byte(key)
		if _, err := backend.PutObject(bucket, key, nil, bytes.NewReader(body), int64(len(body)), nil); err != nil {
			t.Fatal(err)
		}
		want = append(want, "s3://"+bucket+"/"+key)
	}
	slices.Sort(want)

	for _, tt := range []struct {
		pageSize  int32
		wantCalls int32
	}{
		{0, 2},    // S3's own 1000
		{100, 13}, // the test knob
	} {
		t.Run(fmt.Sprintf("page=%d", tt.pageSize), func(t *testing.T) {
			listCalls.Store(0)
			got := listAll(t, "s3://"+bucket+"/AWSLogs/", Config{S3: client, pageSize: tt.pageSize})
			var uris []string
			for _, o := range got {
				uris = append(uris, o.URI)
			}
			if diff := cmp.Diff(want, uris); diff != "" {
				t.Errorf("List mismatch (-want +got):\n%s", diff)
			}
			if n := listCalls.Load(); n != tt.wantCalls {
				t.Errorf("ListObjectsV2 calls = %d; want %d", n, tt.wantCalls)
			}
		})
	}

	t.Run("stop", func(t *testing.T) {
		listCalls.Store(0)
		stop := errors.New("stop")
		n := 0
		err := List(context.Background(), "s3://"+bucket, Config{S3: client, pageSize: 10}, func(Object) error {
			n++
			if n == 15 {
				return stop
			}
			return nil
		})
		if err != stop || n != 15 || listCalls.Load() != 2 {
			t.Errorf("List = %v after %d objects and %d pages; want stop after 15 and 2", err, n, listCalls.Load())
		}
	})
}

func TestListS3Errors(t *testing.T) {
	_, endpoint := fakeS3(t, nil)
	awsEnv(t, endpoint, "us-east-1")
	client := newTestClient(t)
	noop := func(Object) error { return nil }

	err := List(context.Background(), "s3://no-such-bucket/AWSLogs/", Config{S3: client}, noop)
	var nsb *types.NoSuchBucket
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/AWSLogs/") ||
		!strings.Contains(err.Error(), "bucket no-such-bucket does not exist") || !errors.As(err, &nsb) {
		t.Errorf("List(missing bucket) = %v; want a NoSuchBucket error naming the bucket", err)
	}

	for _, uri := range []string{"s3://", "s3:///key"} {
		if err := List(context.Background(), uri, Config{S3: client}, noop); err == nil || !strings.Contains(err.Error(), "missing bucket") {
			t.Errorf("List(%q) = %v; want a missing bucket error", uri, err)
		}
	}

	o := Object{URI: "s3://no-such-bucket/k", client: client, bucket: "no-such-bucket", key: "k"}
	if _, err := o.Open(context.Background()); err == nil || !strings.Contains(err.Error(), o.URI) {
		t.Errorf("Open(missing) = %v; want an error naming %s", err, o.URI)
	}
}

// TestS3BucketInOtherRegion plays S3's answer to a request signed for the
// wrong region (301 with x-amz-bucket-region) and checks List and Open
// follow it.
func TestS3BucketInOtherRegion(t *testing.T) {
	var redirects atomic.Int32
	backend, endpoint := fakeS3(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if (r.URL.Path == "/far" || strings.HasPrefix(r.URL.Path, "/far/")) && !strings.Contains(r.Header.Get("Authorization"), "/ap-southeast-2/s3/") {
				redirects.Add(1)
				w.Header().Set("X-Amz-Bucket-Region", "ap-southeast-2")
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusMovedPermanently)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	awsEnv(t, endpoint, "us-east-1")
	client := newTestClient(t)
	if err := backend.CreateBucket("far"); err != nil {
		t.Fatal(err)
	}
	key := "AWSLogs/123456789012/CloudTrail/ap-southeast-2/2024/01/02/x.json.gz"
	if _, err := backend.PutObject("far", key, nil, strings.NewReader("payload"), 7, nil); err != nil {
		t.Fatal(err)
	}

	objs := listAll(t, "s3://far/AWSLogs/", Config{S3: client})
	if len(objs) != 1 || objs[0].URI != "s3://far/"+key {
		t.Fatalf("List(s3://far/AWSLogs/) = %+v; want %s", objs, key)
	}
	rc, err := objs[0].Open(context.Background())
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(b) != "payload" {
		t.Errorf("Open() read %q, %v; want payload", b, err)
	}
	if n := redirects.Load(); n != 1 {
		t.Errorf("redirects = %d; want 1 (the first list call only)", n)
	}
}

// TestOpenChanged plays S3's answer to a GET whose If-Match no longer
// matches: the object was overwritten since it was listed.
func TestOpenChanged(t *testing.T) {
	var sawIfMatch atomic.Value
	_, endpoint := fakeS3(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Path == "/bkt/k" {
				sawIfMatch.Store(r.Header.Get("If-Match"))
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusPreconditionFailed)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	awsEnv(t, endpoint, "us-east-1")
	client := newTestClient(t)
	createBucket(t, client, "bkt")
	putObject(t, client, "bkt", "k", []byte("v1"))
	objs := listAll(t, "s3://bkt/k", Config{S3: client})
	if len(objs) != 1 {
		t.Fatalf("List(s3://bkt/k) = %d objects; want 1", len(objs))
	}
	_, err := objs[0].Open(context.Background())
	if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "s3://bkt/k") {
		t.Errorf("Open(changed) = %v; want ErrChanged naming s3://bkt/k", err)
	}
	if got, want := sawIfMatch.Load(), `"`+md5hex([]byte("v1"))+`"`; got != want {
		t.Errorf("If-Match = %v; want %s", got, want)
	}
}

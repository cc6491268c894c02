package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

const flowHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

func flowLines(n, first int) string {
	s := flowHeader
	for i := range n {
		s += fmt.Sprintf("2 111111111111 eni-0aaaabbbbccccdddd 10.0.0.%d 203.0.113.9 %d 443 6 1 100 1741227120 1741227180 ACCEPT OK\n", (first+i)%250+1, 1024+first+i)
	}
	return s
}

// waitCount polls q until it returns want, for at most 30 s.
func waitCount(t *testing.T, st *store.Store, q string, want int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := st.Query(context.Background(), q, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Rows[0][0].(int64); got == want {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%s = %d after 30 s; want %d", q, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func awsEnv(t *testing.T, endpoint string) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL": endpoint, "AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "",
	} {
		t.Setenv(k, v)
	}
}

// TestWatchS3 watches a prefix of an S3-protocol server on loopback: objects
// put after the watcher started are ingested on the next poll, once.
func TestWatchS3(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	awsEnv(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, Credentials: aws.AnonymousCredentials{}})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("logs")}); err != nil {
		t.Fatal(err)
	}
	put := func(key, body string) {
		t.Helper()
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("logs"), Key: aws.String(key), Body: bytes.NewReader([]byte(body))}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := NewWatcher(st, WatchConfig{Sources: []string{"s3://logs/AWSLogs/"}, Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()

	put("AWSLogs/111111111111/vpcflowlogs/us-east-1/2025/03/06/a.log", flowLines(3, 0))
	waitCount(t, st, "SELECT count(*) FROM flow_logs", 3)
	put("AWSLogs/111111111111/vpcflowlogs/us-east-1/2025/03/06/b.log", flowLines(4, 10))
	put("elsewhere/c.log", flowLines(5, 20)) // outside the watched prefix
	waitCount(t, st, "SELECT count(*) FROM flow_logs", 7)
	// Later polls add nothing.
	time.Sleep(400 * time.Millisecond)
	waitCount(t, st, "SELECT count(*) FROM ingested_objects", 2)

	ws, err := w.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Source != "s3://logs/AWSLogs/" || ws[0].Objects != 2 || ws[0].Records != 7 || ws[0].LastPoll == nil || ws[0].LastError != "" {
		t.Errorf("status = %+v; want the prefix with 2 objects, 7 records, polled, no error", ws)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("watcher did not stop")
	}
}

// TestWatchReportsErrors keeps polling a source that fails and says why.
func TestWatchReportsErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "junk.log"), []byte("this is not a log\n"), 0o644)
	w, err := NewWatcher(st, WatchConfig{Sources: []string{dir, filepath.Join(dir, "missing")}, Interval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go w.Run(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ws, err := w.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ws[0].LastPoll != nil && ws[1].LastPoll != nil {
			if ws[0].LastError == "" || ws[1].LastError == "" {
				t.Errorf("status = %+v; want errors for the unreadable file and the missing folder", ws)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no poll within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// defaultRegion is where a client with no configured region starts; a bucket
// elsewhere is found through S3's redirect (see listS3).
const defaultRegion = "us-east-1"

// NewS3Client builds an S3 client from the user's standard AWS configuration
// (profiles, environment keys, SSO, region, AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_S3), so gumshoe needs no setup of its own. With no region
// configured it uses us-east-1 instead of failing, since reading logs should
// not require one. When an endpoint override is in effect it switches to
// path-style addressing, which S3-compatible stores (MinIO, LocalStack,
// Ceph) need.
func NewS3Client(ctx context.Context) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// NewFromConfig has resolved every endpoint source (global and
		// S3-specific, environment and shared config) into BaseEndpoint by
		// the time it applies our options.
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	}), nil
}

func isS3URI(uri string) bool {
	return len(uri) >= 5 && strings.EqualFold(uri[:5], "s3://")
}

// splitS3URI splits s3://bucket[/prefix].
func splitS3URI(uri string) (bucket, prefix string, err error) {
	bucket, prefix, _ = strings.Cut(uri[5:], "/")
	if bucket == "" {
		return "", "", errors.New("missing bucket name (want s3://bucket[/prefix])")
	}
	return bucket, prefix, nil
}

func listS3(ctx context.Context, uri, bucket, prefix string, cfg Config, fn func(Object) error) error {
	client := cfg.S3
	if client == nil {
		c, err := NewS3Client(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", uri, err)
		}
		client = c
	}
	l := s3Lister{client: client, bucket: bucket, prefix: prefix, cfg: cfg}
	started, err := l.list(ctx, fn)
	if err != nil && !started {
		// Log buckets often live in another region than the user's default
		// (a central logging account). AWS answers such a request with the
		// bucket's region in a header; S3-compatible stores never do.
		if r := bucketRegion(err); r != "" && r != client.Options().Region {
			l.region = r
			_, err = l.list(ctx, fn)
		}
	}
	if err == nil || started {
		return err
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("list %s: bucket %s does not exist: %w", uri, bucket, err)
		case "AccessDenied", "AllAccessDisabled":
			return fmt.Errorf("list %s: access denied (need s3:ListBucket on %s): %w", uri, bucket, err)
		}
	}
	return fmt.Errorf("list %s: %w", uri, err)
}

type s3Lister struct {
	client         *s3.Client
	bucket, prefix string
	region         string
	cfg            Config
}

// list pages through ListObjectsV2. started reports whether fn was called,
// after which errors (fn's own, or a later page's) are returned unchanged
// or with context, and never retried.
func (l *s3Lister) list(ctx context.Context, fn func(Object) error) (started bool, err error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(l.bucket)}
	if l.prefix != "" {
		in.Prefix = aws.String(l.prefix)
	}
	if l.cfg.pageSize > 0 {
		in.MaxKeys = aws.Int32(l.cfg.pageSize)
	}
	p := s3.NewListObjectsV2Paginator(l.client, in, func(o *s3.ListObjectsV2PaginatorOptions) {
		o.StopOnDuplicateToken = true
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, regionOpt(l.region)...)
		if err != nil {
			if started {
				return true, fmt.Errorf("list s3://%s/%s: %w", l.bucket, l.prefix, err)
			}
			return false, err
		}
		for _, c := range page.Contents {
			key := aws.ToString(c.Key)
			size := aws.ToInt64(c.Size)
			if strings.HasSuffix(key, "/") && size == 0 {
				continue
			}
			o := Object{
				URI:      "s3://" + l.bucket + "/" + key,
				Size:     size,
				ETag:     strings.Trim(aws.ToString(c.ETag), `"`),
				Modified: aws.ToTime(c.LastModified).UTC(),
				Layout:   ParseKey(key),
				client:   l.client,
				bucket:   l.bucket,
				key:      key,
				region:   l.region,
				tempDir:  l.cfg.TempDir,
				memLimit: l.cfg.memLimit,
			}
			started = true
			if err := fn(o); err != nil {
				return true, err
			}
		}
	}
	return started, nil
}

// bucketRegion returns the region S3 names in an error response
// (x-amz-bucket-region), or "".
func bucketRegion(err error) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.Response.Response != nil {
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}

func regionOpt(region string) []func(*s3.Options) {
	if region == "" {
		return nil
	}
	return []func(*s3.Options){func(o *s3.Options) { o.Region = region }}
}

// getOpts are the per-request options of GetObject. The SDK otherwise
// prints a line for every object that has no stored checksum (most log
// objects); library code must not print, and it is not actionable.
func (o Object) getOpts() []func(*s3.Options) {
	return append(regionOpt(o.region), func(so *s3.Options) {
		so.DisableLogOutputChecksumValidationSkipped = true
	})
}

func (o Object) openS3(ctx context.Context) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key)}
	if o.ETag != "" {
		in.IfMatch = aws.String(`"` + o.ETag + `"`)
	}
	out, err := o.client.GetObject(ctx, in, o.getOpts()...)
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			switch apiErr.ErrorCode() {
			case "PreconditionFailed":
				return nil, fmt.Errorf("open %s: %w: %w", o.URI, ErrChanged, err)
			case "NoSuchKey":
				return nil, fmt.Errorf("open %s: object does not exist: %w", o.URI, err)
			}
		}
		return nil, fmt.Errorf("open %s: %w", o.URI, err)
	}
	return out.Body, nil
}

func (o Object) openS3ReaderAt(ctx context.Context) (ReaderAtCloser, error) {
	limit := o.memLimit
	if limit <= 0 {
		limit = DefaultMemLimit
	}
	body, err := o.openS3(ctx)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	if o.Size <= limit {
		var buf bytes.Buffer
		buf.Grow(int(max(o.Size, 0)) + bytes.MinRead)
		if _, err := buf.ReadFrom(body); err != nil {
			return nil, fmt.Errorf("download %s: %w", o.URI, err)
		}
		return &memReaderAt{b: buf.Bytes()}, nil
	}
	f, err := os.CreateTemp(o.tempDir, "gumshoe-s3-*")
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", o.URI, err)
	}
	r := &fileReaderAt{f: f, remove: true}
	n, err := io.Copy(f, body)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("download %s to %s: %w", o.URI, f.Name(), err)
	}
	r.size = n
	return r, nil
}

package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
)

// CloudWatch Logs is read as one object per (log stream, UTC hour). Events
// keep arriving in a stream for as long as its ENI or trail lives, so a
// stream is never finished; a past hour of it is, which is what lets the
// ledger treat an object as immutable and skip it on the next run.
const (
	cwlScheme = "cwl://"

	// cwlSettle is how far behind now the default (and latest) end of a
	// listing is: flow log records reach CloudWatch Logs several minutes
	// after their capture window closes, and an hour listed before its
	// records arrived would be recorded in the ledger without them.
	cwlSettle = 15 * time.Minute

	// cwlDefaultWindow is the listing window when the URI gives no start.
	cwlDefaultWindow = 24 * time.Hour

	// cwlLastEventSlack widens the hours listed for a stream past its
	// lastEventTimestamp, which CloudWatch Logs updates eventually
	// ("typically in less than an hour").
	cwlLastEventSlack = time.Hour

	// cwlMaxAttempts is the retryer's attempt budget. FilterLogEvents
	// allows only a few requests per second per account and region, so
	// parallel ingest is throttled routinely and must wait, not fail.
	cwlMaxAttempts = 10

	// cwlHourFormat is how an object URI names its hour.
	cwlHourFormat = "2006-01-02T15"
)

// NewCWLClient builds a CloudWatch Logs client from the user's standard AWS
// configuration (profiles, environment keys, SSO, region, AWS_ENDPOINT_URL
// and AWS_ENDPOINT_URL_CLOUDWATCH_LOGS), like NewS3Client. Its retryer
// allows more attempts than the SDK's default and has no retry quota,
// because throttling (ThrottlingException) is the normal state of a
// CloudWatch Logs read at ingest's parallelism. Unlike S3, a log group
// lives in one region, so List refuses to guess one (see List).
func NewCWLClient(ctx context.Context) (*cloudwatchlogs.Client, error) {
	return newCWLClient(ctx, nil)
}

// newCWLClient is NewCWLClient with the retryer's backoff replaced, so
// that tests exercise the real retryer without sleeping.
func newCWLClient(ctx context.Context, backoff retry.BackoffDelayer) (*cloudwatchlogs.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	attempts := max(cwlMaxAttempts, cfg.RetryMaxAttempts)
	return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.RateLimiter = ratelimit.None
			if backoff != nil {
				so.Backoff = backoff
			}
		})
	}), nil
}

// cwlRef is what an Object needs to read one hour of one log stream.
type cwlRef struct {
	client *cloudwatchlogs.Client
	group  string
	stream string
	region string // "" when the client's own
	hour   time.Time
}

// IsCWL reports whether the object is an hour of a CloudWatch Logs stream.
// Such an object has no ETag, checksum or size (Size is -1): its URI and
// Modified (the hour) are its whole identity, which holds because List
// only lists hours that are over.
func (o Object) IsCWL() bool { return o.cwl != nil }

func isCWLURI(uri string) bool {
	return len(uri) >= len(cwlScheme) && strings.EqualFold(uri[:len(cwlScheme)], cwlScheme)
}

// cwlQuery is a parsed cwl:// URI.
type cwlQuery struct {
	group        string
	streamPrefix string
	region       string
	start, end   time.Time
}

const cwlURIForm = "cwl://<log-group>[?stream=<prefix>&start=<time>&end=<time>&region=<region>]"

// parseCWLURI reads cwl://<log-group>[?stream=&start=&end=&region=]. start
// and end are RFC 3339 or Unix seconds. end defaults to, and is clamped to,
// now − cwlSettle; start defaults to end − 24 h.
func parseCWLURI(uri string, now time.Time) (cwlQuery, error) {
	var q cwlQuery
	rest := uri[len(cwlScheme):]
	group, raw, _ := strings.Cut(rest, "?")
	if group == "" {
		return q, fmt.Errorf("missing log group (want %s)", cwlURIForm)
	}
	q.group = group
	var start, end string
	seen := map[string]bool{}
	if raw != "" {
		for _, kv := range strings.Split(raw, "&") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			// PathUnescape, not QueryUnescape: a "+" is the sign of an
			// RFC 3339 offset, not an encoded space.
			v, err := url.PathUnescape(v)
			if err != nil {
				return q, fmt.Errorf("parameter %s: %w", k, err)
			}
			if seen[k] {
				return q, fmt.Errorf("parameter %s given twice", k)
			}
			seen[k] = true
			switch k {
			case "stream":
				q.streamPrefix = v
			case "start":
				start = v
			case "end":
				end = v
			case "region":
				if v != "" && !isRegion(v) {
					return q, fmt.Errorf("region %q is not an AWS region name", v)
				}
				q.region = v
			default:
				return q, fmt.Errorf("unknown parameter %q (want %s)", k, cwlURIForm)
			}
		}
	}
	latest := now.UTC().Add(-cwlSettle)
	q.end = latest
	if end != "" {
		t, err := parseCWLTime(end)
		if err != nil {
			return q, fmt.Errorf("end: %w", err)
		}
		// Hours closer to now are still filling; listing them would put
		// incomplete objects in the ledger for good.
		if t.Before(latest) {
			q.end = t
		}
	}
	q.start = q.end.Add(-cwlDefaultWindow)
	if start != "" {
		t, err := parseCWLTime(start)
		if err != nil {
			return q, fmt.Errorf("start: %w", err)
		}
		q.start = t
	}
	if !q.start.Before(q.end) {
		return q, fmt.Errorf("start %s is not before end %s (end is at most now − %v, while CloudWatch Logs still receives events)",
			q.start.Format(time.RFC3339), q.end.Format(time.RFC3339), cwlSettle)
	}
	return q, nil
}

// parseCWLTime reads RFC 3339 or Unix seconds, between 1970 and 9999 so
// that milliseconds cannot overflow.
func parseCWLTime(s string) (time.Time, error) {
	var t time.Time
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 253402300799 {
			return t, fmt.Errorf("%s is out of range", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fmt.Errorf("%q is neither an RFC 3339 time nor Unix seconds", s)
	}
	if t.Before(time.Unix(0, 0)) {
		return t, fmt.Errorf("%s is before 1970", s)
	}
	return t.UTC(), nil
}

// hours returns the hours of the window to list, [first, last): every UTC
// hour that overlaps [start, end) and is over by end. A window inside one
// hour lists nothing.
func (q cwlQuery) hours() (first, last time.Time) {
	return q.start.Truncate(time.Hour), q.end.Truncate(time.Hour)
}

// streamHours narrows [first, last) to the hours in which the stream can
// have events, from its first event to its last (widened by
// cwlLastEventSlack, and by lastIngestionTime, since lastEventTimestamp
// lags). A stream with neither timestamp has no events.
func streamHours(s types.LogStream, first, last time.Time) (lo, hi time.Time) {
	lo, hi = first, last
	lastMS := s.LastEventTimestamp
	if t := s.LastIngestionTime; t != nil && (lastMS == nil || *t > *lastMS) {
		lastMS = t
	}
	if s.FirstEventTimestamp == nil && lastMS == nil {
		return lo, lo
	}
	if f := s.FirstEventTimestamp; f != nil {
		if t := time.UnixMilli(*f).UTC().Truncate(time.Hour); t.After(lo) {
			lo = t
		}
	}
	if lastMS != nil {
		if t := time.UnixMilli(*lastMS).UTC().Truncate(time.Hour).Add(time.Hour + cwlLastEventSlack); t.Before(hi) {
			hi = t
		}
	}
	return lo, hi
}

// cwlObjectURI names one hour of one stream. The stream is path-escaped
// ("/" and "?" are legal in stream names, never in group names), so the
// group, stream and hour can be told apart; the region is part of the
// name because the same group and stream names recur across regions.
func cwlObjectURI(group, stream, region string, hour time.Time) string {
	return cwlScheme + group + "/" + url.PathEscape(stream) +
		"?hour=" + hour.Format(cwlHourFormat) + "&region=" + region
}

func cwlRegionOpt(region string) []func(*cloudwatchlogs.Options) {
	if region == "" {
		return nil
	}
	return []func(*cloudwatchlogs.Options){func(o *cloudwatchlogs.Options) { o.Region = region }}
}

// listCWL lists a log group's streams with DescribeLogStreams (in stream
// name order, filtered by prefix) and, for each stream, its hours in the
// window in time order.
func listCWL(ctx context.Context, uri string, cfg Config, fn func(Object) error) error {
	q, err := parseCWLURI(uri, time.Now())
	if err != nil {
		return fmt.Errorf("list %s: %w", uri, err)
	}
	client := cfg.CWL
	if client == nil {
		c, err := NewCWLClient(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", uri, err)
		}
		client = c
	}
	region := q.region
	if region == "" {
		region = client.Options().Region
	}
	if region == "" {
		return fmt.Errorf("list %s: no AWS region configured (set AWS_REGION, a profile region, or &region= in the URI): log groups are regional", uri)
	}
	first, last := q.hours()
	if !first.Before(last) {
		return nil
	}
	opts := cwlRegionOpt(q.region)
	in := &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(q.group)}
	if q.streamPrefix != "" {
		in.LogStreamNamePrefix = aws.String(q.streamPrefix)
	}
	p := cloudwatchlogs.NewDescribeLogStreamsPaginator(client, in, func(o *cloudwatchlogs.DescribeLogStreamsPaginatorOptions) {
		o.StopOnDuplicateToken = true
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, opts...)
		if err != nil {
			return fmt.Errorf("list %s: %w", uri, cwlError(err, "logs:DescribeLogStreams", q.group, region))
		}
		for _, s := range page.LogStreams {
			if err := ctx.Err(); err != nil {
				return err
			}
			stream := aws.ToString(s.LogStreamName)
			if stream == "" {
				continue
			}
			lo, hi := streamHours(s, first, last)
			for h := lo; h.Before(hi); h = h.Add(time.Hour) {
				o := Object{
					URI:      cwlObjectURI(q.group, stream, region, h),
					Size:     -1,
					Modified: h,
					Layout:   Layout{Region: region},
					cwl: &cwlRef{
						client: client,
						group:  q.group,
						stream: stream,
						region: q.region,
						hour:   h,
					},
				}
				if err := fn(o); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// cwlError adds what the user can do about the common failures.
func cwlError(err error, action, group, region string) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ResourceNotFoundException":
			return fmt.Errorf("log group %s (or stream) does not exist in %s: %w", group, region, err)
		case "AccessDeniedException":
			return fmt.Errorf("access denied (need %s on log group %s): %w", action, group, err)
		}
	}
	return err
}

// openCWL reads the stream's events of the hour with FilterLogEvents, one
// message per line, fetching pages as they are read. The first page is
// fetched here, so that a missing group or a denied permission is an
// error from Open rather than from the first Read.
func (o Object) openCWL(ctx context.Context) (io.ReadCloser, error) {
	c := o.cwl
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open %s: %w", o.URI, err)
	}
	from := c.hour.UnixMilli()
	to := c.hour.Add(time.Hour).UnixMilli()
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName:   aws.String(c.group),
		LogStreamNames: []string{c.stream},
		StartTime:      aws.Int64(from),
		// FilterLogEvents' endTime is inclusive: stop short of the next
		// hour, whose object owns an event at its first millisecond.
		EndTime: aws.Int64(to - 1),
	}
	r := &cwlReader{
		ctx: ctx,
		uri: o.URI,
		pages: cloudwatchlogs.NewFilterLogEventsPaginator(c.client, in, func(po *cloudwatchlogs.FilterLogEventsPaginatorOptions) {
			po.StopOnDuplicateToken = true
		}),
		opts:   cwlRegionOpt(c.region),
		group:  c.group,
		region: c.region,
		from:   from,
		to:     to,
	}
	if r.region == "" {
		r.region = c.client.Options().Region
	}
	if err := r.fetch(); err != nil {
		return nil, fmt.Errorf("open %s: %w", o.URI, err)
	}
	return r, nil
}

// cwlReader streams the messages of FilterLogEvents pages as lines.
type cwlReader struct {
	ctx           context.Context
	uri           string
	pages         *cloudwatchlogs.FilterLogEventsPaginator
	opts          []func(*cloudwatchlogs.Options)
	group, region string
	from, to      int64 // [from, to) in Unix milliseconds

	buf       []byte
	off       int
	err       error // sticky; io.EOF after the last page
	flattened int
}

func (r *cwlReader) Read(p []byte) (int, error) {
	for r.off >= len(r.buf) {
		if r.err != nil {
			return 0, r.err
		}
		if err := r.fetch(); err != nil {
			r.err = fmt.Errorf("read %s: %w", r.uri, err)
		}
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// fetch replaces the buffer with the next page's messages, or sets
// io.EOF after the last page. Pages may be empty while more remain: only an
// empty nextToken ends the hour.
func (r *cwlReader) fetch() error {
	r.buf, r.off = r.buf[:0], 0
	if !r.pages.HasMorePages() {
		r.err = io.EOF
		return nil
	}
	page, err := r.pages.NextPage(r.ctx, r.opts...)
	if err != nil {
		return cwlError(err, "logs:FilterLogEvents", r.group, r.region)
	}
	for _, e := range page.Events {
		// Keep the hour's bounds even if a server treats endTime
		// differently: each event belongs to exactly one object.
		if ts := aws.ToInt64(e.Timestamp); ts < r.from || ts >= r.to {
			continue
		}
		var flat bool
		r.buf, flat = appendLine(r.buf, aws.ToString(e.Message))
		if flat {
			r.flattened++
		}
	}
	return nil
}

// Flattened implements Flattener.
func (r *cwlReader) Flattened() int { return r.flattened }

func (r *cwlReader) Close() error {
	r.buf, r.off = nil, 0
	if r.err == nil || r.err == io.EOF {
		r.err = fmt.Errorf("read %s: %w", r.uri, errClosed)
	}
	return nil
}

var errClosed = errors.New("reader closed")

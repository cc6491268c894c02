package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// BaselineDays is the length of the baseline before a scope, as in
// Amazon Detective.
const BaselineDays = 45

// FindingMargin widens a finding's first/last seen on each side when it
// sets the scope, so that what led up to it and followed it is in view.
const FindingMargin = time.Hour

// MaxScope bounds a scope's length.
const MaxScope = 400 * 24 * time.Hour

// ErrInvalid marks a request the engine cannot answer as asked (a bad
// time, filter or row); the API answers it with 400.
var ErrInvalid = errors.New("invalid request")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Scope is the time an investigation looks at, at minute precision, with
// the baseline before it and the bucket its timelines use.
type Scope struct {
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	BaselineStart time.Time `json:"baseline_start"`
	// BucketSeconds is the timeline bucket chosen from the scope's
	// length.
	BucketSeconds int64 `json:"bucket_seconds"`
	// Source says where the scope came from: "request", "entity_default"
	// (the last 24 hours) or "finding" (its first/last seen, widened by
	// FindingMargin).
	Source string `json:"source"`
}

// Bucket returns the timeline bucket.
func (s Scope) Bucket() time.Duration { return time.Duration(s.BucketSeconds) * time.Second }

// bucketSizes are the timeline buckets, smallest first.
var bucketSizes = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}

// maxBuckets bounds the buckets of a timeline: the smallest bucket that
// keeps a scope within it is chosen.
const maxBuckets = 200

// BucketFor chooses the timeline bucket for a scope of length d.
func BucketFor(d time.Duration) time.Duration {
	for _, b := range bucketSizes {
		if d <= b*maxBuckets {
			return b
		}
	}
	return bucketSizes[len(bucketSizes)-1]
}

// NewScope returns the scope [start, end), both truncated to the minute.
func NewScope(start, end time.Time) (Scope, error) {
	start, end = start.UTC().Truncate(time.Minute), end.UTC().Truncate(time.Minute)
	if !end.After(start) {
		return Scope{}, invalid("scope end %s is not after its start %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	if end.Sub(start) > MaxScope {
		return Scope{}, invalid("scope longer than %d days", int(MaxScope/(24*time.Hour)))
	}
	return Scope{
		Start:         start,
		End:           end,
		BaselineStart: start.Add(-BaselineDays * 24 * time.Hour),
		BucketSeconds: int64(BucketFor(end.Sub(start)) / time.Second),
		Source:        "request",
	}, nil
}

// EntityScope is an entity profile's default scope: the 24 hours up to
// now (to the minute, the current minute included).
func EntityScope(now time.Time) Scope {
	end := now.UTC().Truncate(time.Minute).Add(time.Minute)
	s, _ := NewScope(end.Add(-24*time.Hour), end)
	s.Source = "entity_default"
	return s
}

// FindingScope is the default scope for a finding: its first to last
// seen, widened by FindingMargin on each side and rounded out to whole
// minutes. A finding without times gets EntityScope(now).
func FindingScope(first, last *time.Time, now time.Time) Scope {
	if first == nil && last == nil {
		return EntityScope(now)
	}
	if first == nil {
		first = last
	}
	if last == nil {
		last = first
	}
	start := first.UTC().Add(-FindingMargin).Truncate(time.Minute)
	end := last.UTC().Add(FindingMargin)
	if t := end.Truncate(time.Minute); !t.Equal(end) {
		end = t.Add(time.Minute)
	}
	s, err := NewScope(start, end)
	if err != nil {
		// Only a finding seen over more than MaxScope gets here: keep
		// its most recent MaxScope.
		s, _ = NewScope(end.Add(-MaxScope), end)
	}
	s.Source = "finding"
	return s
}

// timeLayouts are the forms ParseTime accepts, all UTC unless the value
// says otherwise.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

// ParseTime reads a scope bound: RFC 3339, or a date and time to the
// minute (UTC), or a date. The result is truncated to the minute.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Minute), nil
		}
	}
	return time.Time{}, invalid("time %q: want RFC 3339 (2025-03-06T02:00Z) or YYYY-MM-DD[THH:MM]", s)
}

// hourWindow widens [start, end) to whole hours: the flow rollup's grain.
func hourWindow(start, end time.Time) (time.Time, time.Time) {
	s := start.Truncate(time.Hour)
	e := end.Truncate(time.Hour)
	if e.Before(end) {
		e = e.Add(time.Hour)
	}
	return s, e
}

// buckets lists the bucket starts from start (aligned to it) to end.
// (Flow panels use alignedBuckets.)
func buckets(start, end time.Time, size time.Duration) []time.Time {
	var out []time.Time
	for t := start; t.Before(end); t = t.Add(size) {
		out = append(out, t)
	}
	return out
}

// alignedBuckets lists the bucket starts from start to end on the UTC grid
// of size (a size dividing a day): the first bucket starts at start, cut
// short when start is not on the grid.
func alignedBuckets(start, end time.Time, size time.Duration) []time.Time {
	var out []time.Time
	for t := start; t.Before(end); t = t.Truncate(size).Add(size) {
		out = append(out, t)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

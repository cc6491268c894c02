// Package engine answers an investigation's questions over the store:
// scope time and baselines, entity profile panels, flow details with
// finding annotations, filters and series, the raw records behind any
// aggregate, and search across identifiers. It follows Amazon Detective's
// semantics (see docs/api.md) with exact counts and minute-precision
// scopes. Flow panels read the hourly rollup for the whole hours of a
// scope and the raw records only for the minutes of its partial hours
// (and for buckets shorter than an hour); the raw-records drill-down
// reads flow_logs.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// Engine answers investigation questions over one store.
type Engine struct {
	st   *store.Store
	now  func() time.Time
	log  *slog.Logger
	seen seenCache
}

// Options configures New.
type Options struct {
	// Now is the clock (default time.Now); entity scopes end at it.
	Now    func() time.Time
	Logger *slog.Logger
}

// New returns an engine over st.
func New(st *store.Store, opts Options) (*Engine, error) {
	if st == nil {
		return nil, errors.New("engine: no store")
	}
	e := &Engine{st: st, now: opts.Now, log: opts.Logger}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e, nil
}

// ErrNotFound is returned for an entity or finding that does not exist.
var ErrNotFound = store.ErrNotFound

// ErrNotApplicable is returned for a panel that an entity type does not
// have (flow details of a user agent, say).
var ErrNotApplicable = errors.New("panel does not apply to this entity type")

// Panel names.
const (
	PanelDetails    = "details"
	PanelFindings   = "findings"
	PanelAPICalls   = "api-calls"
	PanelObserved   = "observed"
	PanelRoles      = "roles"
	PanelBuckets    = "buckets"
	PanelFlowVolume = "flow-volume"
	PanelFlows      = "flows"
)

// ObservedKinds are the dimensions of the observed panel.
var ObservedKinds = []string{"ips", "geolocations", "asos", "user-agents", "api-calls"}

// principals are the entity types that make API calls.
var principals = []string{"iam_user", "role_session", "iam_role", "root", "federated_user", "account", "access_key", "instance"}

// Panels lists the panels an entity type has.
func Panels(entityType string) []string {
	p := []string{PanelDetails, PanelFindings}
	if store.HasEvents(entityType) {
		p = append(p, PanelAPICalls, PanelObserved)
	}
	if slices.Contains(principals, entityType) {
		p = append(p, PanelRoles)
	}
	if store.HasEvents(entityType) && entityType != "s3_bucket" {
		p = append(p, PanelBuckets)
	}
	if flowEntity(entityType) {
		p = append(p, PanelFlowVolume, PanelFlows)
	}
	return p
}

func flowEntity(t string) bool { return t == "instance" || t == "interface" || t == "ip" }

// Entity returns an entity by ID, with its first and last seen.
func (e *Engine) Entity(ctx context.Context, id string) (*store.Entity, error) {
	return e.st.EntityByID(ctx, id)
}

// EntityRef returns an entity's type and key, having checked that it
// exists, without summing its first and last seen over all its rows: what
// the panels other than details need.
func (e *Engine) EntityRef(ctx context.Context, id string) (*store.Entity, error) {
	return e.st.EntityRef(ctx, id)
}

// need checks that an entity has a panel.
func need(ent *store.Entity, panel string) error {
	if !slices.Contains(Panels(ent.Type), panel) {
		return fmt.Errorf("%w: %s has no %s panel", ErrNotApplicable, ent.Type, panel)
	}
	return nil
}

// DefaultScope returns the scope a profile opens with: the finding's
// window for a finding entity, else the last 24 hours, or the last day of
// the entity's activity when that ended before them (see IdleScope). An
// entity without its last seen (from EntityRef) has it looked up.
func (e *Engine) DefaultScope(ctx context.Context, ent *store.Entity) (Scope, error) {
	if ent.Type == "finding" {
		f, err := e.st.FindingByID(ctx, ent.NaturalKey)
		if err != nil {
			return Scope{}, err
		}
		return FindingScope(f.FirstSeen, f.LastSeen, e.now()), nil
	}
	last := ent.LastSeen
	if last == nil {
		var err error
		if last, err = e.lastSeen(ctx, ent.ID); err != nil {
			return Scope{}, err
		}
	}
	return IdleScope(e.now(), last), nil
}

// seenTTL is how long a looked-up last seen is reused: a profile opened
// without a scope asks every panel at once, each with the default scope.
const seenTTL = 30 * time.Second

// seenCache shares store.LastSeen lookups between concurrent requests and
// keeps their answers for seenTTL.
type seenCache struct {
	mu sync.Mutex
	m  map[string]*seenEntry
}

type seenEntry struct {
	done chan struct{}
	at   time.Time
	last *time.Time
	err  error
}

// lastSeen returns store.LastSeen(id), read once for concurrent callers
// and reused for seenTTL. The lookup runs to its end even when the
// request that started it is cancelled: others may be waiting for it.
func (e *Engine) lastSeen(ctx context.Context, id string) (*time.Time, error) {
	c := &e.seen
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*seenEntry{}
	}
	ent, ok := c.m[id]
	if !ok || (ent.err == nil && !ent.at.IsZero() && time.Since(ent.at) > seenTTL) {
		if len(c.m) > 4096 {
			for k, v := range c.m {
				if !v.at.IsZero() && time.Since(v.at) > seenTTL {
					delete(c.m, k)
				}
			}
		}
		ent = &seenEntry{done: make(chan struct{})}
		c.m[id] = ent
		c.mu.Unlock()
		last, err := e.st.LastSeen(context.WithoutCancel(ctx), id)
		c.mu.Lock()
		ent.last, ent.err, ent.at = last, err, time.Now()
		if err != nil {
			delete(c.m, id)
		}
		c.mu.Unlock()
		close(ent.done)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-ent.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if ent.last == nil {
		return nil, ent.err
	}
	t := *ent.last
	return &t, ent.err
}

// IdleScope is an entity's default scope: EntityScope(now), unless the
// entity was last seen before that starts (more than a day ago); then
// the 24 hours up to its last activity, the minute of it included (its
// last seen truncated to the minute, plus one), with Source
// "entity_last_activity". Without a last seen it is EntityScope(now).
func IdleScope(now time.Time, lastSeen *time.Time) Scope {
	sc := EntityScope(now)
	if lastSeen == nil || !lastSeen.Before(sc.Start) {
		return sc
	}
	end := lastSeen.UTC().Truncate(time.Minute).Add(time.Minute)
	idle, err := NewScope(end.Add(-24*time.Hour), end)
	if err != nil {
		return sc
	}
	idle.Source = "entity_last_activity"
	return idle
}

// ScopeForFinding returns a finding's default scope.
func (e *Engine) ScopeForFinding(ctx context.Context, id string) (Scope, *store.Finding, error) {
	f, err := e.st.FindingByID(ctx, id)
	if err != nil {
		return Scope{}, nil, err
	}
	return FindingScope(f.FirstSeen, f.LastSeen, e.now()), f, nil
}

// Details is the details panel: the entity, its related entities in
// scope and the panels it has.
type Details struct {
	Entity     *store.Entity     `json:"entity"`
	Scope      Scope             `json:"scope"`
	Panels     []string          `json:"panels"`
	Related    []store.Neighbour `json:"related"`
	RelatedCap int               `json:"related_limit"`
}

// maxRelated bounds the related entities of the details panel.
const maxRelated = 200

// Details returns the details panel.
func (e *Engine) Details(ctx context.Context, ent *store.Entity, sc Scope) (*Details, error) {
	rel, err := e.st.Neighbours(ctx, ent.ID, sc.Start, sc.End, maxRelated)
	if err != nil {
		return nil, err
	}
	return &Details{Entity: ent, Scope: sc, Panels: Panels(ent.Type), Related: rel, RelatedCap: maxRelated}, nil
}

// Findings is the associated-findings panel.
func (e *Engine) Findings(ctx context.Context, ent *store.Entity) ([]store.Finding, error) {
	return e.st.EntityFindings(ctx, ent.ID)
}

// APICallBucket is one bucket of the API call volume panel.
type APICallBucket struct {
	Start   time.Time `json:"start"`
	Success int64     `json:"success"`
	Failure int64     `json:"failure"`
}

// APICalls is the overall API call volume panel.
type APICalls struct {
	Scope        Scope           `json:"scope"`
	Buckets      []APICallBucket `json:"buckets"`
	TotalSuccess int64           `json:"total_success"`
	TotalFailure int64           `json:"total_failure"`
	// The baseline's calls, and their average per bucket (6 decimals).
	BaselineSuccess    int64   `json:"baseline_success"`
	BaselineFailure    int64   `json:"baseline_failure"`
	BaselineAvgSuccess float64 `json:"baseline_avg_success"`
	BaselineAvgFailure float64 `json:"baseline_avg_failure"`
}

// APICalls returns the API call volume panel: successful and failed calls
// per bucket of the scope, and the baseline's average per bucket.
func (e *Engine) APICalls(ctx context.Context, ent *store.Entity, sc Scope) (*APICalls, error) {
	if err := need(ent, PanelAPICalls); err != nil {
		return nil, err
	}
	got, okBase, failBase, err := e.st.APICallVolume(ctx, ent.Type, ent.NaturalKey, sc.BaselineStart, sc.Start, sc.End, sc.Bucket())
	if err != nil {
		return nil, err
	}
	n := float64(sc.Start.Sub(sc.BaselineStart)) / float64(sc.Bucket())
	by := map[time.Time]store.APIBucket{}
	for _, b := range got {
		by[b.Start.UTC()] = b
	}
	out := &APICalls{Scope: sc, Buckets: []APICallBucket{}, BaselineSuccess: okBase, BaselineFailure: failBase,
		BaselineAvgSuccess: round6(float64(okBase) / n), BaselineAvgFailure: round6(float64(failBase) / n)}
	for _, t := range buckets(sc.Start, sc.End, sc.Bucket()) {
		b := by[t]
		out.Buckets = append(out.Buckets, APICallBucket{Start: t, Success: b.Success, Failure: b.Failure})
		out.TotalSuccess += b.Success
		out.TotalFailure += b.Failure
	}
	return out, nil
}

func round6(f float64) float64 {
	return math.Round(f*1e6) / 1e6
}

// ObservedValue is one row of an observed panel.
type ObservedValue struct {
	Value         string         `json:"value"`
	Detail        map[string]any `json:"detail,omitempty"`
	Success       int64          `json:"success"`
	Failure       int64          `json:"failure"`
	FirstSeen     time.Time      `json:"first_seen"`
	LastSeen      time.Time      `json:"last_seen"`
	NewlyObserved bool           `json:"newly_observed"`
}

// Observed is an observed-values panel (IP addresses, geolocations, AS
// organisations, user agents or API calls).
type Observed struct {
	Scope  Scope           `json:"scope"`
	Kind   string          `json:"kind"`
	New    int             `json:"newly_observed"`
	Values []ObservedValue `json:"values"`
}

// Observed returns the values of kind in the entity's API calls in scope,
// each flagged newly observed when the 45-day baseline lacks it; the new
// come first.
func (e *Engine) Observed(ctx context.Context, ent *store.Entity, kind string, sc Scope) (*Observed, error) {
	if err := need(ent, PanelObserved); err != nil {
		return nil, err
	}
	if !slices.Contains(ObservedKinds, kind) {
		return nil, fmt.Errorf("%w: no observed panel %q (want one of %v)", ErrNotApplicable, kind, ObservedKinds)
	}
	got, err := e.st.ObservedValues(ctx, ent.Type, ent.NaturalKey, kind, sc.BaselineStart, sc.Start, sc.End)
	if err != nil {
		return nil, err
	}
	out := &Observed{Scope: sc, Kind: kind, Values: []ObservedValue{}}
	for _, o := range got {
		v := ObservedValue{Value: o.Value, Detail: o.Detail, Success: o.Success, Failure: o.Failure,
			FirstSeen: o.FirstSeen.UTC(), LastSeen: o.LastSeen.UTC(), NewlyObserved: !o.InBaseline}
		if v.NewlyObserved {
			out.New++
		}
		out.Values = append(out.Values, v)
	}
	return out, nil
}

// Interaction is one row of the roles or buckets panels.
type Interaction struct {
	Target        string    `json:"target"`
	Session       string    `json:"session,omitempty"`
	Operation     string    `json:"operation"`
	Caller        string    `json:"caller,omitempty"`
	Success       int64     `json:"success"`
	Failure       int64     `json:"failure"`
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`
	NewlyObserved bool      `json:"newly_observed"`
}

// Interactions is the roles-assumed or buckets-touched panel.
type Interactions struct {
	Scope Scope         `json:"scope"`
	Rows  []Interaction `json:"rows"`
}

func interactions(sc Scope, got []store.Touched, withCaller bool) *Interactions {
	out := &Interactions{Scope: sc, Rows: []Interaction{}}
	for _, t := range got {
		r := Interaction{Target: t.Target, Session: t.Session, Operation: t.Operation, Success: t.Success, Failure: t.Failure,
			FirstSeen: t.FirstSeen.UTC(), LastSeen: t.LastSeen.UTC(), NewlyObserved: !t.InBaseline}
		if withCaller {
			r.Caller = t.By
		}
		out.Rows = append(out.Rows, r)
	}
	return out
}

// Roles returns the roles an entity assumed and the sessions it started in
// scope; for a role, who assumed it.
func (e *Engine) Roles(ctx context.Context, ent *store.Entity, sc Scope) (*Interactions, error) {
	if err := need(ent, PanelRoles); err != nil {
		return nil, err
	}
	got, err := e.st.RolesAssumed(ctx, ent.Type, ent.NaturalKey, sc.BaselineStart, sc.Start, sc.End)
	if err != nil {
		return nil, err
	}
	return interactions(sc, got, ent.Type == "iam_role" || ent.Type == "account" || ent.Type == "instance"), nil
}

// Buckets returns the S3 buckets an entity called in scope, by bucket and
// operation.
func (e *Engine) Buckets(ctx context.Context, ent *store.Entity, sc Scope) (*Interactions, error) {
	if err := need(ent, PanelBuckets); err != nil {
		return nil, err
	}
	got, err := e.st.BucketsTouched(ctx, ent.Type, ent.NaturalKey, sc.BaselineStart, sc.Start, sc.End)
	if err != nil {
		return nil, err
	}
	return interactions(sc, got, false), nil
}

// EventsQuery asks for the CloudTrail events behind an entity's API call
// panels: all in scope, or one bucket's (Bucket set: its start), narrowed
// to a source address, user agent or operation ("service:EventName") when
// given.
type EventsQuery struct {
	Scope     Scope
	Bucket    *time.Time
	SourceIP  string
	UserAgent string
	Operation string
	Limit     int
	Offset    int
}

// APICallRecords returns a page of the CloudTrail events behind the API
// call volume and observed panels, with their provenance (object and
// record) and the SQL that selects them.
func (e *Engine) APICallRecords(ctx context.Context, ent *store.Entity, q EventsQuery) (*RawRecords, error) {
	if err := need(ent, PanelAPICalls); err != nil {
		return nil, err
	}
	start, end := q.Scope.Start, q.Scope.End
	if q.Bucket != nil {
		b := q.Bucket.UTC()
		off := b.Sub(start)
		if off < 0 || !b.Before(end) || off%q.Scope.Bucket() != 0 {
			return nil, invalid("bucket %s is not a bucket start of the scope %s–%s (%ds buckets)",
				b.Format(time.RFC3339), start.Format(time.RFC3339), end.Format(time.RFC3339), q.Scope.BucketSeconds)
		}
		start, end = b, b.Add(q.Scope.Bucket())
		if end.After(q.Scope.End) {
			end = q.Scope.End
		}
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxRecords {
		limit = 100
	}
	recs, err := e.st.EventRecords(ctx, store.EventsQuery{Kind: ent.Type, Key: ent.NaturalKey, Start: start, End: end,
		SourceIP: q.SourceIP, UserAgent: q.UserAgent, Operation: q.Operation, Limit: limit, Offset: max(q.Offset, 0)})
	if err != nil {
		return nil, err
	}
	return &RawRecords{Start: start, End: end, Offset: max(q.Offset, 0), Limit: limit, More: recs.More, SQL: recs.SQL,
		Records: recordMaps(recs.Result)}, nil
}

package store

// Investigations (internal/detect): what an entity did in a scope time,
// compared with the 45 days before it.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const investigationSchema = `
CREATE TABLE IF NOT EXISTS investigations (
	investigation_id VARCHAR PRIMARY KEY,
	entity           VARCHAR NOT NULL,
	entity_type      VARCHAR NOT NULL,
	created_at       TIMESTAMP NOT NULL,
	scope_start      TIMESTAMP NOT NULL,
	scope_end        TIMESTAMP NOT NULL,
	status           VARCHAR NOT NULL,
	severity         VARCHAR NOT NULL,
	state            VARCHAR NOT NULL,
	report           JSON NOT NULL
);`

// ErrNoInvestigation is returned for an unknown investigation ID.
var ErrNoInvestigation = errors.New("no such investigation")

// ctEntityFilter selects an entity's CloudTrail events; $1 is the key.
var ctEntityFilter = map[string]string{
	"iam_user":       `user_arn = $1`,
	"role_session":   `principal_id = $1`,
	"iam_role":       `session_issuer_arn = $1`,
	"root":           `user_type = 'Root' AND coalesce(account_id, recipient_account_id) = $1`,
	"access_key":     `access_key_id = $1`,
	"federated_user": `(user_arn = $1 OR principal_id = $1)`,
	"ip":             `source_ip = $1`,
	"instance":       `user_type = 'AssumedRole' AND split_part(principal_id, ':', 2) = $1`,
	"account":        `coalesce(account_id, recipient_account_id) = $1`,
}

// EntityActivity is an entity's CloudTrail calls grouped by address,
// user agent and API, with what ip_info knows of the address.
type EntityActivity struct {
	SourceIP, UserAgent, EventSource, EventName string
	AccountID                                   string
	Successes, Failures                         int64
	First, Last                                 time.Time
	Country, City, ASOrg                        string
	ASN                                         int64
	Latitude, Longitude                         float64
	HasGeo                                      bool
}

// EntityActivity returns an entity's calls in [start, end); kind is the
// entity type ("iam_user", "role_session", ...).
func (s *Store) EntityActivity(ctx context.Context, kind, key string, start, end time.Time) ([]EntityActivity, error) {
	filter, ok := ctEntityFilter[kind]
	if !ok {
		return nil, fmt.Errorf("entity activity: %w %q", ErrUnknownKind, kind)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT coalesce(e.source_ip, ''), coalesce(e.user_agent, ''), coalesce(e.event_source, ''), coalesce(e.event_name, ''),
	coalesce(any_value(coalesce(e.account_id, e.recipient_account_id)), ''),
	count(*) FILTER (WHERE e.error_code IS NULL)::BIGINT, count(*) FILTER (WHERE e.error_code IS NOT NULL)::BIGINT,
	min(e.event_time), max(e.event_time),
	coalesce(any_value(i.country), ''), coalesce(any_value(i.city), ''), coalesce(any_value(i.as_org), ''), coalesce(any_value(i.asn), 0),
	any_value(i.latitude), any_value(i.longitude)
FROM (SELECT * FROM cloudtrail_events WHERE event_time >= $2::TIMESTAMP AND event_time < $3::TIMESTAMP AND `+filter+`) e
LEFT JOIN ip_info i ON i.ip = e.source_ip
GROUP BY 1, 2, 3, 4 ORDER BY min(e.event_time)`, key, ts(start), ts(end))
	if err != nil {
		return nil, fmt.Errorf("entity activity: %w", err)
	}
	defer rows.Close()
	var out []EntityActivity
	for rows.Next() {
		var a EntityActivity
		var lat, lon sql.NullFloat64
		if err := rows.Scan(&a.SourceIP, &a.UserAgent, &a.EventSource, &a.EventName, &a.AccountID, &a.Successes, &a.Failures,
			&a.First, &a.Last, &a.Country, &a.City, &a.ASOrg, &a.ASN, &lat, &lon); err != nil {
			return nil, fmt.Errorf("entity activity: %w", err)
		}
		a.First, a.Last = a.First.UTC(), a.Last.UTC()
		a.Latitude, a.Longitude, a.HasGeo = lat.Float64, lon.Float64, lat.Valid && lon.Valid
		out = append(out, a)
	}
	return out, rows.Err()
}

// Seen is what was observed in a baseline: countries (and cities), ASNs
// and user agents, for the entity and for its accounts as a whole.
type Seen struct {
	Locations, ASNs, UserAgents                      map[string]bool
	AccountLocations, AccountASNs, AccountUserAgents map[string]bool
}

// BaselineSeen returns what the entity, and the accounts given, were seen
// with in [start, end).
func (s *Store) BaselineSeen(ctx context.Context, kind, key string, accounts []string, start, end time.Time) (*Seen, error) {
	filter, ok := ctEntityFilter[kind]
	if !ok {
		return nil, fmt.Errorf("baseline: %w %q", ErrUnknownKind, kind)
	}
	seen := &Seen{map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}}
	q := `SELECT DISTINCT coalesce(i.country || '/' || coalesce(i.city, ''), ''), coalesce(i.asn::VARCHAR, ''), coalesce(e.user_agent, '')
FROM (SELECT source_ip, user_agent FROM cloudtrail_events WHERE event_time >= $2::TIMESTAMP AND event_time < $3::TIMESTAMP AND %s) e
LEFT JOIN ip_info i ON i.ip = e.source_ip`
	load := func(where string, arg any, loc, asn, ua map[string]bool) error {
		rows, err := s.db.QueryContext(ctx, fmt.Sprintf(q, where), arg, ts(start), ts(end))
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var l, a, u string
			if err := rows.Scan(&l, &a, &u); err != nil {
				return fmt.Errorf("baseline: %w", err)
			}
			loc[l], asn[a], ua[u] = true, true, true
		}
		return rows.Err()
	}
	if err := load(filter, key, seen.Locations, seen.ASNs, seen.UserAgents); err != nil {
		return nil, err
	}
	for _, a := range accounts {
		if err := load(ctEntityFilter["account"], a, seen.AccountLocations, seen.AccountASNs, seen.AccountUserAgents); err != nil {
			return nil, err
		}
	}
	return seen, nil
}

// RelatedFinding is a finding that involves an entity.
type RelatedFinding struct {
	ID, Source, Type, Title, RemoteIP, Arn string
	Severity                               float64
	Tactic, Technique, API                 string
	First, Last                            time.Time
}

// entityFindingFilter selects the findings that involve an entity; $1 is
// the key.
var entityFindingFilter = map[string]string{
	"instance":   `instance_id = $1`,
	"ip":         `remote_ip = $1`,
	"access_key": `access_key_id = $1`,
	"role_session": `coalesce(json_extract_string(raw, '$.resource.accessKeyDetails.principalId'), json_extract_string(raw, '$.Resource.AccessKeyDetails.PrincipalId')) = $1
		OR instance_id = split_part($1, ':', 2)`,
	"iam_user": `(coalesce(json_extract_string(raw, '$.resource.accessKeyDetails.userType'), json_extract_string(raw, '$.Resource.AccessKeyDetails.UserType')) = 'IAMUser'
		AND 'arn:aws:iam::' || account_id || ':user/' || principal = $1) OR json_extract_string(raw, '$.gumshoe.evidence.principal') = $1`,
	"iam_role": `json_extract_string(raw, '$.gumshoe.evidence.principal') = $1 OR json_extract_string(raw, '$.gumshoe.evidence.role') = $1
		OR (coalesce(json_extract_string(raw, '$.resource.accessKeyDetails.userType'), json_extract_string(raw, '$.Resource.AccessKeyDetails.UserType')) = 'AssumedRole'
			AND principal = regexp_extract($1, '[^/]+$'))`,
	"root":           `coalesce(json_extract_string(raw, '$.resource.accessKeyDetails.userType'), json_extract_string(raw, '$.Resource.AccessKeyDetails.UserType')) = 'Root' AND account_id = $1`,
	"federated_user": `json_extract_string(raw, '$.gumshoe.evidence.principal') = $1 OR principal = $1`,
	"domain":         `domain = $1`,
	"account":        `account_id = $1`,
}

// InvestigationFindings returns the findings that involve an entity and were
// seen in [start, end).
func (s *Store) InvestigationFindings(ctx context.Context, kind, key string, start, end time.Time) ([]RelatedFinding, error) {
	filter, ok := entityFindingFilter[kind]
	if !ok {
		return nil, fmt.Errorf("entity findings: %w %q", ErrUnknownKind, kind)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, source, coalesce(type, ''), coalesce(title, ''), coalesce(remote_ip, ''),
	coalesce(json_extract_string(raw, '$.arn'), json_extract_string(raw, '$.Arn'), json_extract_string(raw, '$.ProductArn'), ''), severity,
	coalesce(json_extract_string(raw, '$.gumshoe.mitre.tactic'), ''), coalesce(json_extract_string(raw, '$.gumshoe.mitre.techniqueId'), ''),
	coalesce(json_extract_string(raw, '$.service.action.awsApiCallAction.api'), json_extract_string(raw, '$.Service.Action.AwsApiCallAction.Api'), ''),
	coalesce(first_seen, created_at), coalesce(last_seen, updated_at)
FROM findings
WHERE (`+filter+`) AND coalesce(last_seen, updated_at) >= $2::TIMESTAMP AND coalesce(first_seen, created_at) < $3::TIMESTAMP
ORDER BY severity DESC, id`, key, ts(start), ts(end))
	if err != nil {
		return nil, fmt.Errorf("entity findings: %w", err)
	}
	defer rows.Close()
	var out []RelatedFinding
	for rows.Next() {
		var f RelatedFinding
		var first, last sql.NullTime
		if err := rows.Scan(&f.ID, &f.Source, &f.Type, &f.Title, &f.RemoteIP, &f.Arn, &f.Severity, &f.Tactic, &f.Technique, &f.API, &first, &last); err != nil {
			return nil, fmt.Errorf("entity findings: %w", err)
		}
		f.First, f.Last = first.Time.UTC(), last.Time.UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

// InvestigationRow is one row of investigations; Report is JSON text.
type InvestigationRow struct {
	ID, Entity, EntityType        string
	Created, ScopeStart, ScopeEnd time.Time
	Status, Severity, State       string
	Report                        string
}

// SaveInvestigation stores an investigation (replacing one with its ID).
func (s *Store) SaveInvestigation(ctx context.Context, r InvestigationRow) error {
	if _, err := s.db.ExecContext(ctx, investigationSchema); err != nil {
		return fmt.Errorf("save investigation: %w", err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO investigations VALUES ($1, $2, $3, $4::TIMESTAMP, $5::TIMESTAMP, $6::TIMESTAMP, $7, $8, $9, $10::JSON)
ON CONFLICT (investigation_id) DO UPDATE SET status = excluded.status, severity = excluded.severity, state = excluded.state, report = excluded.report`,
		r.ID, r.Entity, r.EntityType, tsMicro(r.Created), tsMicro(r.ScopeStart), tsMicro(r.ScopeEnd), r.Status, r.Severity, r.State, r.Report)
	if err != nil {
		return fmt.Errorf("save investigation: %w", err)
	}
	return nil
}

// Investigations returns the stored investigations, newest first; with id
// set, only that one (ErrNoInvestigation when absent).
func (s *Store) Investigations(ctx context.Context, id string) ([]InvestigationRow, error) {
	if !s.readOnly {
		if _, err := s.db.ExecContext(ctx, investigationSchema); err != nil {
			return nil, fmt.Errorf("investigations: %w", err)
		}
	}
	q := `SELECT investigation_id, entity, entity_type, created_at, scope_start, scope_end, status, severity, state, report::VARCHAR
FROM investigations WHERE $1 = '' OR investigation_id = $1 ORDER BY created_at DESC, investigation_id`
	rows, err := s.db.QueryContext(ctx, q, id)
	if err != nil {
		return nil, fmt.Errorf("investigations: %w", err)
	}
	defer rows.Close()
	var out []InvestigationRow
	for rows.Next() {
		var r InvestigationRow
		if err := rows.Scan(&r.ID, &r.Entity, &r.EntityType, &r.Created, &r.ScopeStart, &r.ScopeEnd, &r.Status, &r.Severity, &r.State, &r.Report); err != nil {
			return nil, fmt.Errorf("investigations: %w", err)
		}
		r.Created, r.ScopeStart, r.ScopeEnd = r.Created.UTC(), r.ScopeStart.UTC(), r.ScopeEnd.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("investigations: %w", err)
	}
	if id != "" && len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoInvestigation, id)
	}
	return out, nil
}

package store

// Finding groups (internal/detect): findings tied together by the entities
// they share. The tables are created with the detection tables (see
// detect_state.go).

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// GroupInput is a finding as grouping reads it.
type GroupInput struct {
	ID, Source, Type, Title string
	Severity                float64
	AccountID, Region       string
	InstanceID, AccessKeyID string
	Principal, PrincipalID  string
	RemoteIP, Domain        string
	RemoteAWSService        string // ip_info's AWS service of the remote address
	Tactic                  string // gumshoe's findings: their ATT&CK tactic
	First, Last             time.Time
}

// GroupInputs returns every finding that is not archived.
func (s *Store) GroupInputs(ctx context.Context) ([]GroupInput, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.id, f.source, coalesce(f.type, ''), coalesce(f.title, ''), f.severity,
	coalesce(f.account_id, ''), coalesce(f.region, ''), coalesce(f.instance_id, ''), coalesce(f.access_key_id, ''), coalesce(f.principal, ''),
	coalesce(f.raw->>'$.resource.accessKeyDetails.principalId', f.raw->>'$.Resource.AccessKeyDetails.PrincipalId', ''),
	coalesce(f.remote_ip, ''), coalesce(f.domain, ''), coalesce(i.aws_service, ''), coalesce(f.raw->>'$.gumshoe.mitre.tactic', ''),
	coalesce(f.first_seen, f.created_at, f.updated_at), coalesce(f.last_seen, f.updated_at, f.created_at)
FROM findings f LEFT JOIN ip_info i ON i.ip = f.remote_ip
WHERE NOT f.archived ORDER BY f.id`)
	if err != nil {
		return nil, fmt.Errorf("group inputs: %w", err)
	}
	defer rows.Close()
	var out []GroupInput
	for rows.Next() {
		var g GroupInput
		var first, last sql.NullTime
		if err := rows.Scan(&g.ID, &g.Source, &g.Type, &g.Title, &g.Severity, &g.AccountID, &g.Region, &g.InstanceID, &g.AccessKeyID,
			&g.Principal, &g.PrincipalID, &g.RemoteIP, &g.Domain, &g.RemoteAWSService, &g.Tactic, &first, &last); err != nil {
			return nil, fmt.Errorf("group inputs: %w", err)
		}
		g.First, g.Last = first.Time.UTC(), last.Time.UTC()
		out = append(out, g)
	}
	return out, rows.Err()
}

// FindingGroup is one row of finding_groups with its members. JSON
// columns are JSON text.
type FindingGroup struct {
	ID, Status, Parents, Title  string
	Severity                    float64
	SeverityLabel               string
	Tactics, Entities, Accounts string
	FindingCounts               string
	First, Last                 time.Time
	Created, Updated            time.Time
	Members                     []string
}

// FindingGroups returns the groups, active ones first, newest first; with
// active set, only the active ones.
func (s *Store) FindingGroups(ctx context.Context, active bool) ([]FindingGroup, error) {
	q := `SELECT g.group_id, g.status, g.parents::VARCHAR, g.title, g.severity, g.severity_label, g.tactics::VARCHAR, g.entities::VARCHAR,
	g.accounts::VARCHAR, g.finding_counts::VARCHAR, g.first_seen, g.last_seen, g.created_at, g.updated_at,
	coalesce((SELECT list(m.finding_id ORDER BY m.finding_id) FROM finding_group_members m WHERE m.group_id = g.group_id), [])::VARCHAR[]
FROM finding_groups g`
	if active {
		q += ` WHERE g.status = 'ACTIVE'`
	}
	q += ` ORDER BY g.status, g.severity DESC, g.updated_at DESC, g.group_id`
	if _, err := s.db.ExecContext(ctx, detectSchema); err != nil && !s.readOnly {
		return nil, fmt.Errorf("finding groups: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		if s.readOnly && strings.Contains(err.Error(), "does not exist") {
			return nil, nil
		}
		return nil, fmt.Errorf("finding groups: %w", err)
	}
	defer rows.Close()
	var out []FindingGroup
	for rows.Next() {
		var g FindingGroup
		var first, last sql.NullTime
		var members []any
		if err := rows.Scan(&g.ID, &g.Status, &g.Parents, &g.Title, &g.Severity, &g.SeverityLabel, &g.Tactics, &g.Entities,
			&g.Accounts, &g.FindingCounts, &first, &last, &g.Created, &g.Updated, &members); err != nil {
			return nil, fmt.Errorf("finding groups: %w", err)
		}
		g.First, g.Last, g.Created, g.Updated = first.Time.UTC(), last.Time.UTC(), g.Created.UTC(), g.Updated.UTC()
		for _, m := range members {
			if s, ok := m.(string); ok {
				g.Members = append(g.Members, s)
			}
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// SaveFindingGroups writes groups (replacing those with the same ID and
// their members) in one transaction.
func (s *Store) SaveFindingGroups(ctx context.Context, groups []FindingGroup) error {
	if len(groups) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save finding groups: %w", err)
	}
	defer tx.Rollback()
	for _, g := range groups {
		if _, err := tx.ExecContext(ctx, `DELETE FROM finding_group_members WHERE group_id = $1`, g.ID); err != nil {
			return fmt.Errorf("save finding groups: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO finding_groups VALUES ($1, $2, $3::JSON, $4, $5, $6, $7::JSON, $8::JSON, $9::JSON, $10::JSON,
			$11::TIMESTAMP, $12::TIMESTAMP, $13::TIMESTAMP, $14::TIMESTAMP)
			ON CONFLICT (group_id) DO UPDATE SET status = excluded.status, parents = excluded.parents, title = excluded.title,
			severity = excluded.severity, severity_label = excluded.severity_label, tactics = excluded.tactics, entities = excluded.entities,
			accounts = excluded.accounts, finding_counts = excluded.finding_counts, first_seen = excluded.first_seen,
			last_seen = excluded.last_seen, updated_at = excluded.updated_at`,
			g.ID, g.Status, g.Parents, g.Title, g.Severity, g.SeverityLabel, g.Tactics, g.Entities, g.Accounts, g.FindingCounts,
			tsMicro(g.First), tsMicro(g.Last), tsMicro(g.Created), tsMicro(g.Updated)); err != nil {
			return fmt.Errorf("save finding groups: %w", err)
		}
		for members := g.Members; len(members) > 0; {
			n := min(len(members), 500)
			ph := make([]string, n)
			args := make([]any, 0, 2*n)
			for i, m := range members[:n] {
				ph[i] = "(?, ?)"
				args = append(args, g.ID, m)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO finding_group_members VALUES `+strings.Join(ph, ", "), args...); err != nil {
				return fmt.Errorf("save finding groups: %w", err)
			}
			members = members[n:]
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save finding groups: %w", err)
	}
	return nil
}

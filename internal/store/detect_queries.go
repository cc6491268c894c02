package store

// The detectors' queries (internal/detect). Each reads only the hours of a
// DetectScope (plus, for baselines, the 45 days before them). Statements
// are assembled from constants; thresholds, ports (integers), addresses,
// names and times are bound as parameters.
//
// Flow queries read flow_rollup_hourly and do not depend on which record a
// rollup row came from: they sum bytes and packets grouped by the key they
// need, and tell who opened a conversation from the direction column and
// the ports together ("opened outbound": direction outbound and the remote
// port is the lower, server-side port; "opened inbound": direction inbound
// and the local port is the lower one). That reads the same whether the
// rollup keeps one row per record direction or one row per conversation.

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// FlowHit is one group of rollup rows a flow detector looked at. Which key
// columns are set depends on the query; the others are empty or -1.
type FlowHit struct {
	Hour                               time.Time
	AccountID, InstanceID, InterfaceID string
	LocalAddr, RemoteAddr              string
	LocalPort, RemotePort, Protocol    int32
	Measure                            int64 // what the query counts: attempts, ports, targets, flows
	Flows, Accepted, Rejected          int64
	BytesIn, BytesOut, Packets         int64
	First, Last                        time.Time
	BaselineMax                        int64     // TrafficVolume: largest hourly bytes to one remote in the baseline
	BaselineStart                      time.Time // first hour of the interface's baseline (zero: none)
	Outbound                           bool      // the instance opened the conversation
}

// Flow queries run in two phases, both in one statement. The first
// (cand) reads the rollup rows of the run's hours (raw) with only the
// columns and the grouping the detector's threshold needs, and keeps the
// (hour, interface) pairs where some group reaches it; its condition is
// implied by the detector's, so no hit is lost. The second (fr, then the
// detector's body) resolves the instance of those pairs' rows only and
// computes the hits with every sum. Over a first run's months of traffic
// the first phase is a few cheap aggregations and the second nearly
// nothing; resolving and summing every row was most of the time.

// flowRaw defines raw: the rollup rows of the hours in the predicate
// (%[2]s), read from %[1]s (rollupSource: the files of the hours' days
// only, which is most of an incremental run's saving), with who opened
// each conversation. It is read twice (cand and fr) rather than
// materialised: a second read of the Parquet columns costs less than
// writing millions of rows.
const flowRaw = `raw AS NOT MATERIALIZED (
	SELECT r.*, (r.direction = 'outbound' AND r.remote_port <= r.local_port) AS opened_out,
		(r.direction = 'inbound' AND r.local_port < r.remote_port) AS opened_in
	FROM %[1]s r WHERE %[2]s
)`

// flowResolved defines fr: the rows of raw in the (hour, interface) pairs
// of cand with their instance resolved: the row's own (flow log formats
// with instance-id), else the one the graph gives its interface (GuardDuty
// instance details, RunInstances responses), else the one instance whose
// DNS queries came from the row's local address in the same account
// (default-format flow logs name no instance, but Route 53 resolver query
// logs do).
const flowResolved = `ifmap AS (
	SELECT substr(to_id, 11) AS iface, min(substr(from_id, 10)) AS inst
	FROM graph_edges WHERE type = 'has_interface' GROUP BY 1
), addrmap AS (
	SELECT account_id AS acct, srcaddr AS addr, min(instance_id) AS inst
	FROM dns_queries WHERE instance_id IS NOT NULL AND srcaddr IS NOT NULL AND account_id IS NOT NULL
	GROUP BY 1, 2 HAVING count(DISTINCT instance_id) = 1
), fr AS (
	SELECT x.*, coalesce(x.instance_id, m.inst, a.inst) AS inst
	FROM (SELECT raw.* FROM raw SEMI JOIN cand ON cand.hour = raw.hour AND cand.interface_id IS NOT DISTINCT FROM raw.interface_id) x
		LEFT JOIN ifmap m ON m.iface = x.interface_id
		LEFT JOIN addrmap a ON a.acct = x.account_id AND a.addr = x.local_addr
)`

// publicAddr is SQL true when the address in col is public (not NULL,
// and not is_private_address).
//
// Apply it to few rows: DuckDB pushes it down to wherever the column is
// read (see DetectPortProbes), and it is a chain of string tests.
func publicAddr(col string) string {
	return "(" + col + " IS NOT NULL AND NOT is_private_address(" + col + "))"
}

// flowHitColumns is the select list every flow query ends with, in
// FlowHit's scan order.
const flowHitColumns = `hour, account_id, inst, interface_id, local_addr, remote_addr,
	coalesce(local_port, -1), coalesce(remote_port, -1), coalesce(protocol, -1),
	measure, flows, accepted, rejected, bytes_in, bytes_out, packets, first_seen, last_seen,
	coalesce(baseline_max, 0), baseline_start, coalesce(outbound, false)`

const flowSums = `sum(flows)::BIGINT AS flows,
	coalesce(sum(flows) FILTER (WHERE action = 'ACCEPT'), 0)::BIGINT AS accepted,
	coalesce(sum(flows) FILTER (WHERE action = 'REJECT'), 0)::BIGINT AS rejected,
	sum(bytes_in)::BIGINT AS bytes_in, sum(bytes_out)::BIGINT AS bytes_out,
	sum(packets_in + packets_out)::BIGINT AS packets, min(first_seen) AS first_seen, max(last_seen) AS last_seen`

func intList(v []int) string {
	if len(v) == 0 {
		return "NULL"
	}
	parts := make([]string, len(v))
	for i, p := range v {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ", ")
}

// flowHits runs a flow query: ctes define cand (the first phase, over raw;
// they may define other tables before it), body the hits (over fr and
// what ctes defined). args are numbered from $1; the hours' bounds follow.
func (s *Store) flowHits(ctx context.Context, what string, hours []TimeRange, ctes, body string, args ...any) ([]FlowHit, error) {
	if len(hours) == 0 {
		return nil, nil
	}
	src, err := s.rollupSource(ctx, hours[0].Start, hours[len(hours)-1].End)
	if err != nil || src == "" {
		return nil, err
	}
	pred, pargs := rangePredicate("r.hour", hours, len(args)+1)
	q := `WITH ` + fmt.Sprintf(flowRaw, src, pred) + `, ` + ctes + `, ` + flowResolved + `, hits AS (` + body + `)
SELECT ` + flowHitColumns + ` FROM hits ORDER BY hour, interface_id, remote_addr, local_port, remote_port`
	rows, err := s.db.QueryContext(ctx, q, append(args, pargs...)...)
	if err != nil {
		return nil, fmt.Errorf("detect %s: %w", what, err)
	}
	defer rows.Close()
	var out []FlowHit
	for rows.Next() {
		var h FlowHit
		var acct, inst, iface, laddr, raddr sql.NullString
		var bstart sql.NullTime
		if err := rows.Scan(&h.Hour, &acct, &inst, &iface, &laddr, &raddr, &h.LocalPort, &h.RemotePort, &h.Protocol,
			&h.Measure, &h.Flows, &h.Accepted, &h.Rejected, &h.BytesIn, &h.BytesOut, &h.Packets, &h.First, &h.Last,
			&h.BaselineMax, &bstart, &h.Outbound); err != nil {
			return nil, fmt.Errorf("detect %s: %w", what, err)
		}
		h.AccountID, h.InstanceID, h.InterfaceID, h.LocalAddr, h.RemoteAddr = acct.String, inst.String, iface.String, laddr.String, raddr.String
		h.Hour, h.First, h.Last = h.Hour.UTC(), h.First.UTC(), h.Last.UTC()
		if bstart.Valid {
			h.BaselineStart = bstart.Time.UTC()
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("detect %s: %w", what, err)
	}
	return out, nil
}

// DetectInboundAttempts groups conversations opened inbound on one of
// ports (TCP) by hour, interface, remote address and local port, counting
// attempts: distinct remote ports with a conversation rejected or
// exchanging at most maxBytes in the hour. Groups below minAttempts are
// left out.
func (s *Store) DetectInboundAttempts(ctx context.Context, hours []TimeRange, ports []int, minAttempts int, maxBytes int64) ([]FlowHit, error) {
	attempt := `(action = 'REJECT' OR bytes_in + bytes_out <= $2)`
	cand := `cand AS (SELECT DISTINCT hour, interface_id FROM (
	SELECT hour, interface_id FROM raw WHERE opened_in AND protocol = 6 AND local_port IN (` + intList(ports) + `) AND ` + attempt + `
	GROUP BY hour, interface_id, remote_addr, local_port HAVING count(DISTINCT remote_port) >= $1))`
	body := `SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, remote_addr,
	local_port, NULL::INTEGER AS remote_port, 6 AS protocol, count(DISTINCT remote_port) FILTER (WHERE ` + attempt + `)::BIGINT AS measure, ` + flowSums + `,
	NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, false AS outbound
FROM fr WHERE opened_in AND protocol = 6 AND local_port IN (` + intList(ports) + `)
GROUP BY hour, inst, interface_id, remote_addr, local_port
HAVING count(DISTINCT remote_port) FILTER (WHERE ` + attempt + `) >= $1`
	return s.flowHits(ctx, "inbound attempts", hours, cand, body, minAttempts, maxBytes)
}

// DetectPortScans groups conversations opened outbound by hour, interface
// and remote address, counting distinct remote ports (TCP and UDP); groups
// below minPorts are left out.
func (s *Store) DetectPortScans(ctx context.Context, hours []TimeRange, minPorts int) ([]FlowHit, error) {
	// An interface that opened connections to fewer ports in all cannot
	// have scanned one host on that many.
	cand := `cand AS (SELECT hour, interface_id FROM raw WHERE opened_out AND protocol IN (6, 17)
	GROUP BY hour, interface_id HAVING count(DISTINCT remote_port) >= $1)`
	body := `SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, remote_addr,
	NULL::INTEGER AS local_port, NULL::INTEGER AS remote_port, any_value(protocol) AS protocol, count(DISTINCT remote_port)::BIGINT AS measure, ` + flowSums + `,
	NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, true AS outbound
FROM fr WHERE opened_out AND protocol IN (6, 17)
GROUP BY hour, inst, interface_id, remote_addr
HAVING count(DISTINCT remote_port) >= $1`
	return s.flowHits(ctx, "port scans", hours, cand, body, minPorts)
}

// DetectPortSweeps groups conversations opened outbound by hour, interface,
// remote port and protocol, counting the remote addresses that exchanged
// at most maxBytes (probes, not conversations); groups below minTargets are
// left out.
func (s *Store) DetectPortSweeps(ctx context.Context, hours []TimeRange, minTargets int, maxBytes int64) ([]FlowHit, error) {
	// An address whose conversations sum to at most maxBytes has one row
	// of at most maxBytes: counting those, over all the interface's ports,
	// bounds the body's count.
	cand := `cand AS (SELECT hour, interface_id FROM raw WHERE opened_out AND protocol IN (6, 17) AND bytes_in + bytes_out <= $2
	GROUP BY hour, interface_id HAVING count(DISTINCT remote_addr) >= $1)`
	body := `SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, NULL AS remote_addr,
	NULL::INTEGER AS local_port, remote_port, protocol, count(*) FILTER (WHERE b <= $2)::BIGINT AS measure,
	sum(flows)::BIGINT AS flows, sum(accepted)::BIGINT AS accepted, sum(rejected)::BIGINT AS rejected,
	sum(bytes_in)::BIGINT AS bytes_in, sum(bytes_out)::BIGINT AS bytes_out, sum(packets)::BIGINT AS packets,
	min(first_seen) AS first_seen, max(last_seen) AS last_seen,
	NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, true AS outbound
FROM (
	SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, remote_port, protocol, remote_addr,
		sum(bytes_in + bytes_out) AS b, ` + flowSums + `
	FROM fr WHERE opened_out AND protocol IN (6, 17)
	GROUP BY hour, inst, interface_id, remote_port, protocol, remote_addr
)
GROUP BY hour, inst, interface_id, remote_port, protocol
HAVING count(*) FILTER (WHERE b <= $2) >= $1`
	return s.flowHits(ctx, "port sweeps", hours, cand, body, minTargets, maxBytes)
}

// DetectPortProbes returns, for each public remote address that opened
// conversations inbound to at least minPorts distinct local ports of one
// interface in an hour, its flows per local port (Measure: the distinct
// local ports the address probed).
func (s *Store) DetectPortProbes(ctx context.Context, hours []TimeRange, minPorts int) ([]FlowHit, error) {
	// The public-address test is applied to the groups, not the rows:
	// DuckDB pushes a HAVING condition on a grouping column below the
	// aggregation, where it cost seconds on millions of rows, and a
	// MATERIALIZED table is a barrier it does not push through (probers
	// is also read twice).
	cand := `groups AS MATERIALIZED (
	SELECT hour, interface_id, remote_addr, count(DISTINCT local_port)::BIGINT AS ports
	FROM raw WHERE opened_in
	GROUP BY ALL HAVING count(DISTINCT local_port) >= $1
), probers AS MATERIALIZED (
	SELECT * FROM groups WHERE ` + publicAddr("remote_addr") + `
), cand AS (SELECT DISTINCT hour, interface_id FROM probers)`
	body := `SELECT p.hour, any_value(p.account_id) AS account_id, any_value(p.inst) AS inst, p.interface_id, any_value(p.local_addr) AS local_addr, p.remote_addr,
	p.local_port, NULL::INTEGER AS remote_port, any_value(p.protocol) AS protocol, any_value(q.ports) AS measure, ` + flowSums + `,
	NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, false AS outbound
FROM fr p JOIN probers q ON q.hour = p.hour AND q.interface_id = p.interface_id AND q.remote_addr = p.remote_addr
WHERE p.opened_in
GROUP BY p.hour, p.interface_id, p.remote_addr, p.local_port`
	return s.flowHits(ctx, "port probes", hours, cand, body, minPorts)
}

// DetectTrafficVolumes returns, per hour, interface and public remote
// address, the bytes the interface sent when they reach minBytes, with the
// interface's baseline: the largest hourly bytes it sent to any one remote
// address in the baselineDays before the hour, leaving out the last gap.
func (s *Store) DetectTrafficVolumes(ctx context.Context, hours []TimeRange, minBytes int64, baselineDays int, gap time.Duration) ([]FlowHit, error) {
	// An interface that sent less in all cannot have sent that much to
	// one address.
	cand := `cand AS (SELECT hour, interface_id FROM raw GROUP BY hour, interface_id HAVING sum(bytes_out) >= $1)`
	body := fmt.Sprintf(`SELECT c.*,
	(SELECT max(b) FROM (SELECT sum(r.bytes_out) AS b FROM flow_rollup_hourly r
		WHERE r.interface_id = c.interface_id AND r.hour >= c.hour - INTERVAL %[1]d DAY AND r.hour < c.hour - INTERVAL %[2]d SECOND
		GROUP BY r.hour, r.remote_addr))::BIGINT AS baseline_max,
	(SELECT min(r.hour) FROM flow_rollup_hourly r WHERE r.interface_id = c.interface_id AND r.hour >= c.hour - INTERVAL %[1]d DAY) AS baseline_start,
	true AS outbound
FROM (
	SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, remote_addr,
		NULL::INTEGER AS local_port, arg_max(remote_port, bytes_out) AS remote_port, any_value(protocol) AS protocol,
		sum(bytes_out)::BIGINT AS measure, `+flowSums+`
	FROM fr
	GROUP BY hour, inst, interface_id, remote_addr
	HAVING sum(bytes_out) >= $1 AND %[3]s
) c`, baselineDays, int64(gap/time.Second), publicAddr("remote_addr"))
	return s.flowHits(ctx, "traffic volumes", hours, cand, body, minBytes)
}

// portHoursState names the watermark of detect_port_hours in detect_state.
const portHoursState = "port_hours"

// DetectSyncPortHours brings detect_port_hours up to the segments through
// to: the distinct (interface, remote port, protocol, hour) of every
// conversation an interface opened, which is what novelty of a remote port
// is read from. A few tens of thousands of rows stand for months of
// rollup, so a run after a small batch compares with 45 days of history
// without reading it. The first call (or the first on a database from
// before the table) reads every rollup file once.
func (s *Store) DetectSyncPortHours(ctx context.Context, to int64) error {
	return s.syncHistory(ctx, portHoursState, rollupTable, to, func(tx *sql.Tx, files []string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO detect_port_hours
SELECT DISTINCT interface_id, remote_port, protocol, hour FROM read_parquet(`+parquetList(files)+`, hive_partitioning = false, union_by_name = true)
WHERE direction = 'outbound' AND remote_port <= local_port AND interface_id <> '' AND remote_port IS NOT NULL AND protocol IS NOT NULL
EXCEPT SELECT interface_id, remote_port, protocol, hour FROM detect_port_hours`)
		return err
	})
}

// syncHistory brings a history table up to the segments through to: fill
// adds what the table's lake files of the segments after its watermark
// (state in detect_state) hold, and the watermark moves to to, in one
// transaction.
func (s *Store) syncHistory(ctx context.Context, state, table string, to int64, fill func(tx *sql.Tx, files []string) error) error {
	var from int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT segment_id FROM detect_state WHERE name = $1), 0)`, state).Scan(&from); err != nil {
		return fmt.Errorf("detect: %s watermark: %w", state, err)
	}
	if from >= to {
		return nil
	}
	files, err := s.segmentFiles(ctx, table, from, to)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("detect: %s: %w", state, err)
	}
	defer tx.Rollback()
	if len(files) > 0 {
		if err := fill(tx, files); err != nil {
			return fmt.Errorf("detect: %s: %w", state, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO detect_state VALUES ($1, $2, now()::TIMESTAMP)`, state, to); err != nil {
		return fmt.Errorf("detect: %s watermark: %w", state, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("detect: %s: %w", state, err)
	}
	return nil
}

// DetectNewRemotePorts returns, per hour, interface, remote port and
// protocol, the accepted conversations the interface opened to public
// addresses on a port it did not open any conversation to in the
// baselineDays before the hour, when they carried at least minPackets.
// RemoteAddr is the address that exchanged the most bytes; Measure the
// number of distinct remote addresses; BaselineStart the first hour in the
// baselineDays before the hour that the interface opened a conversation.
// History is read from detect_port_hours (DetectSyncPortHours must have
// covered the hours' segments): each (interface, port) of the hours is
// compared with the previous hour the interface used the port, and only
// the hours and interfaces with a novel port are then summed.
func (s *Store) DetectNewRemotePorts(ctx context.Context, hours []TimeRange, minPackets int64, baselineDays int) ([]FlowHit, error) {
	if len(hours) == 0 {
		return nil, nil
	}
	first, last := hours[0].Start, hours[len(hours)-1].End
	cand := fmt.Sprintf(`nov AS MATERIALIZED (
	SELECT interface_id, remote_port, protocol, hour FROM (
		SELECT p.interface_id, p.remote_port, p.protocol, p.hour,
			lag(p.hour) OVER (PARTITION BY p.interface_id, p.remote_port, p.protocol ORDER BY p.hour) AS prev
		FROM detect_port_hours p
		SEMI JOIN (SELECT DISTINCT interface_id, remote_port, protocol FROM raw WHERE opened_out AND action = 'ACCEPT') k
			ON k.interface_id = p.interface_id AND k.remote_port = p.remote_port AND k.protocol = p.protocol
		WHERE p.hour >= $2::TIMESTAMP AND p.hour < $3::TIMESTAMP
	) WHERE hour >= $4::TIMESTAMP AND (prev IS NULL OR prev < hour - INTERVAL %[1]d DAY)
), cand AS (SELECT DISTINCT hour, interface_id FROM nov)`, baselineDays)
	body := fmt.Sprintf(`WITH c AS (
	SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr,
		arg_max(remote_addr, bytes_in + bytes_out) AS remote_addr, NULL::INTEGER AS local_port, remote_port, protocol,
		count(DISTINCT remote_addr)::BIGINT AS measure, `+flowSums+`
	FROM fr WHERE opened_out AND action = 'ACCEPT' AND protocol IN (6, 17) AND %[2]s
	GROUP BY hour, inst, interface_id, remote_port, protocol
	HAVING sum(packets_in + packets_out) >= $1
)
SELECT c.*, NULL::BIGINT AS baseline_max, b.since AS baseline_start, true AS outbound
FROM c
JOIN nov n ON n.interface_id = c.interface_id AND n.remote_port = c.remote_port AND n.protocol = c.protocol AND n.hour = c.hour
JOIN (
	SELECT interface_id, hour,
		min(hour) OVER (PARTITION BY interface_id ORDER BY hour RANGE BETWEEN INTERVAL %[1]d DAY PRECEDING AND CURRENT ROW) AS since
	FROM (SELECT DISTINCT interface_id, hour FROM detect_port_hours WHERE hour >= $2::TIMESTAMP AND hour < $3::TIMESTAMP
		AND interface_id IN (SELECT interface_id FROM c))
) b ON b.interface_id = c.interface_id AND b.hour = c.hour`, baselineDays, publicAddr("remote_addr"))
	return s.flowHits(ctx, "new remote ports", hours, cand, body, minPackets, ts(first.AddDate(0, 0, -baselineDays)), ts(last), ts(first))
}

// AddrSet is a set of addresses for flow and CloudTrail matching: IPv4
// ranges (inclusive, as 32-bit integers) and exact addresses (IPv6, as
// written in the logs, lower case).
type AddrSet struct {
	V4    [][2]uint32
	Exact []string
}

// Empty reports whether the set holds nothing.
func (a AddrSet) Empty() bool { return len(a.V4) == 0 && len(a.Exact) == 0 }

const ipv4Int = `CASE WHEN regexp_full_match(%[1]s, '[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}') THEN
	TRY_CAST(split_part(%[1]s, '.', 1) AS BIGINT) * 16777216 + TRY_CAST(split_part(%[1]s, '.', 2) AS BIGINT) * 65536 +
	TRY_CAST(split_part(%[1]s, '.', 3) AS BIGINT) * 256 + TRY_CAST(split_part(%[1]s, '.', 4) AS BIGINT) END`

// addrSetSQL renders the set as a table expression s(lo, hi, exact) with
// parameters numbered from $first.
func addrSetSQL(set AddrSet, first int) (string, []any) {
	var rows []string
	var args []any
	n := first
	for _, r := range set.V4 {
		rows = append(rows, fmt.Sprintf("($%d::BIGINT, $%d::BIGINT, NULL::VARCHAR)", n, n+1))
		args = append(args, int64(r[0]), int64(r[1]))
		n += 2
	}
	for _, e := range set.Exact {
		rows = append(rows, fmt.Sprintf("(NULL::BIGINT, NULL::BIGINT, $%d::VARCHAR)", n))
		args = append(args, e)
		n++
	}
	if len(rows) == 0 {
		rows = append(rows, "(NULL::BIGINT, NULL::BIGINT, NULL::VARCHAR)")
	}
	return "(VALUES " + strings.Join(rows, ", ") + ") s(lo, hi, exact)", args
}

// addrsInSet is a query of the addresses (column a) of the query
// distinct, whose one column a holds distinct addresses, that set holds;
// set's parameters are numbered from $first. Matching the distinct
// addresses rather than every row keeps the text-to-number conversion off
// millions of rows.
func addrsInSet(distinct string, set AddrSet, first int) (string, []any) {
	tbl, args := addrSetSQL(set, first)
	return `SELECT a FROM (SELECT a, ` + fmt.Sprintf(ipv4Int, "a") + ` AS ip4 FROM (` + distinct + `)) f
	WHERE EXISTS (SELECT 1 FROM ` + tbl + ` WHERE (f.ip4 BETWEEN s.lo AND s.hi) OR lower(f.a) = s.exact)`, args
}

// DetectIPv6Addresses returns the distinct IPv6 addresses, as written, of
// the remote ends of the flows in flowHours and the callers of the
// CloudTrail events in ctHours, for matching against IPv6 networks in Go.
func (s *Store) DetectIPv6Addresses(ctx context.Context, flowHours, ctHours []TimeRange) ([]string, error) {
	fpred, args := rangePredicate("hour", flowHours, 1)
	cpred, cargs := rangePredicate("event_time", ctHours, len(args)+1)
	rows, err := s.db.QueryContext(ctx, `SELECT remote_addr FROM flow_rollup_hourly WHERE `+fpred+` AND contains(remote_addr, ':')
UNION SELECT source_ip FROM cloudtrail_events WHERE `+cpred+` AND contains(source_ip, ':')`, append(args, cargs...)...)
	if err != nil {
		return nil, fmt.Errorf("detect ipv6 addresses: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("detect ipv6 addresses: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DetectFlowsToAddresses returns, per hour, interface and remote address in
// set, the flows exchanged (Outbound when the instance opened any of
// them; RemotePort the port of most flows). The set is matched against
// the distinct remote addresses of the hours, not against every row.
func (s *Store) DetectFlowsToAddresses(ctx context.Context, hours []TimeRange, set AddrSet) ([]FlowHit, error) {
	if set.Empty() {
		return nil, nil
	}
	in, args := addrsInSet(`SELECT DISTINCT remote_addr AS a FROM raw`, set, 1)
	cand := `listed AS MATERIALIZED (` + in + `),
cand AS (SELECT DISTINCT hour, interface_id FROM raw WHERE remote_addr IN (SELECT a FROM listed))`
	body := `SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, remote_addr,
	arg_max(local_port, flows) AS local_port, arg_max(remote_port, flows) AS remote_port, any_value(protocol) AS protocol,
	sum(flows)::BIGINT AS measure, ` + flowSums + `, NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, bool_or(opened_out) AS outbound
FROM fr WHERE remote_addr IN (SELECT a FROM listed)
GROUP BY hour, inst, interface_id, remote_addr`
	return s.flowHits(ctx, "flows to listed addresses", hours, cand, body, args...)
}

// DetectFlowsToPorts returns, per hour, interface and public remote
// address, the accepted conversations the instance opened to one of ports.
func (s *Store) DetectFlowsToPorts(ctx context.Context, hours []TimeRange, ports []int) ([]FlowHit, error) {
	if len(ports) == 0 {
		return nil, nil
	}
	cand := `cand AS (SELECT DISTINCT hour, interface_id FROM raw
	WHERE opened_out AND action = 'ACCEPT' AND protocol IN (6, 17) AND remote_port IN (` + intList(ports) + `))`
	body := `SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, remote_addr,
	arg_max(local_port, flows) AS local_port, arg_max(remote_port, flows) AS remote_port, any_value(protocol) AS protocol,
	sum(flows)::BIGINT AS measure, ` + flowSums + `, NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, true AS outbound
FROM fr WHERE opened_out AND action = 'ACCEPT' AND protocol IN (6, 17) AND remote_port IN (` + intList(ports) + `)
	AND ` + publicAddr("remote_addr") + `
GROUP BY hour, inst, interface_id, remote_addr`
	return s.flowHits(ctx, "flows to listed ports", hours, cand, body)
}

// DNSName is one queried name of one querier in one hour.
type DNSName struct {
	Hour                     time.Time
	AccountID, Region, VPCID string
	InstanceID, SrcAddr      string
	Name                     string // lower case, without the final dot
	QueryType                string // the most frequent
	Queries                  int64
	First, Last              time.Time
}

// DetectDNSNames returns the names queried in the hours that equal or end
// in one of suffixes (lower case, no final dot), or are at least minLength
// characters long (0: no length match), per hour, querier and name.
func (s *Store) DetectDNSNames(ctx context.Context, hours []TimeRange, suffixes []string, minLength int) ([]DNSName, error) {
	if len(hours) == 0 {
		return nil, nil
	}
	args := []any{}
	var conds []string
	for _, sfx := range suffixes {
		args = append(args, sfx)
		conds = append(conds, fmt.Sprintf("(n = $%[1]d OR ends_with(n, '.' || $%[1]d))", len(args)))
	}
	if minLength > 0 {
		args = append(args, minLength)
		conds = append(conds, fmt.Sprintf("length(n) >= $%d", len(args)))
	}
	if len(conds) == 0 {
		return nil, nil
	}
	pred, pargs := rangePredicate("query_time", hours, len(args)+1)
	q := `SELECT date_trunc('hour', query_time) AS hour, any_value(account_id), any_value(region), any_value(vpc_id), instance_id, srcaddr, n,
	mode(query_type), count(*)::BIGINT, min(query_time), max(query_time)
FROM (SELECT *, rtrim(lower(query_name), '.') AS n FROM dns_queries WHERE ` + pred + `)
WHERE ` + strings.Join(conds, " OR ") + `
GROUP BY ALL ORDER BY 1, 5, 6, 7`
	rows, err := s.db.QueryContext(ctx, q, append(args, pargs...)...)
	if err != nil {
		return nil, fmt.Errorf("detect dns names: %w", err)
	}
	defer rows.Close()
	var out []DNSName
	for rows.Next() {
		var d DNSName
		var acct, region, vpc, inst, src, qt sql.NullString
		if err := rows.Scan(&d.Hour, &acct, &region, &vpc, &inst, &src, &d.Name, &qt, &d.Queries, &d.First, &d.Last); err != nil {
			return nil, fmt.Errorf("detect dns names: %w", err)
		}
		d.AccountID, d.Region, d.VPCID, d.InstanceID, d.SrcAddr, d.QueryType = acct.String, region.String, vpc.String, inst.String, src.String, qt.String
		d.Hour, d.First, d.Last = d.Hour.UTC(), d.First.UTC(), d.Last.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// DetectDNSAnswers returns the addresses (A and AAAA answers) that names
// equal to or ending in one of suffixes resolved to since the given time.
func (s *Store) DetectDNSAnswers(ctx context.Context, suffixes []string, since time.Time) ([]string, error) {
	if len(suffixes) == 0 {
		return nil, nil
	}
	args := []any{ts(since)}
	var conds []string
	for _, sfx := range suffixes {
		args = append(args, sfx)
		conds = append(conds, fmt.Sprintf("(n = $%[1]d OR ends_with(n, '.' || $%[1]d))", len(args)))
	}
	q := `SELECT DISTINCT json_extract_string(a, '$.Rdata') FROM (
	SELECT unnest(coalesce(json_extract(answers, '$[*]'), []::JSON[])) AS a
	FROM (SELECT answers, rtrim(lower(query_name), '.') AS n FROM dns_queries WHERE query_time >= $1::TIMESTAMP)
	WHERE ` + strings.Join(conds, " OR ") + `
) WHERE json_extract_string(a, '$.Type') IN ('A', 'AAAA') ORDER BY 1`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("detect dns answers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a sql.NullString
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("detect dns answers: %w", err)
		}
		if a.Valid {
			out = append(out, a.String)
		}
	}
	return out, rows.Err()
}

// CTEvent is a CloudTrail event as the detectors read it.
type CTEvent struct {
	EventID, EventSource, EventName, Region   string
	Time                                      time.Time
	SourceIP, UserAgent                       string
	UserType, UserARN, PrincipalID, AccountID string
	AccessKeyID, UserName, SessionIssuerARN   string
	ErrorCode                                 string
	// Read from the raw event only where a detector looks at them (raw
	// JSON on millions of events is most of a first run's CloudTrail
	// time): InvokedBy for AssumedRole and Root callers, EC2RoleDelivery
	// for AssumedRole, ConsoleLogin and MFAUsed for ConsoleLogin events,
	// EventType for Root; empty elsewhere.
	InvokedBy, EC2RoleDelivery, ConsoleLogin string
	MFAUsed, EventType                       string
	Request                                  string // requestParameters, for CloudTrail's own API only
	AWSService, Country, ASOrg               string // ip_info of the source address
	ASN                                      int64
	Latitude, Longitude                      float64
	HasGeo                                   bool // coordinates known
	// Principal is the identity whose baseline the event belongs to:
	// the role of an assumed-role session, else the user ARN, else the
	// principal ID.
	Principal string
}

const ctPrincipal = `coalesce(CASE WHEN user_type = 'AssumedRole' THEN session_issuer_arn END, user_arn, principal_id)`

const ctEventColumns = ctBaseColumns + `,
	CASE WHEN e.user_type IN ('AssumedRole', 'Root') THEN json_extract_string(e.raw, '$.userIdentity.invokedBy') END,
	CASE WHEN e.user_type = 'AssumedRole' THEN json_extract_string(e.raw, '$.userIdentity.sessionContext.ec2RoleDelivery') END,
	CASE WHEN e.event_name = 'ConsoleLogin' THEN json_extract_string(e.raw, '$.responseElements.ConsoleLogin') END,
	CASE WHEN e.event_name = 'ConsoleLogin' THEN json_extract_string(e.raw, '$.additionalEventData.MFAUsed') END,
	CASE WHEN e.user_type = 'Root' THEN json_extract_string(e.raw, '$.eventType') END,
	CASE WHEN e.event_source = 'cloudtrail.amazonaws.com' THEN json_extract(e.raw, '$.requestParameters')::VARCHAR END,
	` + ctGeoColumns

// ctEventColumnsNoRaw leaves out what only the raw JSON gives (empty in
// CTEvent): reading one value of a Parquet column decompresses its page,
// so raw JSON for events spread over weeks costs as much as all of it.
const ctEventColumnsNoRaw = ctBaseColumns + `, NULL, NULL, NULL, NULL, NULL, NULL, ` + ctGeoColumns

const ctBaseColumns = `e.event_id, e.event_source, e.event_name, e.aws_region, e.event_time, e.source_ip, e.user_agent,
	e.user_type, e.user_arn, e.principal_id, coalesce(e.account_id, e.recipient_account_id), e.access_key_id, e.user_name,
	e.session_issuer_arn, e.error_code`

const ctGeoColumns = `i.aws_service, i.country, i.as_org, i.asn, i.latitude, i.longitude, ` + ctPrincipal

func scanCTEvents(rows *sql.Rows) ([]CTEvent, error) {
	defer rows.Close()
	var out []CTEvent
	for rows.Next() {
		var e CTEvent
		var v [25]sql.NullString
		var asn sql.NullInt64
		var lat, lon sql.NullFloat64
		if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &e.Time, &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11],
			&v[12], &v[13], &v[14], &v[15], &v[16], &v[17], &v[18], &v[19], &v[20], &v[21], &v[22], &asn, &lat, &lon, &v[23]); err != nil {
			return nil, err
		}
		e.EventID, e.EventSource, e.EventName, e.Region = v[0].String, v[1].String, v[2].String, v[3].String
		e.SourceIP, e.UserAgent, e.UserType, e.UserARN, e.PrincipalID = v[4].String, v[5].String, v[6].String, v[7].String, v[8].String
		e.AccountID, e.AccessKeyID, e.UserName, e.SessionIssuerARN, e.ErrorCode = v[9].String, v[10].String, v[11].String, v[12].String, v[13].String
		e.InvokedBy, e.EC2RoleDelivery, e.ConsoleLogin, e.MFAUsed, e.EventType = v[14].String, v[15].String, v[16].String, v[17].String, v[18].String
		e.Request, e.AWSService, e.Country, e.ASOrg = v[19].String, v[20].String, v[21].String, v[22].String
		e.ASN, e.Principal = asn.Int64, v[23].String
		e.Latitude, e.Longitude, e.HasGeo = lat.Float64, lon.Float64, lat.Valid && lon.Valid
		e.Time = e.Time.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// ctCandidates is the SQL condition an event must meet for any of the
// per-event CloudTrail detectors (internal/detect) to look at it. It only
// narrows: each detector checks its own rule on what it is given. It reads
// no raw JSON: most events of a busy account meet none of it, and reading
// every event's raw JSON was most of a first run's CloudTrail time.
//
//   - an assumed-role session named after an instance (as EC2 names
//     instance-profile sessions) calling from a public address outside
//     AWS;
//   - CloudTrail's own API stopping, deleting or reconfiguring a trail;
//   - the root user;
//   - a penetration-testing distribution in the user agent.
//
// A threat list adds the events from its addresses (DetectCloudTrailEvents).
const ctCandidates = `(e.user_type = 'AssumedRole' AND contains(e.principal_id, ':i-') AND i.aws_service IS NULL AND {public})
	OR (e.event_source = 'cloudtrail.amazonaws.com' AND e.event_name IN ('StopLogging', 'DeleteTrail', 'PutEventSelectors'))
	OR e.user_type = 'Root'
	OR contains(lower(e.user_agent), 'kali') OR contains(lower(e.user_agent), 'parrot') OR contains(lower(e.user_agent), 'pentoo')`

// eventRef names a stored CloudTrail event.
type eventRef struct {
	id string
	at time.Time
}

// DetectCloudTrailEvents returns the events of the hours that the
// per-event detectors may report (ctCandidates, or a source address in
// listed), oldest first. The events are found on narrow columns first,
// then read whole (ctEventsByRef).
func (s *Store) DetectCloudTrailEvents(ctx context.Context, hours []TimeRange, listed AddrSet) ([]CTEvent, error) {
	if len(hours) == 0 {
		return nil, nil
	}
	cond := strings.ReplaceAll(ctCandidates, "{public}", publicAddr("e.source_ip"))
	pred, args := rangePredicate("e.event_time", hours, 1)
	if !listed.Empty() {
		// The callers of these hours, not of every event stored.
		hoursOnly, _ := rangePredicate("event_time", hours, 1)
		in, largs := addrsInSet(`SELECT DISTINCT source_ip AS a FROM cloudtrail_events WHERE `+hoursOnly, listed, len(args)+1)
		cond += "\n\tOR e.source_ip IN (" + in + ")"
		args = append(args, largs...)
	}
	refs, err := s.eventRefs(ctx, `SELECT e.event_id, e.event_time FROM cloudtrail_events e LEFT JOIN ip_info i ON i.ip = e.source_ip
WHERE `+pred+` AND (`+cond+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("detect cloudtrail events: %w", err)
	}
	out, err := s.ctEventsByRef(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("detect cloudtrail events: %w", err)
	}
	return out, nil
}

func (s *Store) eventRefs(ctx context.Context, q string, args ...any) ([]eventRef, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []eventRef
	for rows.Next() {
		var r eventRef
		if err := rows.Scan(&r.id, &r.at); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ctEventsByRef reads the events refs name with every column the
// detectors use, oldest first. It asks for a few hundred IDs at a time,
// bounded by their times: the IDs and the time bounds are filters the
// Parquet scan applies before it reads the other columns, so the raw JSON
// is read only for these events.
func (s *Store) ctEventsByRef(ctx context.Context, refs []eventRef) ([]CTEvent, error) {
	sort.Slice(refs, func(i, j int) bool { return refs[i].at.Before(refs[j].at) })
	var out []CTEvent
	const batch = 500
	for len(refs) > 0 {
		n := min(batch, len(refs))
		part := refs[:n]
		refs = refs[n:]
		// ts keeps whole seconds: the upper bound is the second after.
		args := []any{ts(part[0].at), ts(part[n-1].at.Add(time.Second))}
		marks := make([]string, n)
		for i, r := range part {
			args = append(args, r.id)
			marks[i] = fmt.Sprintf("$%d", i+3)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT `+ctEventColumns+`
FROM cloudtrail_events e LEFT JOIN ip_info i ON i.ip = e.source_ip
WHERE e.event_time >= $1::TIMESTAMP AND e.event_time < $2::TIMESTAMP AND e.event_id IN (`+strings.Join(marks, ", ")+`)
ORDER BY e.event_time, e.event_id`, args...)
		if err != nil {
			return nil, err
		}
		evs, err := scanCTEvents(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	return out, nil
}

// DetectConsoleLogins returns the successful console sign-ins in [start,
// end) of the principals that signed in to the console in hours, oldest
// first: a run after a small batch reads the history of the few who
// signed in, not of everyone. A sign-in succeeded when CloudTrail reports
// no error (a failed one says "Failed authentication", with
// responseElements.ConsoleLogin "Failure"); the events carry no field
// from the raw JSON (ctEventColumnsNoRaw).
func (s *Store) DetectConsoleLogins(ctx context.Context, start, end time.Time, hours []TimeRange) ([]CTEvent, error) {
	pred, args := rangePredicate("event_time", hours, 3)
	rows, err := s.db.QueryContext(ctx, `SELECT `+ctEventColumnsNoRaw+`
FROM cloudtrail_events e LEFT JOIN ip_info i ON i.ip = e.source_ip
WHERE e.event_time >= $1::TIMESTAMP AND e.event_time < $2::TIMESTAMP AND e.event_name = 'ConsoleLogin'
	AND e.error_code IS NULL AND e.error_message IS NULL
	AND `+ctPrincipal+` IN (SELECT `+ctPrincipal+` FROM cloudtrail_events WHERE event_name = 'ConsoleLogin' AND `+pred+`)
ORDER BY e.event_time, e.event_id`, append([]any{ts(start), ts(end)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("detect console logins: %w", err)
	}
	out, err := scanCTEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("detect console logins: %w", err)
	}
	return out, nil
}

// apiHoursState names the watermark of detect_api_hours and
// detect_addr_hours in detect_state.
const apiHoursState = "api_hours"

// DetectSyncAPIHours brings detect_api_hours and detect_addr_hours up to
// the segments through to: the distinct (principal, API, hour) and
// (principal, source address, hour) of the CloudTrail events, which is
// what the novelty of a principal's API calls and addresses is read from
// (DetectNewAPICalls), so that a run after a small batch compares with 45
// days of history without reading 45 days of events. The first call (or
// the first on a database from before these tables) reads every CloudTrail
// file once. The principal is ctPrincipal's.
func (s *Store) DetectSyncAPIHours(ctx context.Context, to int64) error {
	return s.syncHistory(ctx, apiHoursState, cloudtrailTable, to, func(tx *sql.Tx, files []string) error {
		// The files keep some NULLs as empty strings (the views NULLIF
		// them); so does this.
		src := `(SELECT ` + ctPrincipal + ` AS principal, event_source, event_name, source_ip, date_trunc('hour', event_time) AS hour
	FROM (SELECT NULLIF(user_type, '') AS user_type, NULLIF(session_issuer_arn, '') AS session_issuer_arn, NULLIF(user_arn, '') AS user_arn,
		NULLIF(principal_id, '') AS principal_id, NULLIF(event_source, '') AS event_source, NULLIF(event_name, '') AS event_name,
		NULLIF(source_ip, '') AS source_ip, event_time
		FROM read_parquet(` + parquetList(files) + `, hive_partitioning = false, union_by_name = true)))`
		for _, stmt := range []string{
			`CREATE OR REPLACE TEMP TABLE new_ct_hours AS
SELECT DISTINCT principal, event_source, event_name, source_ip, hour FROM ` + src + ` WHERE principal IS NOT NULL`,
			`INSERT INTO detect_api_hours SELECT DISTINCT principal, event_source, event_name, hour FROM new_ct_hours
EXCEPT SELECT principal, event_source, event_name, hour FROM detect_api_hours`,
			`INSERT INTO detect_addr_hours SELECT DISTINCT principal, source_ip, hour FROM new_ct_hours
EXCEPT SELECT principal, source_ip, hour FROM detect_addr_hours`,
			`DROP TABLE new_ct_hours`,
		} {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
}

// DetectNewAPICalls returns the events of the hours whose principal had
// not called the same API (service and operation) in the baselineDays
// before the event's hour, had not called anything from the event's source
// address in that time either, and whose activity in that time began at
// least minBaseline before the hour. Novelty is read from detect_api_hours
// and detect_addr_hours (DetectSyncAPIHours must have covered the hours'
// segments): each (principal, API) and (principal, address) the hours used
// is compared with the previous hour it occurred in, so the cost grows
// with those combinations, not with 45 days of events.
func (s *Store) DetectNewAPICalls(ctx context.Context, hours []TimeRange, baselineDays int, minBaseline time.Duration) ([]CTEvent, error) {
	if len(hours) == 0 {
		return nil, nil
	}
	first, last := hours[0].Start, hours[len(hours)-1].End
	pred, args := rangePredicate("event_time", hours, 4)
	args = append([]any{int64(minBaseline / time.Second), ts(first.AddDate(0, 0, -baselineDays)), ts(last)}, args...)
	q := fmt.Sprintf(`WITH cur AS MATERIALIZED (
	SELECT DISTINCT %[1]s AS principal, event_source, event_name, source_ip FROM cloudtrail_events
	WHERE %[2]s AND user_type IN ('IAMUser', 'AssumedRole', 'Root', 'FederatedUser')
), api AS (
	SELECT principal, event_source, event_name, hour,
		lag(hour) OVER (PARTITION BY principal, event_source, event_name ORDER BY hour) AS prev
	FROM detect_api_hours a
	SEMI JOIN cur c ON c.principal = a.principal AND c.event_source IS NOT DISTINCT FROM a.event_source AND c.event_name IS NOT DISTINCT FROM a.event_name
	WHERE a.hour >= $2::TIMESTAMP AND a.hour < $3::TIMESTAMP
), addr AS (
	SELECT principal, source_ip, hour, lag(hour) OVER (PARTITION BY principal, source_ip ORDER BY hour) AS prev
	FROM detect_addr_hours d
	SEMI JOIN cur c ON c.principal = d.principal AND c.source_ip IS NOT DISTINCT FROM d.source_ip
	WHERE d.hour >= $2::TIMESTAMP AND d.hour < $3::TIMESTAMP
), ph AS (
	SELECT principal, hour,
		min(hour) OVER (PARTITION BY principal ORDER BY hour RANGE BETWEEN INTERVAL %[3]d DAY PRECEDING AND CURRENT ROW) AS since
	FROM (SELECT DISTINCT principal, hour FROM detect_addr_hours
		WHERE hour >= $2::TIMESTAMP AND hour < $3::TIMESTAMP AND principal IN (SELECT principal FROM cur))
), e AS (
	SELECT c.event_id, c.event_time FROM (
		SELECT event_id, event_time, event_source, event_name, source_ip, %[1]s AS principal, date_trunc('hour', event_time) AS hour
		FROM cloudtrail_events
		WHERE %[2]s AND user_type IN ('IAMUser', 'AssumedRole', 'Root', 'FederatedUser')
	) c
	JOIN api a ON a.principal = c.principal AND a.event_source IS NOT DISTINCT FROM c.event_source
		AND a.event_name IS NOT DISTINCT FROM c.event_name AND a.hour = c.hour
	JOIN addr d ON d.principal = c.principal AND d.source_ip IS NOT DISTINCT FROM c.source_ip AND d.hour = c.hour
	JOIN ph p ON p.principal = c.principal AND p.hour = c.hour
	WHERE (a.prev IS NULL OR a.prev < c.hour - INTERVAL %[3]d DAY)
		AND (d.prev IS NULL OR d.prev < c.hour - INTERVAL %[3]d DAY)
		AND p.since <= c.hour - to_seconds($1)
)
SELECT event_id, event_time FROM e`,
		ctPrincipal, pred, baselineDays)
	refs, err := s.eventRefs(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("detect new api calls: %w", err)
	}
	out, err := s.ctEventsByRef(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("detect new api calls: %w", err)
	}
	return out, nil
}

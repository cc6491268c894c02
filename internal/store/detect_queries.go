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
	"slices"
	"strings"
	"sync"
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

// flowCTE resolves each rollup row's instance for the hours in the
// predicate: the row's own (flow log formats with instance-id), else the
// one the graph gives its interface (GuardDuty instance details,
// RunInstances responses), else the one instance whose DNS queries came
// from the row's local address in the same account (default-format flow
// logs name no instance, but Route 53 resolver query logs do).
const flowCTE = `WITH ifmap AS (
	SELECT substr(to_id, 11) AS iface, min(substr(from_id, 10)) AS inst
	FROM graph_edges WHERE type = 'has_interface' GROUP BY 1
), addrmap AS (
	SELECT account_id AS acct, srcaddr AS addr, min(instance_id) AS inst
	FROM dns_queries WHERE instance_id IS NOT NULL AND srcaddr IS NOT NULL AND account_id IS NOT NULL
	GROUP BY 1, 2 HAVING count(DISTINCT instance_id) = 1
), fr AS (
	SELECT r.*, coalesce(r.instance_id, m.inst, a.inst) AS inst,
		(r.direction = 'outbound' AND r.remote_port <= r.local_port) AS opened_out,
		(r.direction = 'inbound' AND r.local_port < r.remote_port) AS opened_in
	FROM flow_rollup_hourly r LEFT JOIN ifmap m ON m.iface = r.interface_id
		LEFT JOIN addrmap a ON a.acct = r.account_id AND a.addr = r.local_addr
	WHERE %s
)
`

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

// flowRunColumns are the columns of fr the flow queries read; a
// materialised run table keeps only these.
const flowRunColumns = `hour, account_id, inst, interface_id, local_addr, remote_addr, local_port, remote_port, protocol,
	action, flows, bytes_in, bytes_out, packets_in, packets_out, first_seen, last_seen, opened_out, opened_in`

// flowRunTable holds the resolved rollup rows of one detection run's hours
// (see DetectFlowsMaterialize). A regular table, not a TEMP one: database/sql
// spreads a run's queries over connections and TEMP tables are per
// connection.
const flowRunTable = "detect_run_flows"

// flowRuns maps a Store to the hours its run table holds. It lives here
// rather than in Store so that the detection queries stay in this file.
var flowRuns struct {
	sync.Mutex
	hours map[*Store][]TimeRange
}

// DetectFlowsMaterialize resolves the rollup rows of hours (instance,
// opened_in, opened_out: flowCTE) once into a table that every flow query
// with the same hours then reads instead of re-reading the lake and
// re-joining the interface and address maps. DetectFlowsRelease drops it.
// Detection runs are serialised by their caller.
func (s *Store) DetectFlowsMaterialize(ctx context.Context, hours []TimeRange) error {
	if len(hours) == 0 {
		return nil
	}
	pred, args := rangePredicate("r.hour", hours, 1)
	q := `CREATE OR REPLACE TABLE ` + flowRunTable + ` AS ` + fmt.Sprintf(flowCTE, pred) + ` SELECT ` + flowRunColumns + ` FROM fr`
	if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("materialise run flows: %w", err)
	}
	flowRuns.Lock()
	if flowRuns.hours == nil {
		flowRuns.hours = map[*Store][]TimeRange{}
	}
	flowRuns.hours[s] = slices.Clone(hours)
	flowRuns.Unlock()
	return nil
}

// DetectFlowsRelease drops the table DetectFlowsMaterialize made.
func (s *Store) DetectFlowsRelease(ctx context.Context) error {
	flowRuns.Lock()
	delete(flowRuns.hours, s)
	flowRuns.Unlock()
	if _, err := s.db.ExecContext(ctx, `DROP TABLE IF EXISTS `+flowRunTable); err != nil {
		return fmt.Errorf("drop run flows: %w", err)
	}
	return nil
}

// flowSource returns the WITH clause defining fr for hours: the
// materialised run table when it holds exactly these hours, else flowCTE.
func (s *Store) flowSource(hours []TimeRange, first int) (string, []any) {
	flowRuns.Lock()
	held, ok := flowRuns.hours[s]
	flowRuns.Unlock()
	same := ok && slices.Equal(held, hours)
	if same {
		return `WITH fr AS (SELECT * FROM ` + flowRunTable + `)`, nil
	}
	pred, pargs := rangePredicate("r.hour", hours, first)
	return fmt.Sprintf(flowCTE, pred), pargs
}

func (s *Store) flowHits(ctx context.Context, what string, hours []TimeRange, body string, args ...any) ([]FlowHit, error) {
	if len(hours) == 0 {
		return nil, nil
	}
	src, pargs := s.flowSource(hours, len(args)+1)
	q := src + `, hits AS (` + body + `) SELECT ` + flowHitColumns + ` FROM hits ORDER BY hour, interface_id`
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
// attempts as distinct remote ports; groups below minAttempts are left out.
func (s *Store) DetectInboundAttempts(ctx context.Context, hours []TimeRange, ports []int, minAttempts int) ([]FlowHit, error) {
	body := `SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, remote_addr,
	local_port, NULL::INTEGER AS remote_port, 6 AS protocol, count(DISTINCT remote_port)::BIGINT AS measure, ` + flowSums + `,
	NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, false AS outbound
FROM fr WHERE opened_in AND protocol = 6 AND local_port IN (` + intList(ports) + `)
GROUP BY hour, inst, interface_id, remote_addr, local_port
HAVING count(DISTINCT remote_port) >= $1`
	return s.flowHits(ctx, "inbound attempts", hours, body, minAttempts)
}

// DetectPortScans groups conversations opened outbound by hour, interface
// and remote address, counting distinct remote ports (TCP and UDP); groups
// below minPorts are left out.
func (s *Store) DetectPortScans(ctx context.Context, hours []TimeRange, minPorts int) ([]FlowHit, error) {
	body := `SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, remote_addr,
	NULL::INTEGER AS local_port, NULL::INTEGER AS remote_port, any_value(protocol) AS protocol, count(DISTINCT remote_port)::BIGINT AS measure, ` + flowSums + `,
	NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, true AS outbound
FROM fr WHERE opened_out AND protocol IN (6, 17)
GROUP BY hour, inst, interface_id, remote_addr
HAVING count(DISTINCT remote_port) >= $1`
	return s.flowHits(ctx, "port scans", hours, body, minPorts)
}

// DetectPortSweeps groups conversations opened outbound by hour, interface,
// remote port and protocol, counting the remote addresses that exchanged
// at most maxBytes (probes, not conversations); groups below minTargets are
// left out.
func (s *Store) DetectPortSweeps(ctx context.Context, hours []TimeRange, minTargets int, maxBytes int64) ([]FlowHit, error) {
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
	return s.flowHits(ctx, "port sweeps", hours, body, minTargets, maxBytes)
}

// DetectPortProbes returns, for each public remote address that opened
// conversations inbound to at least minPorts distinct local ports of one
// interface in an hour, its flows per local port (Measure: the distinct
// local ports the address probed).
func (s *Store) DetectPortProbes(ctx context.Context, hours []TimeRange, minPorts int) ([]FlowHit, error) {
	body := `SELECT p.hour, any_value(p.account_id) AS account_id, any_value(p.inst) AS inst, p.interface_id, any_value(p.local_addr) AS local_addr, p.remote_addr,
	p.local_port, NULL::INTEGER AS remote_port, any_value(p.protocol) AS protocol, any_value(q.ports) AS measure, ` + flowSums + `,
	NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, false AS outbound
FROM fr p JOIN (
	SELECT hour, interface_id, remote_addr, count(DISTINCT local_port)::BIGINT AS ports
	FROM fr WHERE opened_in AND NOT is_private_address(remote_addr)
	GROUP BY ALL HAVING count(DISTINCT local_port) >= $1
) q ON q.hour = p.hour AND q.interface_id = p.interface_id AND q.remote_addr = p.remote_addr
WHERE p.opened_in
GROUP BY p.hour, p.interface_id, p.remote_addr, p.local_port`
	return s.flowHits(ctx, "port probes", hours, body, minPorts)
}

// DetectTrafficVolumes returns, per hour, interface and public remote
// address, the bytes the interface sent when they reach minBytes, with the
// interface's baseline: the largest hourly bytes it sent to any one remote
// address in the baselineDays before the hour, leaving out the last gap.
func (s *Store) DetectTrafficVolumes(ctx context.Context, hours []TimeRange, minBytes int64, baselineDays int, gap time.Duration) ([]FlowHit, error) {
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
	FROM fr WHERE NOT is_private_address(remote_addr)
	GROUP BY hour, inst, interface_id, remote_addr
	HAVING sum(bytes_out) >= $1
) c`, baselineDays, int64(gap/time.Second))
	return s.flowHits(ctx, "traffic volumes", hours, body, minBytes)
}

// DetectNewRemotePorts returns, per hour, interface, remote port and
// protocol, the accepted conversations the interface opened to public
// addresses on a port it did not open any conversation to in the
// baselineDays before the hour, when they carried at least minPackets.
// RemoteAddr is the address that exchanged the most bytes; Measure the
// number of distinct remote addresses. Novelty is read from the distinct
// (interface, port, hour) combinations, each compared with the previous
// hour the interface used the port.
func (s *Store) DetectNewRemotePorts(ctx context.Context, hours []TimeRange, minPackets int64, baselineDays int) ([]FlowHit, error) {
	if len(hours) == 0 {
		return nil, nil
	}
	first, last := hours[0].Start, hours[len(hours)-1].End
	body := fmt.Sprintf(`WITH c AS (
	SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr,
		arg_max(remote_addr, bytes_in + bytes_out) AS remote_addr, NULL::INTEGER AS local_port, remote_port, protocol,
		count(DISTINCT remote_addr)::BIGINT AS measure, `+flowSums+`
	FROM fr WHERE opened_out AND action = 'ACCEPT' AND protocol IN (6, 17) AND NOT is_private_address(remote_addr)
	GROUP BY hour, inst, interface_id, remote_port, protocol
	HAVING sum(packets_in + packets_out) >= $1
)
SELECT c.*, NULL::BIGINT AS baseline_max, b.since AS baseline_start, true AS outbound
FROM c
JOIN (
	SELECT interface_id, remote_port, protocol, hour,
		lag(hour) OVER (PARTITION BY interface_id, remote_port, protocol ORDER BY hour) AS prev
	FROM (SELECT DISTINCT interface_id, remote_port, protocol, hour FROM flow_rollup_hourly
		WHERE hour >= $2::TIMESTAMP AND hour < $3::TIMESTAMP AND direction = 'outbound' AND remote_port <= local_port
			AND interface_id IN (SELECT interface_id FROM c))
) p ON p.interface_id = c.interface_id AND p.remote_port = c.remote_port AND p.protocol = c.protocol AND p.hour = c.hour
JOIN (
	SELECT interface_id, hour,
		min(hour) OVER (PARTITION BY interface_id ORDER BY hour RANGE BETWEEN INTERVAL %[1]d DAY PRECEDING AND CURRENT ROW) AS since
	FROM (SELECT DISTINCT interface_id, hour FROM flow_rollup_hourly WHERE hour >= $2::TIMESTAMP AND hour < $3::TIMESTAMP
		AND interface_id IN (SELECT interface_id FROM c))
) b ON b.interface_id = c.interface_id AND b.hour = c.hour
WHERE p.prev IS NULL OR p.prev < c.hour - INTERVAL %[1]d DAY`, baselineDays)
	return s.flowHits(ctx, "new remote ports", hours, body, minPackets, ts(first.AddDate(0, 0, -baselineDays)), ts(last))
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

// DetectFlowsToAddresses returns, per hour, interface and remote address in
// set, the flows exchanged (Outbound when the instance opened any of
// them; RemotePort the port of most flows).
func (s *Store) DetectFlowsToAddresses(ctx context.Context, hours []TimeRange, set AddrSet) ([]FlowHit, error) {
	if set.Empty() {
		return nil, nil
	}
	tbl, args := addrSetSQL(set, 1)
	body := `SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, remote_addr,
	arg_max(local_port, flows) AS local_port, arg_max(remote_port, flows) AS remote_port, any_value(protocol) AS protocol,
	sum(flows)::BIGINT AS measure, ` + flowSums + `, NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, bool_or(opened_out) AS outbound
FROM (SELECT *, ` + fmt.Sprintf(ipv4Int, "remote_addr") + ` AS ip4 FROM fr) f
WHERE EXISTS (SELECT 1 FROM ` + tbl + ` WHERE (f.ip4 BETWEEN s.lo AND s.hi) OR lower(f.remote_addr) = s.exact)
GROUP BY hour, inst, interface_id, remote_addr`
	return s.flowHits(ctx, "flows to listed addresses", hours, body, args...)
}

// DetectFlowsToPorts returns, per hour, interface and public remote
// address, the accepted conversations the instance opened to one of ports.
func (s *Store) DetectFlowsToPorts(ctx context.Context, hours []TimeRange, ports []int) ([]FlowHit, error) {
	if len(ports) == 0 {
		return nil, nil
	}
	body := `SELECT hour, any_value(account_id) AS account_id, inst, interface_id, any_value(local_addr) AS local_addr, remote_addr,
	arg_max(local_port, flows) AS local_port, arg_max(remote_port, flows) AS remote_port, any_value(protocol) AS protocol,
	sum(flows)::BIGINT AS measure, ` + flowSums + `, NULL::BIGINT AS baseline_max, NULL::TIMESTAMP AS baseline_start, true AS outbound
FROM fr WHERE opened_out AND action = 'ACCEPT' AND protocol IN (6, 17) AND remote_port IN (` + intList(ports) + `)
	AND NOT is_private_address(remote_addr)
GROUP BY hour, inst, interface_id, remote_addr`
	return s.flowHits(ctx, "flows to listed ports", hours, body)
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

const ctEventColumns = `e.event_id, e.event_source, e.event_name, e.aws_region, e.event_time, e.source_ip, e.user_agent,
	e.user_type, e.user_arn, e.principal_id, coalesce(e.account_id, e.recipient_account_id), e.access_key_id, e.user_name,
	e.session_issuer_arn, e.error_code,
	CASE WHEN e.user_type IN ('AssumedRole', 'Root') THEN json_extract_string(e.raw, '$.userIdentity.invokedBy') END,
	CASE WHEN e.user_type = 'AssumedRole' THEN json_extract_string(e.raw, '$.userIdentity.sessionContext.ec2RoleDelivery') END,
	CASE WHEN e.event_name = 'ConsoleLogin' THEN json_extract_string(e.raw, '$.responseElements.ConsoleLogin') END,
	CASE WHEN e.event_name = 'ConsoleLogin' THEN json_extract_string(e.raw, '$.additionalEventData.MFAUsed') END,
	CASE WHEN e.user_type = 'Root' THEN json_extract_string(e.raw, '$.eventType') END,
	CASE WHEN e.event_source = 'cloudtrail.amazonaws.com' THEN json_extract(e.raw, '$.requestParameters')::VARCHAR END,
	i.aws_service, i.country, i.as_org, i.asn, i.latitude, i.longitude, ` + ctPrincipal

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

// DetectCloudTrailEvents returns the events of the hours, oldest first.
func (s *Store) DetectCloudTrailEvents(ctx context.Context, hours []TimeRange) ([]CTEvent, error) {
	if len(hours) == 0 {
		return nil, nil
	}
	pred, args := rangePredicate("e.event_time", hours, 1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+ctEventColumns+`
FROM cloudtrail_events e LEFT JOIN ip_info i ON i.ip = e.source_ip
WHERE `+pred+` ORDER BY e.event_time, e.event_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("detect cloudtrail events: %w", err)
	}
	out, err := scanCTEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("detect cloudtrail events: %w", err)
	}
	return out, nil
}

// DetectConsoleLogins returns the successful console sign-ins in [start,
// end), oldest first.
func (s *Store) DetectConsoleLogins(ctx context.Context, start, end time.Time) ([]CTEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+ctEventColumns+`
FROM cloudtrail_events e LEFT JOIN ip_info i ON i.ip = e.source_ip
WHERE e.event_time >= $1::TIMESTAMP AND e.event_time < $2::TIMESTAMP AND e.event_name = 'ConsoleLogin'
	AND json_extract_string(e.raw, '$.responseElements.ConsoleLogin') = 'Success'
ORDER BY e.event_time, e.event_id`, ts(start), ts(end))
	if err != nil {
		return nil, fmt.Errorf("detect console logins: %w", err)
	}
	out, err := scanCTEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("detect console logins: %w", err)
	}
	return out, nil
}

// DetectNewAPICalls returns the events of the hours whose principal had
// not called the same API (service and operation) in the baselineDays
// before the event's hour, had not called anything from the event's source
// address in that time either, and whose activity in that time began at
// least minBaseline before the hour. Novelty is read from the distinct
// (principal, API, hour) and (principal, address, hour) combinations, each
// compared with the previous hour it occurred in, so the cost grows with
// those combinations, not with the square of a busy principal's events.
func (s *Store) DetectNewAPICalls(ctx context.Context, hours []TimeRange, baselineDays int, minBaseline time.Duration) ([]CTEvent, error) {
	if len(hours) == 0 {
		return nil, nil
	}
	first, last := hours[0].Start, hours[len(hours)-1].End
	pred, args := rangePredicate("event_time", hours, 4)
	args = append([]any{int64(minBaseline / time.Second), ts(first.AddDate(0, 0, -baselineDays)), ts(last)}, args...)
	q := fmt.Sprintf(`WITH ev AS (
	SELECT %[1]s AS principal, event_source, event_name, source_ip, date_trunc('hour', event_time) AS hour
	FROM cloudtrail_events
	WHERE event_time >= $2::TIMESTAMP AND event_time < $3::TIMESTAMP AND %[1]s IS NOT NULL
), api AS (
	SELECT principal, event_source, event_name, hour,
		lag(hour) OVER (PARTITION BY principal, event_source, event_name ORDER BY hour) AS prev
	FROM (SELECT DISTINCT principal, event_source, event_name, hour FROM ev)
), addr AS (
	SELECT principal, source_ip, hour, lag(hour) OVER (PARTITION BY principal, source_ip ORDER BY hour) AS prev
	FROM (SELECT DISTINCT principal, source_ip, hour FROM ev)
), ph AS (
	SELECT principal, hour,
		min(hour) OVER (PARTITION BY principal ORDER BY hour RANGE BETWEEN INTERVAL %[3]d DAY PRECEDING AND CURRENT ROW) AS since
	FROM (SELECT DISTINCT principal, hour FROM ev)
), e AS (
	SELECT c.* FROM (
		SELECT *, %[1]s AS principal, date_trunc('hour', event_time) AS hour FROM cloudtrail_events
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
SELECT `+ctEventColumns+` FROM e LEFT JOIN ip_info i ON i.ip = e.source_ip ORDER BY e.event_time, e.event_id`,
		ctPrincipal, pred, baselineDays)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("detect new api calls: %w", err)
	}
	out, err := scanCTEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("detect new api calls: %w", err)
	}
	return out, nil
}

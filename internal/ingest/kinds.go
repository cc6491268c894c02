package ingest

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/gumshoe-dev/gumshoe/internal/cloudtrail"
	"github.com/gumshoe-dev/gumshoe/internal/dnslog"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
	"github.com/gumshoe-dev/gumshoe/internal/guardduty"
	"github.com/gumshoe-dev/gumshoe/internal/ocsf"
	"github.com/gumshoe-dev/gumshoe/internal/source"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// Kind is a log family. Each object is one kind, detected from its key and
// its first bytes unless the user forces one.
type Kind string

// The kinds gumshoe reads.
const (
	KindFlow       Kind = "vpcflow"
	KindCloudTrail Kind = "cloudtrail"
	KindFindings   Kind = "findings"
	KindDNS        Kind = "dns"
)

// Kinds lists every kind, for --kind's help and validation.
var Kinds = []Kind{KindFlow, KindCloudTrail, KindFindings, KindDNS}

// ParseKind validates a --kind value.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown kind %q (want one of %s)", s, strings.Join(names, ", "))
}

// kindFromKey reads the kind from the service segment of an AWS key.
func kindFromKey(l source.Layout) Kind {
	switch strings.ToLower(l.Service) {
	case "vpcflowlogs":
		return KindFlow
	case "cloudtrail", "cloudtrail-digest", "cloudtrail-insight":
		return KindCloudTrail
	case "vpcdnsquerylogs":
		return KindDNS
	case "guardduty":
		return KindFindings
	}
	return ""
}

// sniffKind reads the kind from an object's first decompressed bytes: JSON
// is CloudTrail, a finding or a DNS query log, by what its fields say;
// anything else is taken to be a text flow log, whose decoder then says
// clearly if it is not one.
func sniffKind(prefix []byte) (Kind, error) {
	trimmed := bytes.TrimLeft(prefix, " \t\r\n\ufeff")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return KindFlow, nil
	}
	switch {
	case cloudtrail.Sniff(prefix):
		return KindCloudTrail, nil
	case guardduty.Sniff(prefix):
		return KindFindings, nil
	case dnslog.Sniff(prefix):
		return KindDNS, nil
	}
	return "", fmt.Errorf("JSON that is neither CloudTrail, a GuardDuty or Security Hub finding, nor a Route 53 resolver query log")
}

// sink receives decoded records; nil means count only (strict mode's
// checking pass).
type sink struct {
	w  *segmentWriter
	id int64

	// row buffers, reused from batch to batch
	ct []store.CloudTrailRow
	fd []store.FindingRow
	dn []store.DNSRow
}

// openObject opens an object, decompresses it, and decides its kind.
func (r *run) openObject(ctx context.Context, o source.Object) (Kind, *bufio.Reader, io.Closer, bool, error) {
	raw, err := o.Open(ctx)
	if err != nil {
		return "", nil, nil, false, fmt.Errorf("%s: %w", o.URI, err)
	}
	br := bufio.NewReaderSize(raw, 64<<10)
	if magic, _ := br.Peek(4); string(magic) == "PAR1" {
		return KindFlow, br, raw, true, nil
	}
	rc, _, err := source.Decompress(br)
	if err != nil {
		raw.Close()
		return "", nil, nil, false, fmt.Errorf("%s: %w", o.URI, err)
	}
	closer := closers{rc, raw}
	dr := bufio.NewReaderSize(rc, 256<<10)
	// CloudWatch Logs subscription payloads and export files wrap the log
	// lines; unwrap them so the decoders see the lines alone.
	prefix, _ := dr.Peek(4096)
	if plain, _, ok, err := source.Unwrap(prefix, dr); err != nil {
		closer.Close()
		return "", nil, nil, false, fmt.Errorf("%s: %w", o.URI, err)
	} else if ok {
		dr = bufio.NewReaderSize(plain, 256<<10)
	}
	kind := r.cfg.Kind
	if kind == "" {
		kind = kindFromKey(o.Layout)
	}
	if kind == "" {
		prefix, _ := dr.Peek(4096)
		if kind, err = sniffKind(prefix); err != nil {
			closer.Close()
			return "", nil, nil, false, fmt.Errorf("%s: %w", o.URI, err)
		}
	}
	return kind, dr, closer, false, nil
}

type closers []io.Closer

func (c closers) Close() error {
	var first error
	for _, x := range c {
		if err := x.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// reject records a rejected line or record in res.
func (res *decodeResult) reject(file string, line int, field string, err error, text string) {
	res.rejected++
	if res.firstReject == "" {
		loc := fmt.Sprintf("%s:%d", file, line)
		if field != "" {
			loc += ": field " + field
		}
		res.firstReject = fmt.Sprintf("%s: %v", loc, err)
	}
	if len(res.rejects) < maxReported {
		res.rejects = append(res.rejects, Rejected{File: file, Line: line, Field: field, Error: err.Error(), Text: text})
	}
}

// readAll runs step until the object ends: step decodes one batch and
// stages it, setting res.storeErr if the store fails, and returns the
// decoder's error (io.EOF at the end).
func readAll(ctx context.Context, res *decodeResult, step func() error) {
	for ctx.Err() == nil {
		err := step()
		if res.storeErr != nil {
			return
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			res.err = err
			break
		}
	}
	if ctx.Err() != nil {
		res.err = ctx.Err()
	}
}

// writeEvents stages CloudTrail events, dropping repeats of an event ID
// within the segment (the store drops those stored by earlier segments).
func (s *sink) writeEvents(events []cloudtrail.Event) error {
	if s == nil || len(events) == 0 {
		return nil
	}
	w, err := s.w.cloudtrail()
	if err != nil {
		return err
	}
	s.ct = s.ct[:0]
	for i := range events {
		row := cloudTrailRow(&events[i], s.id)
		if !s.w.firstInSegment(row.EventID) {
			continue
		}
		s.ct = append(s.ct, row)
		s.w.noteAddress(events[i].SourceIP)
	}
	return w.Write(s.ct)
}

// writeFindings stages findings.
func (s *sink) writeFindings(findings []guardduty.Finding) error {
	if s == nil || len(findings) == 0 {
		return nil
	}
	w, err := s.w.findings()
	if err != nil {
		return err
	}
	s.fd = s.fd[:0]
	for i := range findings {
		s.fd = append(s.fd, findingRow(&findings[i], s.id))
		s.w.noteAddress(findings[i].RemoteIP)
	}
	return w.Write(s.fd)
}

// writeQueries stages DNS queries of object o.
func (s *sink) writeQueries(o source.Object, queries []dnslog.Query) error {
	if s == nil || len(queries) == 0 {
		return nil
	}
	w, err := s.w.dns()
	if err != nil {
		return err
	}
	s.dn = s.dn[:0]
	for i := range queries {
		s.dn = append(s.dn, dnsRow(&queries[i], o, s.id))
	}
	return w.Write(s.dn)
}

// writeFlows stages flow records.
func (s *sink) writeFlows(recs []flowlog.Record) error {
	if s == nil || len(recs) == 0 {
		return nil
	}
	fw, err := s.w.writer()
	if err != nil {
		return err
	}
	return fw.Write(s.id, recs)
}

func (r *run) decodeCloudTrail(ctx context.Context, o source.Object, in io.Reader, s *sink) (res decodeResult) {
	res.kind = KindCloudTrail
	dec := cloudtrail.NewDecoder(in, cloudtrail.Options{File: o.URI})
	b := &cloudtrail.Batch{}
	readAll(ctx, &res, func() error {
		err := dec.Next(b)
		for _, pe := range b.Errors {
			res.reject(pe.File, pe.Record, "", pe.Err, "")
		}
		res.records += int64(len(b.Events))
		res.storeErr = s.writeEvents(b.Events)
		return err
	})
	res.digests = dec.Digests()
	res.format = dec.Shape()
	return res
}

func cloudTrailRow(e *cloudtrail.Event, objectID int64) store.CloudTrailRow {
	id := e.EventID
	if id == "" {
		// Some exports drop eventID. The event's own bytes identify it, so
		// the same event ingested twice is still stored once.
		sum := sha256.Sum256(e.Raw)
		id = "gumshoe-" + hex.EncodeToString(sum[:16])
	}
	return store.CloudTrailRow{
		EventID: id, EventTime: store.Micros(e.EventTime), EventSource: e.EventSource, EventName: e.EventName,
		AWSRegion: e.AWSRegion, SourceIP: e.SourceIP, UserAgent: e.UserAgent, UserType: e.UserType, UserARN: e.UserARN,
		PrincipalID: e.PrincipalID, AccountID: e.AccountID, AccessKeyID: e.AccessKeyID, UserName: e.UserName,
		SessionIssuerARN: e.SessionIssuerARN, ErrorCode: e.ErrorCode, ErrorMessage: e.ErrorMessage, ReadOnly: e.ReadOnly,
		RecipientAccountID: e.RecipientAccountID, Resources: string(e.Resources), Raw: string(e.Raw),
		ObjectID: objectID, ObjectRecord: int32(e.Record),
	}
}

func (r *run) decodeFindings(ctx context.Context, o source.Object, in io.Reader, s *sink) (res decodeResult) {
	res.kind = KindFindings
	dec := guardduty.NewDecoder(in, guardduty.Options{File: o.URI})
	b := &guardduty.Batch{}
	readAll(ctx, &res, func() error {
		err := dec.Next(b)
		for _, pe := range b.Errors {
			res.reject(pe.File, pe.Record, "", pe.Err, "")
		}
		res.records += int64(len(b.Findings))
		res.storeErr = s.writeFindings(b.Findings)
		return err
	})
	return res
}

func findingRow(f *guardduty.Finding, objectID int64) store.FindingRow {
	return store.FindingRow{
		ID: f.ID, Source: f.Source, Product: f.Product, Type: f.Type, Severity: f.Severity, SeverityLabel: f.SeverityLabel,
		Title: f.Title, Description: f.Description, AccountID: f.AccountID, Region: f.Region, ResourceType: f.ResourceType,
		InstanceID: f.InstanceID, AccessKeyID: f.AccessKeyID, Principal: f.Principal, RemoteIP: f.RemoteIP,
		LocalPort: f.LocalPort, RemotePort: f.RemotePort, Domain: f.Domain,
		FirstSeen: store.OptMicros(f.FirstSeen), LastSeen: store.OptMicros(f.LastSeen),
		CreatedAt: store.OptMicros(f.CreatedAt), UpdatedAt: store.OptMicros(f.UpdatedAt),
		Count: f.Count, Archived: f.Archived, Raw: string(f.Raw), ObjectID: objectID, ObjectRecord: int32(f.Record),
	}
}

func (r *run) decodeDNS(ctx context.Context, o source.Object, in io.Reader, s *sink) (res decodeResult) {
	res.kind = KindDNS
	dec := dnslog.NewDecoder(in, dnslog.Options{File: o.URI})
	b := &dnslog.Batch{}
	readAll(ctx, &res, func() error {
		err := dec.Next(b)
		for _, pe := range b.Errors {
			res.reject(pe.File, pe.Record, pe.Field, pe.Err, pe.Text)
		}
		res.records += int64(len(b.Queries))
		res.storeErr = s.writeQueries(o, b.Queries)
		return err
	})
	return res
}

func dnsRow(q *dnslog.Query, o source.Object, objectID int64) store.DNSRow {
	row := store.DNSRow{
		QueryTime: store.Micros(q.QueryTime), QueryName: q.QueryName, QueryType: q.QueryType, QueryClass: q.QueryClass,
		RCode: q.RCode, Answers: string(q.Answers), SrcAddr: q.SrcAddr, SrcPort: q.SrcPort, Transport: q.Transport,
		InstanceID: q.InstanceID, ResolverEndpoint: q.ResolverEndpoint, VPCID: q.VPCID, FirewallAction: q.FirewallAction,
		FirewallRuleGroupID: q.FirewallRuleGroupID, FirewallDomainListID: q.FirewallDomainListID,
		AccountID: q.AccountID, Region: q.Region, Version: q.Version, Raw: string(q.Raw),
		ObjectID: objectID, ObjectRecord: int32(q.Record),
	}
	// Every row carries account and region: the key says them when the
	// record does not.
	if row.AccountID == "" {
		row.AccountID = o.Layout.AccountID
	}
	if row.Region == "" {
		row.Region = o.Layout.Region
	}
	if row.VPCID == "" {
		row.VPCID = o.Layout.VPCID
	}
	return row
}

// decodeParquet reads a Parquet object: Security Lake OCSF or an AWS
// Parquet flow log.
func (r *run) decodeParquet(ctx context.Context, o source.Object, batch *flowlog.Batch, s *sink) decodeResult {
	ra, err := o.OpenReaderAt(ctx)
	if err != nil {
		return decodeResult{kind: KindFlow, err: fmt.Errorf("%s: %w", o.URI, err)}
	}
	defer ra.Close()
	if ocsf.Sniff(ra, ra.Size()) {
		return r.decodeOCSF(ctx, o, ra, s)
	}
	pd, err := flowlog.NewParquetDecoder(ra, ra.Size(), flowlog.ParquetOptions{File: o.URI})
	if err != nil {
		return decodeResult{kind: KindFlow, err: err}
	}
	return r.decodeFlowsWith(ctx, pd, batch, s)
}

// decodeOCSF reads a Security Lake object, sending each class of record to
// the table of its native log.
func (r *run) decodeOCSF(ctx context.Context, o source.Object, ra io.ReaderAt, s *sink) (res decodeResult) {
	size := ra.(interface{ Size() int64 }).Size()
	dec, err := ocsf.NewDecoder(ra, size, ocsf.Options{File: o.URI})
	if err != nil {
		return decodeResult{kind: KindFlow, err: err}
	}
	switch dec.Class() {
	case ocsf.ClassNetworkActivity:
		res.kind = KindFlow
	case ocsf.ClassDNSActivity:
		res.kind = KindDNS
	case ocsf.ClassSecurityFinding, ocsf.ClassDetectionFinding:
		res.kind = KindFindings
	default:
		res.kind = KindCloudTrail
	}
	res.format = "ocsf " + dec.Version()
	b := &ocsf.Batch{}
	readAll(ctx, &res, func() error {
		err := dec.Next(b)
		for _, pe := range b.Errors {
			res.reject(pe.File, pe.Record, pe.Field, pe.Err, "")
		}
		res.records += int64(len(b.Flows) + len(b.Events) + len(b.Queries) + len(b.Findings))
		// A batch holds one class, so at most one of these writes.
		res.storeErr = cmp.Or(s.writeFlows(b.Flows), s.writeEvents(b.Events),
			s.writeFindings(b.Findings), s.writeQueries(o, b.Queries))
		return err
	})
	return res
}

// decodeFlows reads a text flow log object.
func (r *run) decodeFlows(ctx context.Context, o source.Object, in io.Reader, batch *flowlog.Batch, s *sink) decodeResult {
	return r.decodeFlowsWith(ctx, flowlog.NewTextDecoder(in, flowlog.TextOptions{File: o.URI, Format: r.cfg.Format}), batch, s)
}

// decodeFlowsWith reads flow records from dec.
func (r *run) decodeFlowsWith(ctx context.Context, dec decoder, batch *flowlog.Batch, s *sink) (res decodeResult) {
	res.kind = KindFlow
	for {
		if ctx.Err() != nil {
			res.err = ctx.Err()
			return res
		}
		err := dec.Next(batch)
		for _, pe := range batch.Errors {
			res.reject(pe.File, pe.Line, pe.Field, pe.Err, pe.Text)
		}
		res.records += int64(len(batch.Records))
		if res.storeErr = s.writeFlows(batch.Records); res.storeErr != nil {
			return res
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			res.err = err
			break
		}
	}
	res.format = dec.Format().String()
	res.warnings = dec.Warnings()
	return res
}

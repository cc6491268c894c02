package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/engine"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// Common parameters.
var (
	pEntity = param{name: "id", in: "path", typ: "string", required: true,
		desc: "entity ID, \"<type>:<natural key>\" (e.g. instance:i-0123456789abcdef0), URL-escaped (an ARN's / as %2F)"}
	pStart   = param{name: "start", in: "query", typ: "string", desc: "scope start, RFC 3339 or YYYY-MM-DDTHH:MM (UTC), minute precision; with end"}
	pEnd     = param{name: "end", in: "query", typ: "string", desc: "scope end (exclusive); with start"}
	pFinding = param{name: "finding", in: "query", typ: "string", desc: "finding ID: sets the default scope to the finding's window (and, for flows, annotates its rows)"}
	scopeP   = []param{pEntity, pStart, pEnd, pFinding}
	pLimit   = param{name: "limit", in: "query", typ: "integer", desc: "page size"}
	pOffset  = param{name: "offset", in: "query", typ: "integer", desc: "rows to skip"}
	// flowParams are the flow details parameters beyond the scope.
	flowParams = []param{
		{name: "filter", in: "query", typ: "string", repeated: true, desc: "FIELD=VALUE, FIELD!=VALUE or FIELD~PARTIAL; fields remote_ip (address, CIDR, public, private), instance, local_port, remote_port (number or range), protocol, direction, action"},
		{name: "match", in: "query", typ: "string", desc: "all (AND, default) or any (OR)"},
		{name: "sort", in: "query", typ: "string", desc: "column to sort by (default: the finding's rows first, then bytes_in)"},
		{name: "order", in: "query", typ: "string", desc: "asc or desc (default desc)"},
		{name: "format", in: "query", typ: "string", desc: "json (default) or csv (the page of rows)"},
		pLimit, pOffset,
	}
)

func (s *Server) apiRoutes() []route {
	return append([]route{
		{method: "GET", path: "/api/v1/openapi.json", tag: "meta", summary: "This API's OpenAPI 3 document", h: s.openAPI},
		{method: "GET", path: "/api/v1/search", tag: "search", summary: "Find entities by any identifier: IP, CIDR, instance or interface ID, ARN, access key, account, user agent, bucket, domain, finding ID",
			params: []param{{name: "q", in: "query", typ: "string", required: true, desc: "what to look for"}}, h: s.search},
		{method: "GET", path: "/api/v1/entities/{id}", tag: "profiles", summary: "Details panel: the entity, its related entities in scope, its panels", params: scopeP, h: s.details},
		{method: "GET", path: "/api/v1/entities/{id}/findings", tag: "profiles", summary: "Associated findings", params: []param{pEntity}, h: s.entityFindings},
		{method: "GET", path: "/api/v1/entities/{id}/api-calls", tag: "profiles", summary: "Overall API call volume: successful and failed calls per bucket, with the 45-day baseline average", params: scopeP, h: s.apiCalls},
		{method: "GET", path: "/api/v1/entities/{id}/api-calls/records", tag: "profiles", summary: "The CloudTrail events behind the API call panels (a bucket, an address, a user agent, an operation), paged, with provenance and the SQL that selects them",
			params: append(append([]param{}, scopeP...),
				param{name: "bucket", in: "query", typ: "string", desc: "bucket start from api-calls"},
				param{name: "ip", in: "query", typ: "string", desc: "source address"},
				param{name: "user_agent", in: "query", typ: "string", desc: "user agent"},
				param{name: "operation", in: "query", typ: "string", desc: "service:EventName, e.g. s3.amazonaws.com:GetObject"},
				pLimit, pOffset), h: s.apiCallRecords},
		{method: "GET", path: "/api/v1/entities/{id}/observed/{kind}", tag: "profiles", summary: "Observed IP addresses, geolocations, AS organisations, user agents or API calls, newly observed flagged",
			params: append([]param{{name: "kind", in: "path", typ: "string", required: true, desc: "ips, geolocations, asos, user-agents or api-calls"}}, scopeP...), h: s.observed},
		{method: "GET", path: "/api/v1/entities/{id}/roles", tag: "profiles", summary: "Roles assumed and sessions started (for a role: who assumed it)", params: scopeP, h: s.roles},
		{method: "GET", path: "/api/v1/entities/{id}/buckets", tag: "profiles", summary: "S3 buckets touched, by bucket and operation", params: scopeP, h: s.buckets},
		{method: "GET", path: "/api/v1/entities/{id}/flow-volume", tag: "flows", summary: "Overall VPC flow volume in and out per bucket", params: scopeP, h: s.flowVolume},
		{method: "GET", path: "/api/v1/entities/{id}/flows", tag: "flows", summary: "Flow details: one row per (remote IP or instance, local port, remote port, protocol, direction), exact counts",
			params: append(append([]param{}, scopeP...), flowParams...), produces: []string{"application/json", "text/csv"}, h: s.flows},
		{method: "GET", path: "/api/v1/entities/{id}/flows/series", tag: "flows", summary: "Overall in/out series plus one series per selected flow-details row",
			params: append(append([]param{}, scopeP...), param{name: "row", in: "query", typ: "string", repeated: true, desc: "row ID from flow details"}), h: s.series},
		{method: "GET", path: "/api/v1/entities/{id}/flows/records", tag: "flows", summary: "Raw flow log records behind a row or a bucket, paged, with the SQL that selects them",
			params: append(append([]param{}, scopeP...),
				param{name: "row", in: "query", typ: "string", desc: "row ID from flow details"},
				param{name: "bucket", in: "query", typ: "string", desc: "bucket start from flow volume or series"},
				param{name: "athena_table", in: "query", typ: "string", desc: "Athena table for athena_sql (default vpc_flow_logs; see gumshoe ddl athena)"},
				pLimit, pOffset), h: s.records},
		{method: "GET", path: "/api/v1/flows/pattern", tag: "flows", summary: "Flow log records matching a CloudWatch Logs filter pattern, with the SQL and the Athena SQL",
			params: []param{
				{name: "pattern", in: "query", typ: "string", required: true, desc: "filter pattern, e.g. [version, account, eni, source, destination, srcport, destport=\"22\", protocol, packets, bytes, windowstart, windowend, action=\"REJECT\", flowlogstatus]"},
				{name: "flow_format", in: "query", typ: "string", desc: "flow log format the pattern's positions follow, ${field} ... (default: AWS's default format)"},
				{name: "athena_table", in: "query", typ: "string", desc: "Athena table for athena_sql (default vpc_flow_logs)"},
				pLimit}, h: s.pattern},
		{method: "GET", path: "/api/v1/athena/ddl", tag: "flows", summary: "Athena CREATE EXTERNAL TABLE for a flow log format and S3 location (as gumshoe ddl athena)",
			params: []param{
				{name: "location", in: "query", typ: "string", required: true, desc: "s3://bucket/prefix/ the flow log delivers to (before AWSLogs/)"},
				{name: "format", in: "query", typ: "string", desc: "the flow log format, ${field} ... (default: AWS's default format)"},
				{name: "table", in: "query", typ: "string", desc: "table name (default vpc_flow_logs)"},
				{name: "parquet", in: "query", typ: "boolean", desc: "Parquet delivery"},
				{name: "hive", in: "query", typ: "boolean", desc: "Hive-compatible S3 prefixes"},
				{name: "hourly", in: "query", typ: "boolean", desc: "per-hour partitions"},
				{name: "projection", in: "query", typ: "boolean", desc: "partition projection"},
				{name: "since", in: "query", typ: "string", desc: "first day of projected data, YYYY-MM-DD (default: January 1 of last year)"},
				{name: "account", in: "query", typ: "string", repeated: true, desc: "account IDs the table reads"},
				{name: "region", in: "query", typ: "string", repeated: true, desc: "regions the table reads"}}, h: s.athenaDDL},
		{method: "GET", path: "/api/v1/findings", tag: "findings", summary: "Findings, most severe and most recent first",
			params: []param{
				{name: "min_severity", in: "query", typ: "number", desc: "lowest severity (0.1–10)"},
				{name: "type", in: "query", typ: "string", desc: "finding type contains this"},
				{name: "account", in: "query", typ: "string", desc: "account ID"},
				{name: "archived", in: "query", typ: "boolean", desc: "true or false (default: both)"},
				{name: "since", in: "query", typ: "string", desc: "last seen at or after"},
				pLimit, pOffset}, h: s.findings},
		{method: "GET", path: "/api/v1/findings/{id}", tag: "findings", summary: "One finding, its default scope and the entities it involves",
			params: []param{{name: "id", in: "path", typ: "string", required: true, desc: "finding ID"}}, h: s.finding},
		{method: "GET", path: "/api/v1/findings/{id}/flows", tag: "findings", summary: "VPC flow volume to and from the finding's IP address: flow details of its instance with its remote address, its own rows first",
			params:   append([]param{{name: "id", in: "path", typ: "string", required: true, desc: "finding ID"}, pStart, pEnd}, flowParams...),
			produces: []string{"application/json", "text/csv"}, h: s.findingFlows},
		{method: "POST", path: "/api/v1/sql", tag: "sql", summary: "Run one read-only SQL statement (row and time limits; JSON or CSV)",
			params:   []param{{name: "format", in: "query", typ: "string", desc: "json (default) or csv; or Accept: text/csv"}},
			body:     &bodySpec{desc: "the query", schema: sqlRequestSchema},
			produces: []string{"application/json", "text/csv"}, h: s.sql},
		{method: "GET", path: "/api/v1/ingest/status", tag: "ingest", summary: "Ingest status: per log type and watched source, last ingest, records and rejected lines", h: s.ingestStatus},
	}, append(s.analysisRoutes(), s.summaryRoutes()...)...)
}

// entity resolves the {id} entity (type and key: see engine.EntityRef).
func (s *Server) entity(r *http.Request) (*store.Entity, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 4096 {
		return nil, badRequest("entity id missing or too long")
	}
	return s.eng.EntityRef(r.Context(), id)
}

// scope reads start/end, else the finding's window, else the entity's
// default.
func (s *Server) scope(r *http.Request, ent *store.Entity) (engine.Scope, error) {
	q := r.URL.Query()
	start, end := q.Get("start"), q.Get("end")
	switch {
	case start != "" && end != "":
		st, err := engine.ParseTime(start)
		if err != nil {
			return engine.Scope{}, err
		}
		en, err := engine.ParseTime(end)
		if err != nil {
			return engine.Scope{}, err
		}
		return engine.NewScope(st, en)
	case start != "" || end != "":
		return engine.Scope{}, badRequest("give both start and end, or neither")
	case q.Get("finding") != "":
		sc, _, err := s.eng.ScopeForFinding(r.Context(), q.Get("finding"))
		return sc, err
	}
	if ent == nil {
		return engine.EntityScope(s.cfg.Now()), nil
	}
	return s.eng.DefaultScope(r.Context(), ent)
}

func (s *Server) entityAndScope(r *http.Request) (*store.Entity, engine.Scope, error) {
	ent, err := s.entity(r)
	if err != nil {
		return nil, engine.Scope{}, err
	}
	sc, err := s.scope(r, ent)
	return ent, sc, err
}

func intParam(r *http.Request, name string, def, maxV int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badRequest("%s must be a non-negative integer", name)
	}
	if maxV > 0 && n > maxV {
		return 0, badRequest("%s must be at most %d", name, maxV)
	}
	return n, nil
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	res, err := s.eng.Search(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) details(w http.ResponseWriter, r *http.Request) error {
	ent, sc, err := s.entityAndScope(r)
	if err != nil {
		return err
	}
	if ent, err = s.eng.Entity(r.Context(), ent.ID); err != nil {
		return err
	}
	d, err := s.eng.Details(r.Context(), ent, sc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) entityFindings(w http.ResponseWriter, r *http.Request) error {
	ent, err := s.entity(r)
	if err != nil {
		return err
	}
	fs, err := s.eng.Findings(r.Context(), ent)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entity_id": ent.ID, "findings": fs})
}

func (s *Server) apiCalls(w http.ResponseWriter, r *http.Request) error {
	ent, sc, err := s.entityAndScope(r)
	if err != nil {
		return err
	}
	out, err := s.eng.APICalls(r.Context(), ent, sc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCallRecords(w http.ResponseWriter, r *http.Request) error {
	ent, sc, err := s.entityAndScope(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	eq := engine.EventsQuery{Scope: sc, SourceIP: q.Get("ip"), UserAgent: q.Get("user_agent"), Operation: q.Get("operation")}
	if b := q.Get("bucket"); b != "" {
		t, err := time.Parse(time.RFC3339, b)
		if err != nil {
			return badRequest("bucket must be an RFC 3339 time")
		}
		eq.Bucket = &t
	}
	if eq.Limit, err = intParam(r, "limit", 100, engine.MaxRecords); err != nil {
		return err
	}
	if eq.Offset, err = intParam(r, "offset", 0, 0); err != nil {
		return err
	}
	out, err := s.eng.APICallRecords(r.Context(), ent, eq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) observed(w http.ResponseWriter, r *http.Request) error {
	ent, sc, err := s.entityAndScope(r)
	if err != nil {
		return err
	}
	out, err := s.eng.Observed(r.Context(), ent, r.PathValue("kind"), sc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) roles(w http.ResponseWriter, r *http.Request) error {
	ent, sc, err := s.entityAndScope(r)
	if err != nil {
		return err
	}
	out, err := s.eng.Roles(r.Context(), ent, sc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) buckets(w http.ResponseWriter, r *http.Request) error {
	ent, sc, err := s.entityAndScope(r)
	if err != nil {
		return err
	}
	out, err := s.eng.Buckets(r.Context(), ent, sc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) flowVolume(w http.ResponseWriter, r *http.Request) error {
	ent, sc, err := s.entityAndScope(r)
	if err != nil {
		return err
	}
	out, err := s.eng.FlowVolume(r.Context(), ent, sc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) flows(w http.ResponseWriter, r *http.Request) error {
	ent, sc, err := s.entityAndScope(r)
	if err != nil {
		return err
	}
	fq, format, err := flowQuery(r, sc)
	if err != nil {
		return err
	}
	out, err := s.eng.FlowDetails(r.Context(), ent, fq)
	if err != nil {
		return err
	}
	if format == "csv" {
		return writeFlowsCSV(w, out)
	}
	return writeJSON(w, http.StatusOK, out)
}

// findingFlows is flow details of a finding's instance with its remote
// address.
func (s *Server) findingFlows(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	sc, _, err := s.eng.ScopeForFinding(r.Context(), id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Get("start") != "" || q.Get("end") != "" {
		if sc, err = s.scope(r, nil); err != nil {
			return err
		}
	}
	fq, format, err := flowQuery(r, sc)
	if err != nil {
		return err
	}
	out, err := s.eng.FindingFlows(r.Context(), id, fq)
	if err != nil {
		return err
	}
	if format == "csv" {
		return writeFlowsCSV(w, out)
	}
	return writeJSON(w, http.StatusOK, out)
}

// flowQuery reads the flow details parameters.
func flowQuery(r *http.Request, sc engine.Scope) (engine.FlowQuery, string, error) {
	q := r.URL.Query()
	fq := engine.FlowQuery{Scope: sc, Finding: q.Get("finding"), Sort: q.Get("sort"), Desc: true}
	for _, f := range q["filter"] {
		pf, err := engine.ParseFilter(f)
		if err != nil {
			return fq, "", err
		}
		fq.Filters = append(fq.Filters, pf)
	}
	switch q.Get("match") {
	case "", "all":
	case "any":
		fq.Any = true
	default:
		return fq, "", badRequest("match must be all or any")
	}
	switch q.Get("order") {
	case "", "desc":
	case "asc":
		fq.Desc = false
	default:
		return fq, "", badRequest("order must be asc or desc")
	}
	var err error
	if fq.Limit, err = intParam(r, "limit", 100, 1000); err != nil {
		return fq, "", err
	}
	if fq.Offset, err = intParam(r, "offset", 0, 0); err != nil {
		return fq, "", err
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return fq, "", badRequest("format must be json or csv")
	}
	return fq, format, nil
}

func (s *Server) series(w http.ResponseWriter, r *http.Request) error {
	ent, sc, err := s.entityAndScope(r)
	if err != nil {
		return err
	}
	out, err := s.eng.Series(r.Context(), ent, sc, r.URL.Query()["row"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) records(w http.ResponseWriter, r *http.Request) error {
	ent, sc, err := s.entityAndScope(r)
	if err != nil {
		return err
	}
	rq := engine.RecordsQuery{Scope: sc, Row: r.URL.Query().Get("row"), AthenaTable: r.URL.Query().Get("athena_table")}
	if b := r.URL.Query().Get("bucket"); b != "" {
		t, err := time.Parse(time.RFC3339, b)
		if err != nil {
			return badRequest("bucket must be an RFC 3339 time")
		}
		rq.Bucket = &t
	}
	if rq.Limit, err = intParam(r, "limit", 100, engine.MaxRecords); err != nil {
		return err
	}
	if rq.Offset, err = intParam(r, "offset", 0, 0); err != nil {
		return err
	}
	out, err := s.eng.Records(r.Context(), ent, rq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) findings(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.FindingFilter{Type: q.Get("type"), AccountID: q.Get("account")}
	if v := q.Get("min_severity"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return badRequest("min_severity must be a number")
		}
		f.MinSeverity = n
	}
	if v := q.Get("archived"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest("archived must be true or false")
		}
		f.Archived = &b
	}
	if v := q.Get("since"); v != "" {
		t, err := engine.ParseTime(v)
		if err != nil {
			return err
		}
		f.Since = t
	}
	var err error
	if f.Limit, err = intParam(r, "limit", 100, 1000); err != nil {
		return err
	}
	if f.Offset, err = intParam(r, "offset", 0, 0); err != nil {
		return err
	}
	fs, total, err := s.cfg.Store.Findings(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"total": total, "offset": f.Offset, "findings": fs})
}

func (s *Server) finding(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	sc, f, err := s.eng.ScopeForFinding(r.Context(), id)
	if err != nil {
		return err
	}
	ent := &store.Entity{ID: "finding:" + f.ID, Type: "finding", NaturalKey: f.ID}
	d, err := s.eng.Details(r.Context(), ent, engine.Scope{Start: time.Unix(0, 0).UTC(), End: sc.End.Add(24 * time.Hour)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"finding": f, "scope": sc, "entity_id": ent.ID, "involves": d.Related})
}

func (s *Server) ingestStatus(w http.ResponseWriter, r *http.Request) error {
	kinds, objs, err := s.cfg.Store.IngestStatus(r.Context(), 20)
	if err != nil {
		return err
	}
	out := map[string]any{"log_types": kinds, "objects_with_errors": objs, "watch": []WatchStatus{}}
	if s.cfg.Watcher != nil {
		ws, err := s.cfg.Watcher.Status(r.Context())
		if err != nil {
			return err
		}
		out["watch"] = ws
	}
	return writeJSON(w, http.StatusOK, out)
}

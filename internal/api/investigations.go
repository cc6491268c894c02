package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/engine"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// Finding groups and investigations (Detective's two analysis views over
// the findings): the handlers call the detect package and map its errors.

var (
	pGroupID = param{name: "id", in: "path", typ: "string", required: true, desc: "finding group ID"}
	pInvID   = param{name: "id", in: "path", typ: "string", required: true, desc: "investigation ID"}
)

var investigateSchema = map[string]any{
	"type":     "object",
	"required": []string{"entity"},
	"properties": map[string]any{
		"entity":     map[string]any{"type": "string", "description": "graph entity ID, TYPE:KEY, e.g. iam_user:arn:aws:iam::111122223333:user/alice"},
		"scopeStart": map[string]any{"type": "string", "description": "scope start, RFC 3339 (default: 24 hours before scopeEnd); start is accepted too"},
		"scopeEnd":   map[string]any{"type": "string", "description": "scope end, RFC 3339 (default: now); end is accepted too"},
	},
}

var stateSchema = map[string]any{
	"type":       "object",
	"required":   []string{"state"},
	"properties": map[string]any{"state": map[string]any{"type": "string", "enum": []string{"ACTIVE", "ARCHIVED"}}},
}

func (s *Server) analysisRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/finding-groups", tag: "groups", summary: "Finding groups, active first, then by severity and last update",
			params: []param{{name: "active", in: "query", typ: "boolean", desc: "true: only the active groups"}}, h: s.groups},
		{method: "GET", path: "/api/v1/finding-groups/{id}", tag: "groups", summary: "One finding group with its findings and entities as a graph (nodes and edges)",
			params: []param{pGroupID}, h: s.group},
		{method: "POST", path: "/api/v1/investigations", tag: "investigations", summary: "Investigate an entity over a scope; stores and returns the report",
			body: &bodySpec{desc: "the entity and scope", schema: investigateSchema}, h: s.investigate},
		{method: "GET", path: "/api/v1/investigations", tag: "investigations", summary: "Stored investigations, newest first", h: s.investigations},
		{method: "GET", path: "/api/v1/investigations/{id}", tag: "investigations", summary: "One investigation's report",
			params: []param{pInvID}, h: s.investigation},
		{method: "GET", path: "/api/v1/investigations/{id}/indicators", tag: "investigations", summary: "A page of an investigation's indicators, of one type when set",
			params: []param{pInvID,
				{name: "type", in: "query", typ: "string", desc: "indicator type, e.g. TTP_OBSERVED, NEW_USER_AGENT"},
				{name: "offset", in: "query", typ: "integer", desc: "indicators to skip"},
				{name: "max", in: "query", typ: "integer", desc: "page size (default 100, at most 1000)"}}, h: s.indicators},
		{method: "POST", path: "/api/v1/investigations/{id}/state", tag: "investigations", summary: "Archive (ARCHIVED) or reactivate (ACTIVE) an investigation",
			params: []param{pInvID}, body: &bodySpec{desc: "the new state", schema: stateSchema}, h: s.investigationState},
		{method: "GET", path: "/api/v1/investigations/{id}/report", tag: "investigations", summary: "The investigation's report as a JSON file to download",
			params: []param{pInvID}, h: s.investigationReport},
	}
}

// analysisError maps the detect package's lookup errors to 404s.
func analysisError(err error) error {
	switch {
	case errors.Is(err, detect.ErrNoGroup), errors.Is(err, store.ErrNoInvestigation):
		return &apiError{status: http.StatusNotFound, code: "not_found", msg: err.Error()}
	case errors.Is(err, detect.ErrBadEntity):
		return badRequest("%s", err.Error())
	}
	return err
}

func (s *Server) groups(w http.ResponseWriter, r *http.Request) error {
	active := false
	if v := r.URL.Query().Get("active"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest("active must be true or false")
		}
		active = b
	}
	gs, err := detect.Groups(r.Context(), s.cfg.Store, active)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"groups": gs})
}

func (s *Server) group(w http.ResponseWriter, r *http.Request) error {
	g, err := detect.GroupGraph(r.Context(), s.cfg.Store, r.PathValue("id"))
	if err != nil {
		return analysisError(err)
	}
	return writeJSON(w, http.StatusOK, g)
}

// maxBody bounds a JSON request body.
const maxBody = 64 << 10

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("request body: %v", err)
	}
	return nil
}

func (s *Server) investigate(w http.ResponseWriter, r *http.Request) error {
	// scopeStart/scopeEnd are Detective's names; the console sends
	// start/end.
	var req struct {
		Entity     string `json:"entity"`
		ScopeStart string `json:"scopeStart"`
		ScopeEnd   string `json:"scopeEnd"`
		Start      string `json:"start"`
		End        string `json:"end"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Entity == "" {
		return badRequest("entity is required")
	}
	startS, endS := req.ScopeStart, req.ScopeEnd
	if startS == "" {
		startS = req.Start
	}
	if endS == "" {
		endS = req.End
	}
	end := s.cfg.Now().UTC().Truncate(time.Minute)
	if endS != "" {
		t, err := engine.ParseTime(endS)
		if err != nil {
			return err
		}
		end = t
	}
	start := end.Add(-24 * time.Hour)
	if startS != "" {
		t, err := engine.ParseTime(startS)
		if err != nil {
			return err
		}
		start = t
	}
	inv, err := detect.Investigate(r.Context(), s.cfg.Store, req.Entity, start, end, detect.InvestigateConfig{Now: s.cfg.Now})
	if err != nil {
		return analysisError(err)
	}
	return writeJSON(w, http.StatusCreated, inv)
}

func (s *Server) investigations(w http.ResponseWriter, r *http.Request) error {
	list, err := detect.Investigations(r.Context(), s.cfg.Store)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"investigations": list})
}

func (s *Server) investigation(w http.ResponseWriter, r *http.Request) error {
	inv, err := detect.GetInvestigation(r.Context(), s.cfg.Store, r.PathValue("id"))
	if err != nil {
		return analysisError(err)
	}
	return writeJSON(w, http.StatusOK, inv)
}

func (s *Server) indicators(w http.ResponseWriter, r *http.Request) error {
	offset, err := intParam(r, "offset", 0, 0)
	if err != nil {
		return err
	}
	size, err := intParam(r, "max", 100, 1000)
	if err != nil {
		return err
	}
	if size == 0 {
		return badRequest("max must be between 1 and 1000")
	}
	typ := r.URL.Query().Get("type")
	list, next, err := detect.ListIndicators(r.Context(), s.cfg.Store, r.PathValue("id"), typ, offset, size)
	if err != nil {
		return analysisError(err)
	}
	if list == nil {
		list = []detect.Indicator{}
	}
	out := map[string]any{"indicators": list}
	if next > 0 {
		out["nextOffset"] = next
	}
	return writeJSON(w, http.StatusOK, out)
}

var goodState = regexp.MustCompile(`^(ACTIVE|ARCHIVED)$`)

func (s *Server) investigationState(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		State string `json:"state"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if !goodState.MatchString(req.State) {
		return badRequest("state must be ACTIVE or ARCHIVED")
	}
	id := r.PathValue("id")
	if err := detect.SetInvestigationState(r.Context(), s.cfg.Store, id, req.State); err != nil {
		return analysisError(err)
	}
	inv, err := detect.GetInvestigation(r.Context(), s.cfg.Store, id)
	if err != nil {
		return analysisError(err)
	}
	return writeJSON(w, http.StatusOK, inv)
}

var safeFileName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func (s *Server) investigationReport(w http.ResponseWriter, r *http.Request) error {
	inv, err := detect.GetInvestigation(r.Context(), s.cfg.Store, r.PathValue("id"))
	if err != nil {
		return analysisError(err)
	}
	name := "investigation-" + safeFileName.ReplaceAllString(inv.InvestigationID, "_") + ".json"
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	return writeJSON(w, http.StatusOK, inv)
}

package api

import (
	"net/http"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// The console's summary page in one response: its panels used to be
// eight requests (four of them SQL), and a burst of requests costs more
// than the queries (each request past the pool's idle connections opens
// one). Here the queries run one after another on one connection.

func (s *Server) summaryRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/summary", tag: "summary",
			summary: "The console's summary: findings by severity over time, most severe recent findings, active finding groups, top instances by traffic and principals by API calls, newly observed entities, ingest status",
			h:       s.summary},
	}
}

// Summary list sizes.
const (
	summaryFindings   = 8
	summaryGroups     = 10
	summaryInstances  = 10
	summaryPrincipals = 10
	summaryNew        = 40
	summaryErrObjects = 20
)

// summaryResponse is GET /api/v1/summary. Groups are the finding-groups
// endpoint's view of them; GroupsTotal counts every active group.
type summaryResponse struct {
	*store.Summary
	RecentFindings []store.Finding     `json:"recent_findings"`
	Groups         []detect.GroupView  `json:"active_groups"`
	GroupsTotal    int                 `json:"active_groups_total"`
	Ingest         ingestStatusSummary `json:"ingest"`
}

type ingestStatusSummary struct {
	LogTypes          []store.IngestKind   `json:"log_types"`
	ObjectsWithErrors []store.IngestObject `json:"objects_with_errors"`
	Watch             []WatchStatus        `json:"watch"`
}

func (s *Server) summary(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sum, err := s.cfg.Store.Summary(ctx, store.SummaryLimits{Instances: summaryInstances, Principals: summaryPrincipals, New: summaryNew})
	if err != nil {
		return err
	}
	out := summaryResponse{Summary: sum}
	active := false
	if out.RecentFindings, _, err = s.cfg.Store.Findings(ctx, store.FindingFilter{Archived: &active, Limit: summaryFindings}); err != nil {
		return err
	}
	groups, err := detect.Groups(ctx, s.cfg.Store, true)
	if err != nil {
		return err
	}
	out.GroupsTotal = len(groups)
	out.Groups = groups[:min(len(groups), summaryGroups)]
	if out.Ingest.LogTypes, out.Ingest.ObjectsWithErrors, err = s.cfg.Store.IngestStatus(ctx, summaryErrObjects); err != nil {
		return err
	}
	out.Ingest.Watch = []WatchStatus{}
	if s.cfg.Watcher != nil {
		if out.Ingest.Watch, err = s.cfg.Watcher.Status(ctx); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

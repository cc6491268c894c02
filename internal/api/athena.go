package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/athena"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// athenaDDL answers with the CREATE EXTERNAL TABLE for a flow log format
// and S3 location, as gumshoe ddl athena prints it.
func (s *Server) athenaDDL(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	flag := func(name string) (bool, error) {
		v := q.Get(name)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, badRequest("%s must be true or false", name)
		}
		return b, nil
	}
	opts := athena.Options{Table: q.Get("table"), Location: q.Get("location"), AccountIDs: q["account"], Regions: q["region"], Now: s.cfg.Now()}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			return badRequest("since must be YYYY-MM-DD")
		}
		opts.Since = t
	}
	if v := q.Get("format"); v != "" {
		f, err := flowlog.ParseFormat(v)
		if err != nil {
			return badRequest("format: %v", err)
		}
		opts.Format = f
	}
	var err error
	for name, dst := range map[string]*bool{"parquet": &opts.Parquet, "hive": &opts.Hive, "hourly": &opts.Hourly, "projection": &opts.Projection} {
		if *dst, err = flag(name); err != nil {
			return err
		}
	}
	ddl, err := athena.CreateTable(opts)
	if err != nil {
		return badRequest("%v", err)
	}
	next, err := athena.NextSteps(opts)
	if err != nil {
		return badRequest("%v", err)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"ddl": ddl, "next_steps": next})
}

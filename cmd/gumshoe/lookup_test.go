package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLookupWindow(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.duckdb")
	writeFile(t, dir, "a.log", sample)
	if _, _, err := run(t, "ingest", "--db", db, filepath.Join(dir, "a.log")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want int // data rows
	}{
		{nil, 1},
		{[]string{"--from", "2014-12-14"}, 1},
		{[]string{"--from", "2014-12-14T04:07"}, 0},
		{[]string{"--to", "2014-12-14T04:06"}, 0},
		{[]string{"--from", "2014-12-01", "--to", "2014-12-15"}, 1},
		{[]string{"--since", "30d"}, 0}, // the sample is from 2014
	} {
		args := append([]string{"lookup", "--db", db, "--format", "csv"}, tc.args...)
		out, _, err := run(t, append(args, "172.31.9.69")...)
		if err != nil {
			t.Fatalf("lookup %v: %v", tc.args, err)
		}
		if got := strings.Count(out, "\n") - 1; got != tc.want {
			t.Errorf("lookup %v = %d rows; want %d:\n%s", tc.args, got, tc.want, out)
		}
	}
	for _, args := range [][]string{{"--since", "soon"}, {"--since", "-3d"}, {"--from", "yesterday"},
		{"--from", "2024-05-02", "--to", "2024-05-01"}, {"--since", "3d", "--from", "2024-05-01"}} {
		if _, _, err := run(t, append(append([]string{"lookup", "--db", db}, args...), "172.31.9.69")...); err == nil {
			t.Errorf("lookup %v: no error; want one", args)
		}
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 720 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

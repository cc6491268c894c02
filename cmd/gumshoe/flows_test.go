package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlows(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.duckdb")
	if _, _, err := run(t, "ingest", "--db", db, writeFile(t, dir, "a.log", sample)); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "flows", "--db", db, "--format", "csv", "--pattern",
		`[version, account, eni, source, destination, srcport, destport="3389", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]`)
	if err != nil {
		t.Fatalf("flows: %v", err)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || strings.Join(recs[0], ",") != "version,account_id,interface_id,srcaddr,dstaddr,srcport,dstport,protocol,packets,bytes,start_time,end_time,action,log_status,uri,line" ||
		recs[1][3] != "172.31.9.69" || recs[1][15] != "3" || !strings.HasSuffix(recs[1][14], "a.log") {
		t.Errorf("flows csv = %q; want the rejected RDP record at a.log line 3", recs)
	}

	// Terms, JSON output, and NULLs read as "-" like the log's own text.
	out, _, err = run(t, "flows", "--db", db, "--format", "json", "--pattern", `[..., action != ACCEPT, status]`)
	if err != nil || strings.Count(out, `"srcaddr"`) != 2 || !strings.Contains(out, `"log_status": "NODATA"`) {
		t.Errorf("flows json = %s, %v; want the REJECT and NODATA records", out, err)
	}
	out, _, err = run(t, "flows", "--db", db, "--pattern", `NODATA`)
	if err != nil || !strings.Contains(out, "(1 rows)") {
		t.Errorf("flows table = %s, %v; want one row", out, err)
	}
	out, stderr, err := run(t, "flows", "--db", db, "--limit", "1", "--format", "csv", "--pattern", "")
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(stderr, "stopped at 1 rows") {
		t.Errorf("flows --limit 1 = %q, %q, %v", out, stderr, err)
	}

	// A pattern for a custom format.
	out, _, err = run(t, "flows", "--db", db, "--format", "csv", "--flow-format", "${srcaddr} ${dstport} ${action}", "--pattern", `[src = 172.31.*, port = 22, action]`)
	if err != nil || out != "srcaddr,dstport,action,uri,line\n172.31.16.139,22,ACCEPT,"+filepath.Join(dir, "a.log")+",2\n" {
		t.Errorf("flows --flow-format = %q, %v", out, err)
	}

	// Hostile values stay values.
	out, _, err = run(t, "flows", "--db", db, "--format", "csv", "--pattern", `[..., action = "x'); DROP TABLE ingested_objects; --", status]`)
	if err != nil || out != "version,account_id,interface_id,srcaddr,dstaddr,srcport,dstport,protocol,packets,bytes,start_time,end_time,action,log_status,uri,line\n" {
		t.Errorf("flows with a hostile value = %q, %v; want only the header", out, err)
	}
	if out, _, err := run(t, "query", "--db", db, "--format", "csv", "SELECT count(*) FROM ingested_objects"); err != nil || out != "count_star()\n1\n" {
		t.Errorf("ingested_objects after a hostile pattern = %q, %v", out, err)
	}
}

func TestFlowsErrors(t *testing.T) {
	_, _, err := run(t, "flows", "--pattern", `[version, account, eni source]`)
	if err == nil || !strings.HasPrefix(err.Error(), "filter pattern: column 24: expected a comparison") ||
		!strings.HasSuffix(err.Error(), "\n  [version, account, eni source]\n                         ^") {
		t.Errorf("flows with a bad pattern = %q; want the column and a caret under it", err)
	}
	if _, _, err := run(t, "flows"); err == nil || !strings.Contains(err.Error(), "pattern") {
		t.Errorf("flows without --pattern = %v; want an error naming --pattern", err)
	}
	if _, _, err := run(t, "flows", "--pattern", "", "--flow-format", "${nonsense}"); err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("flows --flow-format with an unknown field = %v", err)
	}
	if _, _, err := run(t, "flows", "--pattern", "", "--format", "xml"); err == nil {
		t.Error("flows --format xml succeeded")
	}
	// Compiling needs no database.
	if _, err := os.Stat("gumshoe.duckdb"); err == nil {
		t.Skip("a gumshoe.duckdb exists in the test directory")
	}
	out, _, err := run(t, "flows", "--sql", "--pattern", `[..., action = REJECT, status]`)
	if err != nil || !strings.Contains(out, "WHERE action = 'REJECT'") {
		t.Errorf("flows --sql = %q, %v", out, err)
	}
	if _, err := os.Stat("gumshoe.duckdb"); err == nil {
		t.Error("flows --sql created a database")
	}
	out, _, err = run(t, "flows", "--athena", "flows_v2", "--pattern", `[..., start >= 1418530010, end, action = REJECT, status]`)
	if err != nil || out != "SELECT * FROM flows_v2 WHERE (from_unixtime(start) >= TIMESTAMP '2014-12-14 04:06:50' AND action = 'REJECT')\nORDER BY from_unixtime(start) NULLS LAST\n" {
		t.Errorf("flows --athena = %q, %v", out, err)
	}
}

package athena

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gumshoe-dev/gumshoe/internal/filterpattern"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// v5Format is the 29-field custom format of AWS's v5 example records
// (reference §8.5).
const v5Format = "${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${type} ${packets} ${bytes} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${action} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${traffic-path} ${flow-direction} ${log-status}"

func mustFormat(t *testing.T, s string) flowlog.Format {
	t.Helper()
	f, err := flowlog.ParseFormat(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCreateTableGolden(t *testing.T) {
	v5 := mustFormat(t, v5Format)
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	since := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	one := []string{"123456789012"}
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"v2_text", Options{Location: "s3://amzn-s3-demo-bucket/prefix/", AccountIDs: one, Regions: []string{"us-east-1"}}},
		{"v2_text_placeholders", Options{Location: "s3://amzn-s3-demo-bucket"}},
		{"v5_text", Options{Format: v5, Location: "s3://amzn-s3-demo-bucket/prefix/", AccountIDs: one, Regions: []string{"ap-southeast-2"}}},
		{"v5_parquet", Options{Format: v5, Parquet: true, Location: "s3://amzn-s3-demo-bucket/prefix/AWSLogs/", AccountIDs: one, Regions: []string{"ap-southeast-2"}}},
		{"v2_hive", Options{Hive: true, Location: "s3://amzn-s3-demo-bucket/prefix/"}},
		{"v5_parquet_hive_hourly", Options{Format: v5, Parquet: true, Hive: true, Hourly: true, Location: "s3://amzn-s3-demo-bucket/prefix/"}},
		{"v2_projection", Options{Projection: true, Location: "s3://amzn-s3-demo-bucket/prefix/", AccountIDs: []string{"123456789012", "210987654321"}, Regions: []string{"us-east-1", "eu-west-1"}, Since: since}},
		{"v5_text_projection_hourly", Options{Format: v5, Projection: true, Hourly: true, Location: "s3://amzn-s3-demo-bucket/prefix/", Since: since}},
		{"v5_parquet_hive_projection", Options{Format: v5, Parquet: true, Hive: true, Projection: true, Table: "flows_v5", Location: "s3://amzn-s3-demo-bucket/prefix/", Regions: []string{"ap-southeast-2"}, Now: now}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Now.IsZero() {
				tc.opts.Now = now
			}
			got, err := CreateTable(tc.opts)
			if err != nil {
				t.Fatalf("CreateTable: %v", err)
			}
			next, err := NextSteps(tc.opts)
			if err != nil {
				t.Fatalf("NextSteps: %v", err)
			}
			got += "\n-- next steps (printed on stderr):\n" + commentLines(next)
			path := filepath.Join("testdata", tc.name+".golden.sql")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("CreateTable(%s) differs from %s (-want +got):\n%s", tc.name, path, diff)
			}
		})
	}
}

func commentLines(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if l != "" {
			b.WriteString("-- " + l + "\n")
		}
	}
	return b.String()
}

// TestColumnsOfEveryField checks what Athena needs of every field of every
// version: a column name without hyphens and one of the types AWS uses.
func TestColumnsOfEveryField(t *testing.T) {
	for _, f := range flowlog.Fields() {
		c := ColumnOf(f)
		if strings.Contains(c.Name, "-") || c.Name == "" {
			t.Errorf("ColumnOf(%s).Name = %q", f, c.Name)
		}
		if c.Type != "int" && c.Type != "bigint" && c.Type != "string" {
			t.Errorf("ColumnOf(%s).Type = %q", f, c.Type)
		}
	}
	// The types AWS's Athena documentation gives (reference §10).
	want := "version int, account_id string, interface_id string, srcaddr string, dstaddr string, srcport int, dstport int, protocol bigint, packets bigint, bytes bigint, start bigint, end bigint, action string, log_status string, vpc_id string, subnet_id string, instance_id string, tcp_flags int, type string, pkt_srcaddr string, pkt_dstaddr string, region string, az_id string, sublocation_type string, sublocation_id string, pkt_src_aws_service string, pkt_dst_aws_service string, flow_direction string, traffic_path int"
	var got []string
	for f := flowlog.Version; f <= flowlog.TrafficPath; f++ {
		c := ColumnOf(f)
		got = append(got, c.Name+" "+c.Type)
	}
	if g := strings.Join(got, ", "); g != want {
		t.Errorf("v2-v5 columns =\n%s\nwant\n%s", g, want)
	}
	for f, typ := range map[flowlog.Field]string{flowlog.PacketsLostNoRoute: "bigint", flowlog.ECSClusterARN: "string", flowlog.RejectReason: "string", flowlog.TGWSrcVPCAccountID: "string"} {
		if c := ColumnOf(f); c.Type != typ {
			t.Errorf("ColumnOf(%s) = %v; want type %s", f, c, typ)
		}
	}
}

func TestCreateTableRefusesHostileOptions(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Location: "s3://bucket/x' ) LOCATION 's3://other/"}, "want s3://bucket/prefix/"},
		{Options{Location: "https://bucket/prefix/"}, "want s3://bucket/prefix/"},
		{Options{Location: ""}, "want s3://bucket/prefix/"},
		{Options{Location: "s3://bucket/", Table: "t; DROP TABLE x"}, "lower-case letters"},
		{Options{Location: "s3://bucket/", Table: "Flows"}, "lower-case letters"},
		{Options{Location: "s3://bucket/", AccountIDs: []string{"1234'"}}, "not 12 digits"},
		{Options{Location: "s3://bucket/", Regions: []string{"us-east-1\""}}, "not an AWS Region"},
		{Options{Location: "s3://bucket/", Regions: []string{"us-east-1", "eu-west-1"}}, "one account and one Region"},
	} {
		_, err := CreateTable(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CreateTable(%+v) = %v; want an error containing %q", tc.opts, err, tc.want)
		}
	}
}

func TestTranslate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT * FROM flow_logs WHERE action = 'REJECT' AND protocol = 6 LIMIT 100`,
			`SELECT * FROM vpc_flow_logs WHERE action = 'REJECT' AND protocol = 6 LIMIT 100`},
		{`SELECT srcaddr, start_time, "end_time" FROM flow_logs WHERE epoch(start_time) >= 1418530100 AND epoch( end_time ) < 2 ORDER BY start_time NULLS LAST`,
			`SELECT srcaddr, from_unixtime(start), from_unixtime("end") FROM vpc_flow_logs WHERE start >= 1418530100 AND "end" < 2 ORDER BY from_unixtime(start) NULLS LAST`},
		{`SELECT coalesce(CAST(CAST(epoch(start_time) AS BIGINT) AS VARCHAR), '-') FROM flow_logs -- start_time stays in comments
WHERE srcaddr = 'flow_logs start_time' /* and epoch(end_time) here */`,
			`SELECT coalesce(CAST(CAST(start AS BIGINT) AS VARCHAR), '-') FROM vpc_flow_logs -- start_time stays in comments
WHERE srcaddr = 'flow_logs start_time' /* and epoch(end_time) here */`},
		{`SELECT epoch(now()), count(*) FROM flow_logs GROUP BY 1`, `SELECT to_unixtime(now()), count(*) FROM vpc_flow_logs GROUP BY 1`},
		{`SELECT CASE WHEN bytes > 1e6 THEN 'big' END FROM flow_logs`, `SELECT CASE WHEN bytes > 1e6 THEN 'big' END FROM vpc_flow_logs`},
		{`SELECT min(start_time) AS start_time, max(epoch(end_time)) AS "end_time" FROM flow_logs`, `SELECT min(from_unixtime(start)) AS start_time, max("end") AS "end_time" FROM vpc_flow_logs`},
	} {
		got, err := Translate(tc.in, "")
		if err != nil || got != tc.want {
			t.Errorf("Translate(%q) =\n%q, %v\nwant\n%q", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{`SELECT object_line FROM flow_logs`, "provenance"},
		{`SELECT * FROM flow_logs JOIN ingested_objects USING (object_id)`, "gumshoe's own"},
		{`SELECT start_time::DATE FROM flow_logs`, "CAST"},
		{`SELECT action, count(*) FROM flow_logs GROUP BY ALL`, "GROUP BY ALL"},
		{`SELECT 'abc FROM flow_logs`, "unterminated"},
		{`SELECT 1 /* x`, "unterminated comment"},
	} {
		if _, err := Translate(tc.in, ""); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Translate(%q) = %v; want an error containing %q", tc.in, err, tc.want)
		}
	}
	if _, err := Translate("SELECT 1", "x; DROP"); err == nil {
		t.Error("Translate with a hostile table name succeeded")
	}
}

// TestTranslateFilterPatterns translates what filterpattern compiles: no
// gumshoe-only name may be left in the Athena query.
func TestTranslateFilterPatterns(t *testing.T) {
	for _, p := range []string{
		`[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]`,
		`[..., start >= 1418530010 && start < 1.5e9, end = 14*, action != REJ*, status = -]`,
		`[v, account > 1, eni = eni-1*, ...]`,
		`?NODATA ?SKIPDATA`,
		`REJECT -"10.0.0.1"`,
	} {
		f, err := filterpattern.Compile(p, flowlog.Format{})
		if err != nil {
			t.Fatalf("Compile(%q): %v", p, err)
		}
		got, err := Translate("SELECT * FROM flow_logs WHERE "+f.Where, "")
		if err != nil {
			t.Errorf("Translate(Compile(%q)) = %v", p, err)
			continue
		}
		for _, bad := range []string{"start_time", "end_time", "epoch", "flow_logs"} {
			if strings.Contains(strings.ReplaceAll(got, "vpc_flow_logs", ""), bad) {
				t.Errorf("Translate(Compile(%q)) = %s; still has %s", p, got, bad)
			}
		}
	}
}

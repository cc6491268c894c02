package store

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

func sortedRows(rows [][]any) [][]any {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b []any) int { return cmp.Compare(fmt.Sprint(a...), fmt.Sprint(b...)) })
	return out
}

const sampleV5Lookup = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr
5 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 198.51.100.7 40000 443 6 10 840 1418530010 1418530070 ACCEPT OK vpc-1 subnet-1 i-0123456789abcdef0 2 IPv4 10.0.1.5 198.51.100.7
5 123456789010 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.5 443 40000 6 10 840 1418530010 1418530070 ACCEPT OK vpc-1 subnet-1 i-0123456789abcdef0 18 IPv4 198.51.100.7 10.0.1.5
5 123456789010 eni-0a1b2c3d4e5f60718 10.0.9.9 10.0.1.5 5000 22 6 1 40 1418530010 1418530070 REJECT OK vpc-1 subnet-1 - 2 IPv4 198.51.100.7 10.0.1.5
5 123456789010 eni-0a1b2c3d4e5f60718 10.0.9.9 10.0.1.5 5000 22 6 1 40 1418530011 1418530070 REJECT OK vpc-1 subnet-1 - 2 IPv4 10.0.9.9 198.51.100.70
5 123456789010 eni-0ffffffffffffffff - - - - - - - 1418530010 1418530070 - NODATA vpc-1 subnet-1 - - - - -
`

// TestMentionsFlowsMatchFullScan checks that mentions(), which reads the
// flow files one column at a time, returns exactly the rows and matched
// columns of a plain scan of the flow_logs view with every column ORed.
func TestMentionsFlowsMatchFullScan(t *testing.T) {
	st := openTest(t)
	commitRecords(t, st, 1, decodeLines(t, sampleV2))
	commitRecords(t, st, 2, decodeLines(t, sampleV5Lookup))
	ctx := context.Background()
	for _, v := range []string{"198.51.100.7", "10.0.1.5", "203.0.113.12", "172.31.16.139", "10.0.9.9",
		"eni-0a1b2c3d4e5f60718", "i-0123456789abcdef0", "198.51.100", "", "none"} {
		t.Run(v, func(t *testing.T) {
			q := "SELECT object_id, record, matched FROM mentions('" + sqlQuote(v) + "') WHERE log = 'flow_logs' ORDER BY ALL"
			got, err := st.Query(ctx, q, 0)
			if err != nil {
				t.Fatal(err)
			}
			var m, w []string
			for _, c := range mentionFlowColumns {
				m = append(m, fmt.Sprintf("CASE WHEN %s = $v THEN '%s' END", c, c))
				w = append(w, fmt.Sprintf("%s = $v", c))
			}
			full := fmt.Sprintf(`SELECT object_id, object_line AS record, concat_ws(',', %s) AS matched FROM flow_logs, (SELECT '%s' AS v) p
WHERE %s ORDER BY ALL`, strings.Join(m, ", "), sqlQuote(v), strings.Join(w, " OR "))
			full = strings.ReplaceAll(full, "$v", "p.v")
			want, err := st.Query(ctx, full, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want.Rows, got.Rows); diff != "" {
				t.Errorf("mentions(%q) flows differ from a full scan (-scan +mentions):\n%s", v, diff)
			}
			// Lookup reads only the files whose bloom filters may hold v.
			lk, err := st.Lookup(ctx, v, Window{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			var lkRows [][]any
			for _, r := range lk.Rows {
				if r[0] == "flow_logs" {
					lkRows = append(lkRows, []any{r[3], r[4], r[2]})
				}
			}
			slices.SortFunc(lkRows, func(a, b []any) int { return cmp.Compare(fmt.Sprint(a...), fmt.Sprint(b...)) })
			if diff := gocmp.Diff(sortedRows(got.Rows), lkRows); diff != "" {
				t.Errorf("Lookup(%q) flows differ from mentions() (-mentions +Lookup):\n%s", v, diff)
			}
			if v == "198.51.100.7" && len(got.Rows) != 3 {
				t.Errorf("mentions(%q) = %d flow rows; want 3 (srcaddr, dstaddr, pkt_srcaddr; not the .70 neighbour)", v, len(got.Rows))
			}
		})
	}
}

// ctEvent is a CloudTrail row whose flattened columns say what raw says.
func ctEvent(id string, at time.Time, sourceIP, keyID, raw string) CloudTrailRow {
	return CloudTrailRow{EventID: id, EventTime: Micros(at), EventName: "StartSession", SourceIP: sourceIP,
		AccessKeyID: keyID, AccountID: "111122223333", Raw: raw}
}

func ctRaw(sourceIP, keyID, params string) string {
	return `{"eventID":"x","userIdentity":{"type":"IAMUser","accountId":"111122223333","accessKeyId":"` + keyID +
		`"},"sourceIPAddress":"` + sourceIP + `","requestParameters":` + params + `}`
}

// writeCloudTrail commits rows as object id, through the writer of this
// version, or (legacy) as the versions before cloudtrail_identifiers
// wrote them.
func writeCloudTrail(t *testing.T, st *Store, id int64, legacy bool, rows ...CloudTrailRow) {
	t.Helper()
	for i := range rows {
		rows[i].ObjectID, rows[i].ObjectRecord = id, int32(i+1)
	}
	var w *RowWriter[CloudTrailRow]
	var err error
	if legacy {
		w, err = newRowWriter[CloudTrailRow](st, cloudtrailTable, newToken())
	} else {
		w, err = st.NewCloudTrailWriter()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	sf, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	commitRows(t, st, id, sf)
}

// reopen closes st and opens its database again, as a new process would:
// mentions() lists the legacy files when a connection starts.
func reopen(t *testing.T, st *Store) *Store {
	t.Helper()
	path := st.Path()
	st.Close()
	st2, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	return st2
}

func lookupRows(t *testing.T, st *Store, v string, w Window) []string {
	t.Helper()
	res, err := st.Lookup(context.Background(), v, w, 0)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", v, err)
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, fmt.Sprintf("%v %v %v:%v %v", r[0], r[1].(time.Time).Format("01-02"), r[3], r[4], r[2]))
	}
	return out
}

// TestMentionsCloudTrail checks that mentions() finds CloudTrail events by
// their identity columns and by identifiers named only in their JSON, in
// files written with cloudtrail_identifiers and in files written before
// it (searched by substring), and that the time window bounds both.
func TestMentionsCloudTrail(t *testing.T) {
	st := openTest(t)
	day := func(d int) time.Time { return time.Date(2026, 10, d, 12, 0, 0, 0, time.UTC) }
	// Object 1: the old layout.
	writeCloudTrail(t, st, 1, true,
		ctEvent("old-1", day(1), "198.51.100.7", "AKIAOLDOLDOLDOLDOLD1",
			ctRaw("198.51.100.7", "AKIAOLDOLDOLDOLDOLD1", `{"instanceId":"i-0123456789abcdef0"}`)),
		ctEvent("old-2", day(20), "192.0.2.1", "AKIAOLDOLDOLDOLDOLD1",
			ctRaw("192.0.2.1", "AKIAOLDOLDOLDOLDOLD1", `{"bucketName":"evidence-bucket"}`)))
	// Object 2: this version's.
	writeCloudTrail(t, st, 2, false,
		ctEvent("new-1", day(2), "192.0.2.1", "AKIANEWNEWNEWNEWNEW1",
			ctRaw("192.0.2.1", "AKIANEWNEWNEWNEWNEW1", `{"target":"i-0123456789abcdef0","filter":{"cidrIp":"198.51.100.7"}}`)),
		ctEvent("new-2", day(21), "198.51.100.7", "AKIANEWNEWNEWNEWNEW1",
			ctRaw("198.51.100.7", "AKIANEWNEWNEWNEWNEW1", `{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0"}]}}`)),
		ctEvent("new-3", day(22), "192.0.2.1", "AKIANEWNEWNEWNEWNEW1",
			ctRaw("192.0.2.1", "AKIANEWNEWNEWNEWNEW1", `{"bucketName":"evidence-bucket","key":"i-0123456789abcdef0 is named in a sentence"}`)))
	st = reopen(t, st)
	if n := len(mustLegacy(t, st)); n < 1 {
		t.Fatalf("legacyCloudTrailFiles = %d files; want the old-layout file", n)
	}
	late := Window{From: day(15)}
	for _, tc := range []struct {
		v    string
		w    Window
		want []string
	}{
		{"i-0123456789abcdef0", Window{}, []string{
			"cloudtrail_events 10-01 1:1 raw",
			"cloudtrail_events 10-02 2:1 requestParameters",
			"cloudtrail_events 10-21 2:2 requestParameters",
			// Not new-3: the ID is inside a sentence, not an identifier.
		}},
		{"198.51.100.7", Window{}, []string{
			"cloudtrail_events 10-01 1:1 source_ip",
			"cloudtrail_events 10-02 2:1 requestParameters",
			"cloudtrail_events 10-21 2:2 source_ip",
		}},
		{"198.51.100.7", late, []string{"cloudtrail_events 10-21 2:2 source_ip"}},
		{"198.51.100.7", Window{To: day(2)}, []string{"cloudtrail_events 10-01 1:1 source_ip"}},
		{"198.51.100.7", Window{From: day(2), To: day(21)}, []string{"cloudtrail_events 10-02 2:1 requestParameters"}},
		{"evidence-bucket", late, []string{
			"cloudtrail_events 10-20 1:2 raw",
			"cloudtrail_events 10-22 2:3 requestParameters",
		}},
		{"AKIANEWNEWNEWNEWNEW1", Window{To: day(3)}, []string{"cloudtrail_events 10-02 2:1 access_key_id"}},
		{"111122223333", Window{From: day(22)}, []string{"cloudtrail_events 10-22 2:3 account_id"}},
		{"", Window{}, nil},
		{"x'); DROP TABLE findings; --", Window{}, nil},
	} {
		t.Run(tc.v, func(t *testing.T) {
			got := lookupRows(t, st, tc.v, tc.w)
			if diff := gocmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Lookup(%q, %v) differs (-want +got):\n%s", tc.v, tc.w, diff)
			}
		})
	}
	if got := queryOne(t, st, "SELECT count(*) FROM findings"); got[0] != int64(0) {
		t.Errorf("findings = %v after a hostile lookup; want the table, empty", got)
	}
}

func mustLegacy(t *testing.T, st *Store) []string {
	t.Helper()
	files, err := st.legacyCloudTrailFiles()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, "migration-5.parquet") {
			out = append(out, f)
		}
	}
	return out
}

// TestMentionsCloudTrailDuplicates checks that an event stored by an
// earlier segment and delivered again is listed once: its identifiers go
// with it when the commit drops it.
func TestMentionsCloudTrailDuplicates(t *testing.T) {
	st := openTest(t)
	at := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	raw := ctRaw("203.0.113.9", "AKIADUPDUPDUPDUPDUP1", `{"instanceId":"i-00000000000000001"}`)
	writeCloudTrail(t, st, 1, false, ctEvent("dup", at, "203.0.113.9", "AKIADUPDUPDUPDUPDUP1", raw))
	writeCloudTrail(t, st, 2, false, ctEvent("dup", at, "203.0.113.9", "AKIADUPDUPDUPDUPDUP1", raw),
		ctEvent("other", at.Add(time.Hour), "203.0.113.9", "AKIADUPDUPDUPDUPDUP1", raw))
	want := []string{"cloudtrail_events 10-05 1:1 requestParameters", "cloudtrail_events 10-05 2:2 requestParameters"}
	if diff := gocmp.Diff(want, lookupRows(t, st, "i-00000000000000001", Window{})); diff != "" {
		t.Errorf("Lookup differs (-want +got):\n%s", diff)
	}
}

// TestMentionsWindowFlows checks that the window bounds flows by their
// start time.
func TestMentionsWindowFlows(t *testing.T) {
	st := openTest(t)
	commitRecords(t, st, 1, decodeLines(t, sampleV2))
	// 172.31.16.139 starts at 1418530010 (2014-12-14) and 1432917027,
	// 1432917094 (2015-05-29).
	all := lookupRows(t, st, "172.31.16.139", Window{})
	late := lookupRows(t, st, "172.31.16.139", Window{From: time.Unix(1432917027, 0)})
	early := lookupRows(t, st, "172.31.16.139", Window{To: time.Unix(1432917027, 0)})
	if len(all) != 3 || len(late) != 2 || len(early) != 1 {
		t.Errorf("Lookup(172.31.16.139) = %d rows, %d from 2015-05-29, %d before; want 3, 2, 1:\n%v", len(all), len(late), len(early), all)
	}
}

// TestMentionsOldStoreReadOnly checks a store that no version with the
// identifier index has written to, opened read-only: no
// cloudtrail_identifiers folder at all, every CloudTrail file searched by
// substring.
func TestMentionsOldStoreReadOnly(t *testing.T) {
	st := openTest(t)
	at := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	writeCloudTrail(t, st, 1, true, ctEvent("old", at, "192.0.2.1", "AKIAOLDOLDOLDOLDOLD1",
		ctRaw("192.0.2.1", "AKIAOLDOLDOLDOLDOLD1", `{"instanceId":"i-0123456789abcdef0"}`)))
	path := st.Path()
	st.Close()
	if err := os.RemoveAll(filepath.Join(LakeDir(path), cloudtrailIDTable)); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	want := []string{"cloudtrail_events 10-05 1:1 raw"}
	if diff := gocmp.Diff(want, lookupRows(t, ro, "i-0123456789abcdef0", Window{From: at})); diff != "" {
		t.Errorf("Lookup differs (-want +got):\n%s", diff)
	}
	if got := lookupRows(t, ro, "i-0123456789abcdef0", Window{To: at}); got != nil {
		t.Errorf("Lookup before the event = %v; want nothing", got)
	}
}

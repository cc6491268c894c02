package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
			if diff := cmp.Diff(want.Rows, got.Rows); diff != "" {
				t.Errorf("mentions(%q) flows differ from a full scan (-scan +mentions):\n%s", v, diff)
			}
			if v == "198.51.100.7" && len(got.Rows) != 3 {
				t.Errorf("mentions(%q) = %d flow rows; want 3 (srcaddr, dstaddr, pkt_srcaddr; not the .70 neighbour)", v, len(got.Rows))
			}
		})
	}
}

package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// rollupRows returns the rollup as strings, one per row, in a fixed order.
func rollupRows(t *testing.T, st *Store) []string {
	t.Helper()
	res, err := st.Query(context.Background(), `SELECT local_addr, coalesce(local_port::VARCHAR, '-'), remote_addr,
		coalesce(remote_port::VARCHAR, '-'), direction, action, bytes_in, bytes_out, packets_in, packets_out, flows
		FROM flow_rollup_hourly ORDER BY local_addr, local_port, remote_addr, remote_port, action`, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, strings.TrimSuffix(fmt.Sprintln(r...), "\n"))
	}
	return out
}

func checkRows(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("rollup rows:\n%q\nwant:\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %q; want %q", i, got[i], want[i])
		}
	}
}

// TestRollupMergesBothDirections checks that the two records flow logs
// write for one connection — one per direction — make one rollup row with
// bytes in and out, and that the row's direction says who opened it.
func TestRollupMergesBothDirections(t *testing.T) {
	st := openTest(t)
	// Default format: no flow-direction, no TCP flags. 10.0.0.5 is the
	// interface's address (in every record); ports tell who serves.
	commitRecords(t, st, 1, decodeLines(t, `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-a 198.51.100.7 10.0.0.5 51000 22 6 10 1000 1700000000 1700000060 ACCEPT OK
2 123456789010 eni-a 10.0.0.5 198.51.100.7 22 51000 6 8 5000 1700000000 1700000060 ACCEPT OK
2 123456789010 eni-a 198.51.100.7 10.0.0.5 51000 22 6 2 200 1700000600 1700000660 ACCEPT OK
2 123456789010 eni-a 10.0.0.5 203.0.113.9 40000 443 6 3 300 1700000000 1700000060 ACCEPT OK
2 123456789010 eni-a 203.0.113.9 10.0.0.5 443 40000 6 4 400 1700000000 1700000060 ACCEPT OK
2 123456789010 eni-a 192.0.2.1 10.0.0.5 1025 8080 6 1 40 1700000000 1700000060 REJECT OK
2 123456789010 eni-a 10.0.0.5 10.0.0.9 123 123 17 1 76 1700000000 1700000060 ACCEPT OK
`))
	checkRows(t, rollupRows(t, st), []string{
		"10.0.0.5 22 198.51.100.7 51000 inbound ACCEPT 1200 5000 12 8 3",
		"10.0.0.5 123 10.0.0.9 123 outbound ACCEPT 0 76 0 1 1",
		"10.0.0.5 8080 192.0.2.1 1025 inbound REJECT 40 0 1 0 1",
		"10.0.0.5 40000 203.0.113.9 443 outbound ACCEPT 400 300 4 3 2",
	})
}

// TestRollupFlowDirectionAndFlags checks v5 records: flow-direction names
// the local side even against the address evidence, and TCP flags name the
// side that opened the connection even against the ports.
func TestRollupFlowDirectionAndFlags(t *testing.T) {
	st := openTest(t)
	commitRecords(t, st, 1, decodeLines(t, `version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action tcp-flags flow-direction log-status
5 eni-b 10.1.0.7 10.1.0.8 5432 60000 6 5 500 1700000000 1700000060 ACCEPT 18 egress OK
5 eni-b 10.1.0.8 10.1.0.7 60000 5432 6 6 600 1700000000 1700000060 ACCEPT 2 ingress OK
5 eni-b 10.1.0.9 10.1.0.7 443 2000 6 1 60 1700000000 1700000060 ACCEPT 2 ingress OK
5 eni-b 10.1.0.7 10.1.0.9 2000 443 6 1 60 1700000000 1700000060 ACCEPT 18 egress OK
`))
	// 10.1.0.7 is local by flow-direction in every record. The first pair is
	// a database connection opened by the remote side (SYN from 10.1.0.8);
	// in the second, flags say the remote side on port 443 opened it,
	// though ports alone would say outbound.
	checkRows(t, rollupRows(t, st), []string{
		"10.1.0.7 2000 10.1.0.9 443 inbound ACCEPT 60 60 1 1 2",
		"10.1.0.7 5432 10.1.0.8 60000 inbound ACCEPT 600 500 6 5 2",
	})
}

func TestConnectionDirectionByPorts(t *testing.T) {
	// Traffic both ways, no TCP flags: ports decide.
	for _, c := range []struct {
		local, remote int32
		want          string
	}{
		{22, 51000, "inbound"},
		{51000, 443, "outbound"},
		{3306, 40000, "inbound"},  // registered port against an ephemeral one
		{8080, 50000, "inbound"},  // a service above 1024
		{50000, 60000, "inbound"}, // both ephemeral: the lower port is taken as the service
		{123, 123, "unknown"},
		{noValue, noValue, "inbound"}, // no ports: the side that sent first
	} {
		got := connectionDirection(0, 0, c.local, c.remote, 6, 10, 10, false)
		if got != c.want {
			t.Errorf("connectionDirection(local %d, remote %d) = %s; want %s", c.local, c.remote, got, c.want)
		}
	}
	// One-way traffic was started by its sender, whatever the ports.
	if got := connectionDirection(0, 0, 22, 51000, 6, 0, 60, false); got != "outbound" {
		t.Errorf("one-way outbound from port 22 = %s; want outbound", got)
	}
	// Flags beat everything.
	if got := connectionDirection(0, 1, 51000, 443, 6, 10, 10, true); got != "inbound" {
		t.Errorf("remote SYN = %s; want inbound", got)
	}
}

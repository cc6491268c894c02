package ocsf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/gumshoe-dev/gumshoe/internal/cloudtrail"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// The OCSF 1.1.0 layout Security Lake source version 2 writes, as far as
// these tests use it: cloud.account.uid rather than rc.2's
// cloud.account_uid, actor.user.uid holding the ARN and uid_alt the
// principal ID, TIMESTAMP columns for times, and the standard three-level
// lists and maps parquet-go writes (rc.2 files use the two-level lists of
// parquet-mr's Avro writer).

type account110 struct {
	UID string `parquet:"uid,optional"`
}

type product110 struct {
	Name       string `parquet:"name,optional"`
	VendorName string `parquet:"vendor_name,optional"`
	Version    string `parquet:"version,optional"`
}

type metadata110 struct {
	Product  product110 `parquet:"product"`
	UID      string     `parquet:"uid,optional"`
	Profiles []string   `parquet:"profiles,list"`
	Version  string     `parquet:"version"`
}

type cloud110 struct {
	Account  account110 `parquet:"account"`
	Region   string     `parquet:"region,optional"`
	Zone     string     `parquet:"zone,optional"`
	Provider string     `parquet:"provider"`
}

type endpoint110 struct {
	IP              string   `parquet:"ip,optional"`
	Port            *int32   `parquet:"port,optional"`
	SvcName         string   `parquet:"svc_name,optional"`
	InterfaceUID    string   `parquet:"interface_uid,optional"`
	VPCUID          string   `parquet:"vpc_uid,optional"`
	SubnetUID       string   `parquet:"subnet_uid,optional"`
	InstanceUID     string   `parquet:"instance_uid,optional"`
	IntermediateIPs []string `parquet:"intermediate_ips,list"`
}

type connection110 struct {
	ProtocolNum   *int32 `parquet:"protocol_num,optional"`
	TCPFlags      *int32 `parquet:"tcp_flags,optional"`
	ProtocolVerID *int32 `parquet:"protocol_ver_id,optional"`
	BoundaryID    *int32 `parquet:"boundary_id,optional"`
	Direction     string `parquet:"direction,optional"`
	DirectionID   *int32 `parquet:"direction_id,optional"`
}

type traffic110 struct {
	Packets *int64 `parquet:"packets,optional"`
	Bytes   *int64 `parquet:"bytes,optional"`
}

type network110 struct {
	Metadata       metadata110       `parquet:"metadata"`
	Cloud          cloud110          `parquet:"cloud"`
	SrcEndpoint    endpoint110       `parquet:"src_endpoint"`
	DstEndpoint    endpoint110       `parquet:"dst_endpoint"`
	ConnectionInfo connection110     `parquet:"connection_info"`
	Traffic        traffic110        `parquet:"traffic"`
	Time           time.Time         `parquet:"time,timestamp(millisecond)"`
	StartTime      *time.Time        `parquet:"start_time,timestamp(millisecond)"`
	EndTime        *time.Time        `parquet:"end_time,timestamp(millisecond)"`
	StatusCode     string            `parquet:"status_code,optional"`
	Action         string            `parquet:"action,optional"`
	ActionID       *int32            `parquet:"action_id,optional"`
	Disposition    string            `parquet:"disposition,optional"`
	ClassUID       int32             `parquet:"class_uid"`
	ActivityID     int32             `parquet:"activity_id"`
	Unmapped       map[string]string `parquet:"unmapped,optional"`
}

type user110 struct {
	Type          string     `parquet:"type,optional"`
	Name          string     `parquet:"name,optional"`
	UID           string     `parquet:"uid,optional"`
	UIDAlt        string     `parquet:"uid_alt,optional"`
	Account       account110 `parquet:"account"`
	CredentialUID string     `parquet:"credential_uid,optional"`
}

type session110 struct {
	Issuer        string     `parquet:"issuer,optional"`
	CreatedTimeDT *time.Time `parquet:"created_time_dt,timestamp(millisecond)"`
	IsMFA         *bool      `parquet:"is_mfa,optional"`
}

type owner110 struct {
	Account account110 `parquet:"account"`
}

type resource110 struct {
	UID   string   `parquet:"uid,optional"`
	Type  string   `parquet:"type,optional"`
	Owner owner110 `parquet:"owner"`
}

type api110 struct {
	Operation string `parquet:"operation,optional"`
	Service   struct {
		Name string `parquet:"name,optional"`
	} `parquet:"service"`
	Request struct {
		UID string `parquet:"uid,optional"`
	} `parquet:"request"`
	Response struct {
		Error   string `parquet:"error,optional"`
		Message string `parquet:"message,optional"`
	} `parquet:"response"`
}

type apiActivity110 struct {
	Metadata metadata110 `parquet:"metadata"`
	Time     time.Time   `parquet:"time,timestamp(millisecond)"`
	Cloud    cloud110    `parquet:"cloud"`
	API      api110      `parquet:"api"`
	Actor    struct {
		User    user110    `parquet:"user"`
		Session session110 `parquet:"session"`
	} `parquet:"actor"`
	HTTPRequest struct {
		UserAgent string `parquet:"user_agent,optional"`
	} `parquet:"http_request"`
	SrcEndpoint struct {
		IP     string `parquet:"ip,optional"`
		Domain string `parquet:"domain,optional"`
	} `parquet:"src_endpoint"`
	Resources  []resource110     `parquet:"resources,list"`
	ClassUID   int32             `parquet:"class_uid"`
	ActivityID int32             `parquet:"activity_id"`
	Unmapped   map[string]string `parquet:"unmapped,optional"`
}

// writeParquet writes rows as a Parquet file.
func writeParquet[T any](t testing.TB, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ptr[T any](v T) *T { return &v }

func meta110(product string) metadata110 {
	return metadata110{
		Product:  product110{Name: product, VendorName: "AWS", Version: "5"},
		Profiles: []string{"cloud", "datetime", "security_control"},
		Version:  "1.1.0",
	}
}

func networkRows110() []network110 {
	t0 := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	end := t0.Add(59 * time.Second)
	cloud := cloud110{Account: account110{UID: "210987654321"}, Region: "eu-west-1", Zone: "euw1-az2", Provider: "AWS"}
	return []network110{
		{ // inbound, rejected: the interface's IDs are on the destination
			Metadata: meta110("Amazon VPC"), Cloud: cloud,
			SrcEndpoint: endpoint110{IP: "203.0.113.7", Port: ptr[int32](44321), SvcName: "-"},
			DstEndpoint: endpoint110{IP: "10.0.1.5", Port: ptr[int32](22), InterfaceUID: "eni-0a1b2c3d4e5f60718",
				VPCUID: "vpc-0123456789abcdef0", SubnetUID: "subnet-0fedcba9876543210", InstanceUID: "i-0a0b0c0d0e0f01020"},
			ConnectionInfo: connection110{ProtocolNum: ptr[int32](6), TCPFlags: ptr[int32](2), ProtocolVerID: ptr[int32](4),
				BoundaryID: ptr[int32](11), Direction: "Inbound", DirectionID: ptr[int32](1)},
			Traffic: traffic110{Packets: ptr[int64](1), Bytes: ptr[int64](44)},
			Time:    t0, StartTime: &t0, EndTime: &end, StatusCode: "OK",
			Action: "Denied", ActionID: ptr[int32](2), Disposition: "Blocked",
			ClassUID: 4001, ActivityID: 5,
			Unmapped: map[string]string{"sublocation_type": "outpost", "sublocation_id": "op-0123456789abcdef0"},
		},
		{ // outbound through a NAT: the interface's address is an intermediate IP
			Metadata: meta110("Amazon VPC"), Cloud: cloud,
			SrcEndpoint: endpoint110{IP: "2001:db8::5", Port: ptr[int32](50000), InterfaceUID: "eni-0a1b2c3d4e5f60718",
				VPCUID: "vpc-0123456789abcdef0", SubnetUID: "subnet-0fedcba9876543210", InstanceUID: "i-0a0b0c0d0e0f01020",
				IntermediateIPs: []string{"2001:db8::9"}},
			DstEndpoint:    endpoint110{IP: "2001:db8:1::1", Port: ptr[int32](443), SvcName: "AMAZON"},
			ConnectionInfo: connection110{ProtocolNum: ptr[int32](6), ProtocolVerID: ptr[int32](6), BoundaryID: ptr[int32](4), DirectionID: ptr[int32](2)},
			Traffic:        traffic110{Packets: ptr[int64](12), Bytes: ptr[int64](9001)},
			Time:           t0, StartTime: &t0, EndTime: &end, StatusCode: "OK",
			Action: "Allowed", ActionID: ptr[int32](1),
			ClassUID: 4001, ActivityID: 6,
		},
		{ // a NODATA record: no endpoints, no traffic
			Metadata: meta110("Amazon VPC"), Cloud: cloud,
			SrcEndpoint: endpoint110{InterfaceUID: "eni-0a1b2c3d4e5f60718"},
			Time:        t0, StartTime: &t0, EndTime: &end, StatusCode: "NODATA",
			ClassUID: 4001,
		},
		{ // a port out of range: rejected
			Metadata: meta110("Amazon VPC"), Cloud: cloud,
			SrcEndpoint: endpoint110{IP: "10.0.0.1", Port: ptr[int32](70000)},
			Time:        t0, ClassUID: 4001,
		},
		{ // an address that is not one: rejected
			Metadata: meta110("Amazon VPC"), Cloud: cloud,
			SrcEndpoint: endpoint110{IP: "10.0.0.300"},
			Time:        t0, ClassUID: 4001,
		},
	}
}

func TestNetworkActivity110(t *testing.T) {
	data := writeParquet(t, networkRows110())
	got, err := decodeBytes(t, data, "na.parquet", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.class != ClassNetworkActivity || got.version != "1.1.0" {
		t.Errorf("Class(), Version() = %d, %q; want 4001, \"1.1.0\"", got.class, got.version)
	}
	start, end := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).Unix(), time.Date(2024, 5, 6, 7, 9, 8, 0, time.UTC).Unix()
	common := func(m map[string]any) map[string]any {
		m["version"], m["account-id"], m["region"], m["az-id"] = int64(5), "210987654321", "eu-west-1", "euw1-az2"
		m["start"], m["end"] = start, end
		if m["log-status"] == nil {
			m["log-status"] = "OK"
		}
		return m
	}
	want := []map[string]any{
		common(map[string]any{"line": 1,
			"srcaddr": "203.0.113.7", "pkt-srcaddr": "203.0.113.7", "srcport": int64(44321),
			"dstaddr": "10.0.1.5", "pkt-dstaddr": "10.0.1.5", "dstport": int64(22),
			"interface-id": "eni-0a1b2c3d4e5f60718", "vpc-id": "vpc-0123456789abcdef0",
			"subnet-id": "subnet-0fedcba9876543210", "instance-id": "i-0a0b0c0d0e0f01020",
			"protocol": int64(6), "tcp-flags": int64(2), "type": "IPv4", "traffic-path": int64(8),
			"flow-direction": "ingress", "packets": int64(1), "bytes": int64(44), "action": "REJECT",
			"sublocation-type": "outpost", "sublocation-id": "op-0123456789abcdef0"}),
		common(map[string]any{"line": 2,
			"srcaddr": "2001:db8::9", "pkt-srcaddr": "2001:db8::5", "srcport": int64(50000),
			"dstaddr": "2001:db8:1::1", "pkt-dstaddr": "2001:db8:1::1", "dstport": int64(443),
			"pkt-dst-aws-service": "AMAZON",
			"interface-id":        "eni-0a1b2c3d4e5f60718", "vpc-id": "vpc-0123456789abcdef0",
			"subnet-id": "subnet-0fedcba9876543210", "instance-id": "i-0a0b0c0d0e0f01020",
			"protocol": int64(6), "type": "IPv6", "traffic-path": int64(1),
			"flow-direction": "egress", "packets": int64(12), "bytes": int64(9001), "action": "ACCEPT"}),
		common(map[string]any{"line": 3, "interface-id": "eni-0a1b2c3d4e5f60718", "log-status": "NODATA"}),
	}
	if diff := cmp.Diff(want, got.flows); diff != "" {
		t.Errorf("flows (-want +got):\n%s", diff)
	}
	wantErrs := []struct {
		record int
		field  string
		err    error
	}{
		{4, "src_endpoint.port", ErrRange},
		{5, "src_endpoint.ip", ErrAddress},
	}
	if len(got.errors) != len(wantErrs) {
		t.Fatalf("errors %v; want %d", got.errors, len(wantErrs))
	}
	for i, w := range wantErrs {
		e := got.errors[i]
		if e.File != "na.parquet" || e.Record != w.record || e.Field != w.field || !errors.Is(e, w.err) {
			t.Errorf("error %d = %v (record %d, field %q); want record %d, field %q, %v", i, e, e.Record, e.Field, w.record, w.field, w.err)
		}
	}
}

func apiRows110() []apiActivity110 {
	t0 := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	created := t0.Add(-time.Hour)
	r := apiActivity110{
		Metadata: meta110("CloudTrail"),
		Time:     t0,
		Cloud:    cloud110{Account: account110{UID: "111122223333"}, Region: "us-east-1", Provider: "AWS"},
		ClassUID: 6003, ActivityID: 2,
		Resources: []resource110{
			{UID: "arn:aws:s3:::example-bucket", Type: "AWS::S3::Bucket", Owner: owner110{Account: account110{UID: "111122223333"}}},
			{UID: "arn:aws:s3:::example-bucket/key", Type: "AWS::S3::Object"},
		},
		Unmapped: map[string]string{"readOnly": "true", "recipientAccountId": "111122223333"},
	}
	r.Metadata.UID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	r.Metadata.Product.Version = "1.09"
	r.API.Operation = "GetObject"
	r.API.Service.Name = "s3.amazonaws.com"
	r.API.Response.Error = "AccessDenied"
	r.API.Response.Message = "Access Denied"
	r.Actor.User = user110{Type: "AssumedRole", UID: "arn:aws:sts::111122223333:assumed-role/Reader/alice",
		UIDAlt: "AROAEXAMPLEID:alice", Account: account110{UID: "111122223333"}, CredentialUID: "ASIAEXAMPLEKEY"}
	r.Actor.Session = session110{Issuer: "arn:aws:iam::111122223333:role/Reader", CreatedTimeDT: &created, IsMFA: ptr(false)}
	r.HTTPRequest.UserAgent = "aws-cli/2.15.0 <script>"
	r.SrcEndpoint.IP = "198.51.100.23"

	svc := r
	svc.Metadata.UID = "aaaaaaaa-0000-0000-0000-000000000001"
	svc.API.Operation = "AssumeRole"
	svc.API.Service.Name = "sts.amazonaws.com"
	svc.API.Response.Error, svc.API.Response.Message = "", ""
	svc.SrcEndpoint.IP, svc.SrcEndpoint.Domain = "", "ec2.amazonaws.com"
	svc.Actor.User = user110{Type: "AWSService"}
	svc.Actor.Session = session110{}
	svc.Resources = nil
	svc.Unmapped = nil

	missing := r
	missing.API.Operation = ""
	return []apiActivity110{r, svc, missing}
}

func TestAPIActivity110(t *testing.T) {
	data := writeParquet(t, apiRows110())
	got, err := decodeBytes(t, data, "api.parquet", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.class != ClassAPIActivity || got.version != "1.1.0" {
		t.Errorf("Class(), Version() = %d, %q; want 6003, \"1.1.0\"", got.class, got.version)
	}
	want := []cloudtrail.Event{{
		EventID:            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
		EventTime:          time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC),
		EventSource:        "s3.amazonaws.com",
		EventName:          "GetObject",
		AWSRegion:          "us-east-1",
		SourceIP:           "198.51.100.23",
		UserAgent:          "aws-cli/2.15.0 <script>",
		UserType:           "AssumedRole",
		UserARN:            "arn:aws:sts::111122223333:assumed-role/Reader/alice",
		PrincipalID:        "AROAEXAMPLEID:alice",
		AccountID:          "111122223333",
		AccessKeyID:        "ASIAEXAMPLEKEY",
		UserName:           "Reader",
		SessionIssuerARN:   "arn:aws:iam::111122223333:role/Reader",
		ErrorCode:          "AccessDenied",
		ErrorMessage:       "Access Denied",
		ReadOnly:           ptr(true),
		RecipientAccountID: "111122223333",
		Resources:          []byte(`[{"ARN":"arn:aws:s3:::example-bucket","accountId":"111122223333","type":"AWS::S3::Bucket"},{"ARN":"arn:aws:s3:::example-bucket/key","type":"AWS::S3::Object"}]`),
		Record:             1,
	}, {
		EventID:            "aaaaaaaa-0000-0000-0000-000000000001",
		EventTime:          time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC),
		EventSource:        "sts.amazonaws.com",
		EventName:          "AssumeRole",
		AWSRegion:          "us-east-1",
		SourceIP:           "ec2.amazonaws.com",
		UserAgent:          "aws-cli/2.15.0 <script>",
		UserType:           "AWSService",
		AccountID:          "111122223333",
		RecipientAccountID: "111122223333",
		Record:             2,
	}}
	if diff := cmp.Diff(want, got.events, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Raw" }, cmp.Ignore())); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(got.events) > 0 {
		raw := string(got.events[0].Raw)
		// The record's own JSON, in schema order, HTML-escaped, with times
		// in milliseconds as OCSF writes them.
		for _, s := range []string{
			`{"metadata":{"product":{"name":"CloudTrail","vendor_name":"AWS","version":"1.09"},"uid":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","profiles":["cloud","datetime","security_control"],"version":"1.1.0"},"time":1714979289123,`,
			`"user_agent":"aws-cli/2.15.0 \u003cscript\u003e"`,
			`"session":{"issuer":"arn:aws:iam::111122223333:role/Reader","created_time_dt":1714975689123,"is_mfa":false}`,
			`"unmapped":{"readOnly":"true","recipientAccountId":"111122223333"}}`,
		} {
			if !strings.Contains(raw, s) {
				t.Errorf("Raw = %s; want it to contain %s", raw, s)
			}
		}
	}
	if len(got.errors) != 1 || got.errors[0].Record != 3 || got.errors[0].Field != "api.operation" || !errors.Is(got.errors[0], ErrMissing) {
		t.Errorf("errors %v; want record 3 missing api.operation", got.errors)
	}
}

// mixed110 is a schema holding both Network Activity and API Activity
// attributes, for files that mix classes.
type mixed110 struct {
	Metadata    metadata110 `parquet:"metadata"`
	Time        time.Time   `parquet:"time,timestamp(millisecond)"`
	SrcEndpoint endpoint110 `parquet:"src_endpoint"`
	API         api110      `parquet:"api"`
	ClassUID    int32       `parquet:"class_uid"`
}

func TestMixedClasses(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	row := func(class int32, ip string) mixed110 {
		r := mixed110{Metadata: meta110("x"), Time: t0, ClassUID: class, SrcEndpoint: endpoint110{IP: ip}}
		r.API.Operation = "ListBuckets"
		return r
	}
	rows := []mixed110{
		row(4001, "10.0.0.1"), row(4001, "10.0.0.2"), row(6003, "10.0.0.3"), row(5001, "10.0.0.4"),
		row(6003, "10.0.0.5"), row(4001, "10.0.0.6"),
	}
	data := writeParquet(t, rows, parquet.MaxRowsPerRowGroup(4))
	d, err := NewDecoder(bytes.NewReader(data), int64(len(data)), Options{File: "mixed.parquet"})
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	type step struct {
		flows, events int
		errs          []int
	}
	var steps []step
	for {
		err := d.Next(&b)
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		s := step{flows: len(b.Flows), events: len(b.Events)}
		for _, e := range b.Errors {
			s.errs = append(s.errs, e.Record)
			if !errors.Is(e, ErrClass) || e.Field != "class_uid" || !strings.Contains(e.Error(), "class_uid 5001") {
				t.Errorf("error %v; want an unsupported class_uid 5001", e)
			}
		}
		steps = append(steps, s)
	}
	want := []step{{flows: 2}, {events: 2, errs: []int{4}}, {flows: 1}}
	if diff := cmp.Diff(want, steps, cmp.AllowUnexported(step{})); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

// TestFlowMemory checks that flows stay valid until the next call, across
// the row buffers parquet-go reuses, and that capacity sets batch sizes.
func TestFlowMemory(t *testing.T) {
	base := networkRows110()[1]
	var rows []network110
	for i := range 2500 {
		r := base
		r.SrcEndpoint.IP = fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)
		r.SrcEndpoint.IntermediateIPs = nil
		rows = append(rows, r)
	}
	data := writeParquet(t, rows, parquet.MaxRowsPerRowGroup(700))
	d, err := NewDecoder(bytes.NewReader(data), int64(len(data)), Options{File: "many.parquet"})
	if err != nil {
		t.Fatal(err)
	}
	b := Batch{Flows: make([]flowlog.Record, 0, 1000)}
	n := 0
	var sizes []int
	for {
		if err := d.Next(&b); err != nil {
			break
		}
		sizes = append(sizes, len(b.Flows))
		for i := range b.Flows {
			r := &b.Flows[i]
			want := fmt.Sprintf("10.%d.%d.%d", n>>16, (n>>8)&255, n&255)
			if got := string(r.Str[flowlog.SrcAddr]); got != want || r.Line != n+1 {
				t.Fatalf("flow %d: srcaddr %q line %d; want %q line %d", n, got, r.Line, want, n+1)
			}
			n++
		}
	}
	if diff := cmp.Diff([]int{1000, 1000, 500}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
}

// notOCSF is a plain flow log in Parquet, as AWS delivers it.
const notOCSF = "testdata/1.0.0-rc.2/VPC_FLOW/inputs/vpc_flow-input0.json.parquet"

func TestFileErrors(t *testing.T) {
	sample, err := os.ReadFile("testdata/1.0.0-rc.2/VPC_FLOW/example0.gz.parquet")
	if err != nil {
		t.Fatal(err)
	}
	flow, err := os.ReadFile(notOCSF)
	if err != nil {
		t.Fatal(err)
	}
	type stringClass struct {
		Metadata metadata110 `parquet:"metadata"`
		ClassUID string      `parquet:"class_uid"`
	}
	type noVersion struct {
		Metadata struct {
			UID string `parquet:"uid"`
		} `parquet:"metadata"`
		ClassUID int32 `parquet:"class_uid"`
	}
	tests := []struct {
		name  string
		data  []byte
		err   error
		field string
		text  string
	}{
		{"empty", nil, ErrCorrupt, "", "too short"},
		{"text", []byte("2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK\n"), ErrCorrupt, "", "not a Parquet file"},
		{"truncated", sample[:len(sample)/2], ErrCorrupt, "", "truncated"},
		{"no footer", sample[:len(sample)-8], ErrCorrupt, "", ""},
		{"damaged footer", damage(sample, len(sample)-200), ErrCorrupt, "", ""},
		{"flow log parquet", flow, ErrNotOCSF, "", "no class_uid column"},
		{"no metadata.version", writeParquet(t, []noVersion{{ClassUID: 4001}}), ErrNotOCSF, "", "no metadata.version column"},
		{"class_uid as text", writeParquet(t, []stringClass{{Metadata: meta110("x"), ClassUID: "4001"}}), ErrType, "class_uid", "want an integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDecoder(bytes.NewReader(tc.data), int64(len(tc.data)), Options{File: "f.parquet"})
			var perr *ParseError
			if !errors.As(err, &perr) || !errors.Is(err, tc.err) || perr.File != "f.parquet" || perr.Record != 0 || perr.Field != tc.field {
				t.Fatalf("NewDecoder = %v, %v; want a *ParseError for f.parquet, field %q, wrapping %v", d, err, tc.field, tc.err)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("NewDecoder error %q; want it to say %q", err, tc.text)
			}
			if Sniff(bytes.NewReader(tc.data), int64(len(tc.data))) && tc.err != ErrType {
				t.Errorf("Sniff = true; want false")
			}
		})
	}
}

// damage returns a copy of b with the bytes from i on overwritten.
func damage(b []byte, i int) []byte {
	c := bytes.Clone(b)
	for j := i; j < i+64 && j < len(c)-8; j++ {
		c[j] = 0xff
	}
	return c
}

func TestRecordTypeErrors(t *testing.T) {
	type badPort struct {
		Metadata    metadata110 `parquet:"metadata"`
		ClassUID    int32       `parquet:"class_uid"`
		SrcEndpoint struct {
			IP   string  `parquet:"ip"`
			Port float64 `parquet:"port"`
		} `parquet:"src_endpoint"`
		Time time.Time `parquet:"time,timestamp(millisecond)"`
	}
	type badOperation struct {
		Metadata metadata110 `parquet:"metadata"`
		ClassUID int32       `parquet:"class_uid"`
		Time     int64       `parquet:"time"`
		API      struct {
			Operation []string `parquet:"operation,list"`
		} `parquet:"api"`
	}
	type textTime struct {
		Metadata metadata110 `parquet:"metadata"`
		ClassUID int32       `parquet:"class_uid"`
		Time     string      `parquet:"time"`
		Query    struct {
			Hostname string `parquet:"hostname"`
		} `parquet:"query"`
	}
	port := badPort{Metadata: meta110("Amazon VPC"), ClassUID: 4001, Time: time.Unix(1, 0)}
	port.SrcEndpoint.IP, port.SrcEndpoint.Port = "10.0.0.1", 22.5
	op := badOperation{Metadata: meta110("CloudTrail"), ClassUID: 6003, Time: 1}
	op.API.Operation = []string{"GetObject"}
	goodTime := textTime{Metadata: meta110("Route 53"), ClassUID: 4003, Time: "2024-01-02T03:04:05.5Z"}
	goodTime.Query.Hostname = "example.com."
	badTime := goodTime
	badTime.Time = "yesterday"
	tests := []struct {
		name  string
		data  []byte
		field string
		err   error
	}{
		{"float port", writeParquet(t, []badPort{port}), "src_endpoint.port", ErrType},
		{"list operation", writeParquet(t, []badOperation{op}), "api.operation", ErrType},
		{"text time", writeParquet(t, []textTime{badTime}), "time", ErrTime},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeBytes(t, tc.data, "f.parquet", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.errors) != 1 || got.errors[0].Record != 1 || got.errors[0].Field != tc.field || !errors.Is(got.errors[0], tc.err) {
				t.Fatalf("errors %v; want one for record 1, field %s, %v", got.errors, tc.field, tc.err)
			}
		})
	}
	got, err := decodeBytes(t, writeParquet(t, []textTime{goodTime}), "f.parquet", 0)
	if err != nil || len(got.queries) != 1 || !got.queries[0].QueryTime.Equal(time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Errorf("a time written as RFC 3339 text: %v, %+v; want it read", err, got)
	}
}

func TestSniff(t *testing.T) {
	for _, path := range samples(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !Sniff(bytes.NewReader(data), int64(len(data))) {
			t.Errorf("Sniff(%s) = false; want true", path)
		}
	}
	for _, data := range [][]byte{writeParquet(t, networkRows110()), writeParquet(t, apiRows110())} {
		if !Sniff(bytes.NewReader(data), int64(len(data))) {
			t.Errorf("Sniff(OCSF 1.1.0 file) = false; want true")
		}
	}
	flow, err := os.ReadFile(notOCSF)
	if err != nil {
		t.Fatal(err)
	}
	if Sniff(bytes.NewReader(flow), int64(len(flow))) {
		t.Errorf("Sniff(%s) = true; want false for a flow log", notOCSF)
	}
}

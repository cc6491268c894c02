// Package flowlog decodes Amazon VPC Flow Logs (versions 2 to 8, text and
// Parquet) into typed records.
//
// The decoder is pure: it reads bytes and returns records and errors, with no
// I/O of its own beyond the reader it is given, and no SQL. Records point into
// the decoder's buffers so that decoding allocates nothing per line; callers
// copy what they keep before the next call.
package flowlog

import (
	"fmt"
	"strings"
)

// Field identifies one flow log field, such as srcaddr or tcp-flags.
type Field uint8

// Kind is the type a field's value takes once decoded.
type Kind uint8

// The kinds of field values. The integer kinds follow the Parquet types AWS
// uses when it delivers flow logs as Parquet.
const (
	String    Kind = iota // text, e.g. an ENI ID or an address
	Int32                 // INT_32 in AWS Parquet
	Int64                 // INT_64 in AWS Parquet
	Timestamp             // Unix seconds in the log, a UTC timestamp in the store
)

// FieldInfo describes one field: its name in flow log formats, its column
// name in the store, its kind and the version that introduced it.
type FieldInfo struct {
	Name    string // as in ${name}, e.g. "log-status"
	Column  string // in the store, e.g. "log_status"
	Kind    Kind
	Version int
	// Max bounds integer values when the field has a natural limit (ports,
	// protocol numbers); 0 means only the kind's own range applies.
	Max int64
}

// The fields, in the order AWS documents them. The v6 transit-gateway fields
// and the v7 ECS fields are listed after the v5 fields.
const (
	Version Field = iota
	AccountID
	InterfaceID
	SrcAddr
	DstAddr
	SrcPort
	DstPort
	Protocol
	Packets
	Bytes
	Start
	End
	Action
	LogStatus
	// v3
	VPCID
	SubnetID
	InstanceID
	TCPFlags
	Type
	PktSrcAddr
	PktDstAddr
	// v4
	Region
	AZID
	SublocationType
	SublocationID
	// v5
	PktSrcAWSService
	PktDstAWSService
	FlowDirection
	TrafficPath
	// v6 (transit gateway flow logs)
	ResourceType
	TGWID
	TGWAttachmentID
	TGWSrcVPCAccountID
	TGWDstVPCAccountID
	TGWSrcVPCID
	TGWDstVPCID
	TGWSrcSubnetID
	TGWDstSubnetID
	TGWSrcENI
	TGWDstENI
	TGWSrcAZID
	TGWDstAZID
	TGWPairAttachmentID
	PacketsLostNoRoute
	PacketsLostBlackhole
	PacketsLostMTUExceeded
	PacketsLostTTLExpired
	// v7 (ECS)
	ECSClusterARN
	ECSClusterName
	ECSContainerInstanceARN
	ECSContainerInstanceID
	ECSContainerID
	ECSSecondContainerID
	ECSServiceName
	ECSTaskDefinitionARN
	ECSTaskARN
	ECSTaskID
	// v8
	RejectReason

	// NumFields is the number of known fields.
	NumFields
)

var fields = [NumFields]FieldInfo{
	Version:                 {"version", "version", Int32, 2, 0},
	AccountID:               {"account-id", "account_id", String, 2, 0},
	InterfaceID:             {"interface-id", "interface_id", String, 2, 0},
	SrcAddr:                 {"srcaddr", "srcaddr", String, 2, 0},
	DstAddr:                 {"dstaddr", "dstaddr", String, 2, 0},
	SrcPort:                 {"srcport", "srcport", Int32, 2, 65535},
	DstPort:                 {"dstport", "dstport", Int32, 2, 65535},
	Protocol:                {"protocol", "protocol", Int32, 2, 255},
	Packets:                 {"packets", "packets", Int64, 2, 0},
	Bytes:                   {"bytes", "bytes", Int64, 2, 0},
	Start:                   {"start", "start_time", Timestamp, 2, 0},
	End:                     {"end", "end_time", Timestamp, 2, 0},
	Action:                  {"action", "action", String, 2, 0},
	LogStatus:               {"log-status", "log_status", String, 2, 0},
	VPCID:                   {"vpc-id", "vpc_id", String, 3, 0},
	SubnetID:                {"subnet-id", "subnet_id", String, 3, 0},
	InstanceID:              {"instance-id", "instance_id", String, 3, 0},
	TCPFlags:                {"tcp-flags", "tcp_flags", Int32, 3, 0},
	Type:                    {"type", "type", String, 3, 0},
	PktSrcAddr:              {"pkt-srcaddr", "pkt_srcaddr", String, 3, 0},
	PktDstAddr:              {"pkt-dstaddr", "pkt_dstaddr", String, 3, 0},
	Region:                  {"region", "region", String, 4, 0},
	AZID:                    {"az-id", "az_id", String, 4, 0},
	SublocationType:         {"sublocation-type", "sublocation_type", String, 4, 0},
	SublocationID:           {"sublocation-id", "sublocation_id", String, 4, 0},
	PktSrcAWSService:        {"pkt-src-aws-service", "pkt_src_aws_service", String, 5, 0},
	PktDstAWSService:        {"pkt-dst-aws-service", "pkt_dst_aws_service", String, 5, 0},
	FlowDirection:           {"flow-direction", "flow_direction", String, 5, 0},
	TrafficPath:             {"traffic-path", "traffic_path", Int32, 5, 0},
	ResourceType:            {"resource-type", "resource_type", String, 6, 0},
	TGWID:                   {"tgw-id", "tgw_id", String, 6, 0},
	TGWAttachmentID:         {"tgw-attachment-id", "tgw_attachment_id", String, 6, 0},
	TGWSrcVPCAccountID:      {"tgw-src-vpc-account-id", "tgw_src_vpc_account_id", String, 6, 0},
	TGWDstVPCAccountID:      {"tgw-dst-vpc-account-id", "tgw_dst_vpc_account_id", String, 6, 0},
	TGWSrcVPCID:             {"tgw-src-vpc-id", "tgw_src_vpc_id", String, 6, 0},
	TGWDstVPCID:             {"tgw-dst-vpc-id", "tgw_dst_vpc_id", String, 6, 0},
	TGWSrcSubnetID:          {"tgw-src-subnet-id", "tgw_src_subnet_id", String, 6, 0},
	TGWDstSubnetID:          {"tgw-dst-subnet-id", "tgw_dst_subnet_id", String, 6, 0},
	TGWSrcENI:               {"tgw-src-eni", "tgw_src_eni", String, 6, 0},
	TGWDstENI:               {"tgw-dst-eni", "tgw_dst_eni", String, 6, 0},
	TGWSrcAZID:              {"tgw-src-az-id", "tgw_src_az_id", String, 6, 0},
	TGWDstAZID:              {"tgw-dst-az-id", "tgw_dst_az_id", String, 6, 0},
	TGWPairAttachmentID:     {"tgw-pair-attachment-id", "tgw_pair_attachment_id", String, 6, 0},
	PacketsLostNoRoute:      {"packets-lost-no-route", "packets_lost_no_route", Int64, 6, 0},
	PacketsLostBlackhole:    {"packets-lost-blackhole", "packets_lost_blackhole", Int64, 6, 0},
	PacketsLostMTUExceeded:  {"packets-lost-mtu-exceeded", "packets_lost_mtu_exceeded", Int64, 6, 0},
	PacketsLostTTLExpired:   {"packets-lost-ttl-expired", "packets_lost_ttl_expired", Int64, 6, 0},
	ECSClusterARN:           {"ecs-cluster-arn", "ecs_cluster_arn", String, 7, 0},
	ECSClusterName:          {"ecs-cluster-name", "ecs_cluster_name", String, 7, 0},
	ECSContainerInstanceARN: {"ecs-container-instance-arn", "ecs_container_instance_arn", String, 7, 0},
	ECSContainerInstanceID:  {"ecs-container-instance-id", "ecs_container_instance_id", String, 7, 0},
	ECSContainerID:          {"ecs-container-id", "ecs_container_id", String, 7, 0},
	ECSSecondContainerID:    {"ecs-second-container-id", "ecs_second_container_id", String, 7, 0},
	ECSServiceName:          {"ecs-service-name", "ecs_service_name", String, 7, 0},
	ECSTaskDefinitionARN:    {"ecs-task-definition-arn", "ecs_task_definition_arn", String, 7, 0},
	ECSTaskARN:              {"ecs-task-arn", "ecs_task_arn", String, 7, 0},
	ECSTaskID:               {"ecs-task-id", "ecs_task_id", String, 7, 0},
	RejectReason:            {"reject-reason", "reject_reason", String, 8, 0},
}

// Info describes the field.
func (f Field) Info() FieldInfo { return fields[f] }

// String returns the field's name as written in flow log formats.
func (f Field) String() string {
	if f >= NumFields {
		return fmt.Sprintf("field(%d)", uint8(f))
	}
	return fields[f].Name
}

// IsAddress reports whether the field holds an IP address, which the
// decoder validates.
func (f Field) IsAddress() bool {
	return f == SrcAddr || f == DstAddr || f == PktSrcAddr || f == PktDstAddr
}

// Fields returns every known field in documentation order.
func Fields() []Field {
	out := make([]Field, NumFields)
	for i := range out {
		out[i] = Field(i)
	}
	return out
}

var byName, byColumn = func() (map[string]Field, map[string]Field) {
	n := make(map[string]Field, NumFields)
	c := make(map[string]Field, NumFields)
	for i, fi := range fields {
		n[fi.Name] = Field(i)
		c[fi.Column] = Field(i)
	}
	// AWS Parquet files and Athena tables name the time fields start and
	// end; the store names them start_time and end_time.
	c["start"] = Start
	c["end"] = End
	return n, c
}()

// Lookup returns the field with the given name as written in flow log
// formats ("log-status") or as a column name ("log_status").
func Lookup(name string) (Field, bool) {
	if f, ok := byName[name]; ok {
		return f, true
	}
	f, ok := byColumn[name]
	return f, ok
}

// Format is the ordered list of fields in each record of a flow log.
type Format struct {
	Fields []Field
	// Skip marks positions holding fields this package does not know (from
	// a header line written by a newer AWS version); their values are
	// ignored. Skip is nil when every position is known.
	Skip []bool
	// Unknown names the unknown fields, in order.
	Unknown []string
}

// DefaultFormat is the format AWS uses when none is given: every version 2
// field in documentation order.
var DefaultFormat = Format{Fields: []Field{
	Version, AccountID, InterfaceID, SrcAddr, DstAddr, SrcPort, DstPort,
	Protocol, Packets, Bytes, Start, End, Action, LogStatus,
}}

// ParseFormat parses a format written the way AWS writes it when creating
// a flow log ("${version} ${account-id} ...") or the way S3 header lines
// write it ("version account-id ..."). Every field must be known and appear
// once.
func ParseFormat(s string) (Format, error) {
	tokens := strings.Fields(s)
	if len(tokens) == 0 {
		return Format{}, fmt.Errorf("empty flow log format")
	}
	var f Format
	seen := make(map[Field]bool, len(tokens))
	for i, t := range tokens {
		name := t
		if strings.HasPrefix(t, "${") && strings.HasSuffix(t, "}") {
			name = t[2 : len(t)-1]
		}
		field, ok := Lookup(name)
		if !ok {
			return Format{}, fmt.Errorf("format position %d: unknown field %q", i+1, name)
		}
		if seen[field] {
			return Format{}, fmt.Errorf("format position %d: field %q appears twice", i+1, name)
		}
		seen[field] = true
		f.Fields = append(f.Fields, field)
	}
	return f, nil
}

// Has reports whether the format includes field f.
func (f Format) Has(field Field) bool {
	for _, g := range f.Fields {
		if g == field {
			return true
		}
	}
	return false
}

// String returns the format in the ${field} notation AWS uses.
func (f Format) String() string {
	var b strings.Builder
	for i, field := range f.Fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		if f.Skip != nil && f.Skip[i] {
			b.WriteString("${" + f.Unknown[countSkipped(f.Skip[:i])] + "}")
			continue
		}
		b.WriteString("${" + field.String() + "}")
	}
	return b.String()
}

func countSkipped(s []bool) int {
	n := 0
	for _, b := range s {
		if b {
			n++
		}
	}
	return n
}

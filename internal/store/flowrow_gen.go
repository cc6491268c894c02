// Code generated from internal/flowlog/fields.go; DO NOT EDIT.
// TestFlowRowMatchesFields fails when the field table and this file disagree.

package store

import "github.com/gumshoe-dev/gumshoe/internal/flowlog"

// flowRow is one lake row. Integer fields are pointers so that NULL (a "-"
// or a field absent from the format) differs from 0; they point into the
// row's own ints/i32s arrays, so filling a row allocates nothing.
type flowRow struct {
	Version                 *int32 `parquet:"version,optional"`
	AccountID               []byte `parquet:"account_id,optional,dict,string"`
	InterfaceID             []byte `parquet:"interface_id,optional,dict,string"`
	SrcAddr                 []byte `parquet:"srcaddr,optional,dict,string"`
	DstAddr                 []byte `parquet:"dstaddr,optional,dict,string"`
	SrcPort                 *int32 `parquet:"srcport,optional"`
	DstPort                 *int32 `parquet:"dstport,optional"`
	Protocol                *int32 `parquet:"protocol,optional"`
	Packets                 *int64 `parquet:"packets,optional"`
	Bytes                   *int64 `parquet:"bytes,optional"`
	Start                   *int64 `parquet:"start_time,optional,timestamp(microsecond:local)"`
	End                     *int64 `parquet:"end_time,optional,timestamp(microsecond:local)"`
	Action                  []byte `parquet:"action,optional,dict,string"`
	LogStatus               []byte `parquet:"log_status,optional,dict,string"`
	VPCID                   []byte `parquet:"vpc_id,optional,dict,string"`
	SubnetID                []byte `parquet:"subnet_id,optional,dict,string"`
	InstanceID              []byte `parquet:"instance_id,optional,dict,string"`
	TCPFlags                *int32 `parquet:"tcp_flags,optional"`
	Type                    []byte `parquet:"type,optional,dict,string"`
	PktSrcAddr              []byte `parquet:"pkt_srcaddr,optional,dict,string"`
	PktDstAddr              []byte `parquet:"pkt_dstaddr,optional,dict,string"`
	Region                  []byte `parquet:"region,optional,dict,string"`
	AZID                    []byte `parquet:"az_id,optional,dict,string"`
	SublocationType         []byte `parquet:"sublocation_type,optional,dict,string"`
	SublocationID           []byte `parquet:"sublocation_id,optional,dict,string"`
	PktSrcAWSService        []byte `parquet:"pkt_src_aws_service,optional,dict,string"`
	PktDstAWSService        []byte `parquet:"pkt_dst_aws_service,optional,dict,string"`
	FlowDirection           []byte `parquet:"flow_direction,optional,dict,string"`
	TrafficPath             *int32 `parquet:"traffic_path,optional"`
	ResourceType            []byte `parquet:"resource_type,optional,dict,string"`
	TGWID                   []byte `parquet:"tgw_id,optional,dict,string"`
	TGWAttachmentID         []byte `parquet:"tgw_attachment_id,optional,dict,string"`
	TGWSrcVPCAccountID      []byte `parquet:"tgw_src_vpc_account_id,optional,dict,string"`
	TGWDstVPCAccountID      []byte `parquet:"tgw_dst_vpc_account_id,optional,dict,string"`
	TGWSrcVPCID             []byte `parquet:"tgw_src_vpc_id,optional,dict,string"`
	TGWDstVPCID             []byte `parquet:"tgw_dst_vpc_id,optional,dict,string"`
	TGWSrcSubnetID          []byte `parquet:"tgw_src_subnet_id,optional,dict,string"`
	TGWDstSubnetID          []byte `parquet:"tgw_dst_subnet_id,optional,dict,string"`
	TGWSrcENI               []byte `parquet:"tgw_src_eni,optional,dict,string"`
	TGWDstENI               []byte `parquet:"tgw_dst_eni,optional,dict,string"`
	TGWSrcAZID              []byte `parquet:"tgw_src_az_id,optional,dict,string"`
	TGWDstAZID              []byte `parquet:"tgw_dst_az_id,optional,dict,string"`
	TGWPairAttachmentID     []byte `parquet:"tgw_pair_attachment_id,optional,dict,string"`
	PacketsLostNoRoute      *int64 `parquet:"packets_lost_no_route,optional"`
	PacketsLostBlackhole    *int64 `parquet:"packets_lost_blackhole,optional"`
	PacketsLostMTUExceeded  *int64 `parquet:"packets_lost_mtu_exceeded,optional"`
	PacketsLostTTLExpired   *int64 `parquet:"packets_lost_ttl_expired,optional"`
	ECSClusterARN           []byte `parquet:"ecs_cluster_arn,optional,dict,string"`
	ECSClusterName          []byte `parquet:"ecs_cluster_name,optional,dict,string"`
	ECSContainerInstanceARN []byte `parquet:"ecs_container_instance_arn,optional,dict,string"`
	ECSContainerInstanceID  []byte `parquet:"ecs_container_instance_id,optional,dict,string"`
	ECSContainerID          []byte `parquet:"ecs_container_id,optional,dict,string"`
	ECSSecondContainerID    []byte `parquet:"ecs_second_container_id,optional,dict,string"`
	ECSServiceName          []byte `parquet:"ecs_service_name,optional,dict,string"`
	ECSTaskDefinitionARN    []byte `parquet:"ecs_task_definition_arn,optional,dict,string"`
	ECSTaskARN              []byte `parquet:"ecs_task_arn,optional,dict,string"`
	ECSTaskID               []byte `parquet:"ecs_task_id,optional,dict,string"`
	RejectReason            []byte `parquet:"reject_reason,optional,dict,string"`
	ObjectID                int64  `parquet:"object_id"`
	ObjectLine              int32  `parquet:"object_line"`

	ints [flowlog.NumFields]int64 `parquet:"-"`
	i32s [flowlog.NumFields]int32 `parquet:"-"`
}

// fill sets the row from a record. String values alias the record.
func (row *flowRow) fill(objectID int64, r *flowlog.Record) {
	row.ObjectID = objectID
	row.ObjectLine = int32(r.Line)
	if r.Has(flowlog.Version) {
		row.i32s[flowlog.Version] = int32(r.Int[flowlog.Version])
		row.Version = &row.i32s[flowlog.Version]
	} else {
		row.Version = nil
	}
	if r.Has(flowlog.AccountID) {
		row.AccountID = r.Str[flowlog.AccountID]
	} else {
		row.AccountID = nil
	}
	if r.Has(flowlog.InterfaceID) {
		row.InterfaceID = r.Str[flowlog.InterfaceID]
	} else {
		row.InterfaceID = nil
	}
	if r.Has(flowlog.SrcAddr) {
		row.SrcAddr = r.Str[flowlog.SrcAddr]
	} else {
		row.SrcAddr = nil
	}
	if r.Has(flowlog.DstAddr) {
		row.DstAddr = r.Str[flowlog.DstAddr]
	} else {
		row.DstAddr = nil
	}
	if r.Has(flowlog.SrcPort) {
		row.i32s[flowlog.SrcPort] = int32(r.Int[flowlog.SrcPort])
		row.SrcPort = &row.i32s[flowlog.SrcPort]
	} else {
		row.SrcPort = nil
	}
	if r.Has(flowlog.DstPort) {
		row.i32s[flowlog.DstPort] = int32(r.Int[flowlog.DstPort])
		row.DstPort = &row.i32s[flowlog.DstPort]
	} else {
		row.DstPort = nil
	}
	if r.Has(flowlog.Protocol) {
		row.i32s[flowlog.Protocol] = int32(r.Int[flowlog.Protocol])
		row.Protocol = &row.i32s[flowlog.Protocol]
	} else {
		row.Protocol = nil
	}
	if r.Has(flowlog.Packets) {
		row.ints[flowlog.Packets] = r.Int[flowlog.Packets]
		row.Packets = &row.ints[flowlog.Packets]
	} else {
		row.Packets = nil
	}
	if r.Has(flowlog.Bytes) {
		row.ints[flowlog.Bytes] = r.Int[flowlog.Bytes]
		row.Bytes = &row.ints[flowlog.Bytes]
	} else {
		row.Bytes = nil
	}
	if r.Has(flowlog.Start) {
		row.ints[flowlog.Start] = r.Int[flowlog.Start] * 1e6
		row.Start = &row.ints[flowlog.Start]
	} else {
		row.Start = nil
	}
	if r.Has(flowlog.End) {
		row.ints[flowlog.End] = r.Int[flowlog.End] * 1e6
		row.End = &row.ints[flowlog.End]
	} else {
		row.End = nil
	}
	if r.Has(flowlog.Action) {
		row.Action = r.Str[flowlog.Action]
	} else {
		row.Action = nil
	}
	if r.Has(flowlog.LogStatus) {
		row.LogStatus = r.Str[flowlog.LogStatus]
	} else {
		row.LogStatus = nil
	}
	if r.Has(flowlog.VPCID) {
		row.VPCID = r.Str[flowlog.VPCID]
	} else {
		row.VPCID = nil
	}
	if r.Has(flowlog.SubnetID) {
		row.SubnetID = r.Str[flowlog.SubnetID]
	} else {
		row.SubnetID = nil
	}
	if r.Has(flowlog.InstanceID) {
		row.InstanceID = r.Str[flowlog.InstanceID]
	} else {
		row.InstanceID = nil
	}
	if r.Has(flowlog.TCPFlags) {
		row.i32s[flowlog.TCPFlags] = int32(r.Int[flowlog.TCPFlags])
		row.TCPFlags = &row.i32s[flowlog.TCPFlags]
	} else {
		row.TCPFlags = nil
	}
	if r.Has(flowlog.Type) {
		row.Type = r.Str[flowlog.Type]
	} else {
		row.Type = nil
	}
	if r.Has(flowlog.PktSrcAddr) {
		row.PktSrcAddr = r.Str[flowlog.PktSrcAddr]
	} else {
		row.PktSrcAddr = nil
	}
	if r.Has(flowlog.PktDstAddr) {
		row.PktDstAddr = r.Str[flowlog.PktDstAddr]
	} else {
		row.PktDstAddr = nil
	}
	if r.Has(flowlog.Region) {
		row.Region = r.Str[flowlog.Region]
	} else {
		row.Region = nil
	}
	if r.Has(flowlog.AZID) {
		row.AZID = r.Str[flowlog.AZID]
	} else {
		row.AZID = nil
	}
	if r.Has(flowlog.SublocationType) {
		row.SublocationType = r.Str[flowlog.SublocationType]
	} else {
		row.SublocationType = nil
	}
	if r.Has(flowlog.SublocationID) {
		row.SublocationID = r.Str[flowlog.SublocationID]
	} else {
		row.SublocationID = nil
	}
	if r.Has(flowlog.PktSrcAWSService) {
		row.PktSrcAWSService = r.Str[flowlog.PktSrcAWSService]
	} else {
		row.PktSrcAWSService = nil
	}
	if r.Has(flowlog.PktDstAWSService) {
		row.PktDstAWSService = r.Str[flowlog.PktDstAWSService]
	} else {
		row.PktDstAWSService = nil
	}
	if r.Has(flowlog.FlowDirection) {
		row.FlowDirection = r.Str[flowlog.FlowDirection]
	} else {
		row.FlowDirection = nil
	}
	if r.Has(flowlog.TrafficPath) {
		row.i32s[flowlog.TrafficPath] = int32(r.Int[flowlog.TrafficPath])
		row.TrafficPath = &row.i32s[flowlog.TrafficPath]
	} else {
		row.TrafficPath = nil
	}
	if r.Has(flowlog.ResourceType) {
		row.ResourceType = r.Str[flowlog.ResourceType]
	} else {
		row.ResourceType = nil
	}
	if r.Has(flowlog.TGWID) {
		row.TGWID = r.Str[flowlog.TGWID]
	} else {
		row.TGWID = nil
	}
	if r.Has(flowlog.TGWAttachmentID) {
		row.TGWAttachmentID = r.Str[flowlog.TGWAttachmentID]
	} else {
		row.TGWAttachmentID = nil
	}
	if r.Has(flowlog.TGWSrcVPCAccountID) {
		row.TGWSrcVPCAccountID = r.Str[flowlog.TGWSrcVPCAccountID]
	} else {
		row.TGWSrcVPCAccountID = nil
	}
	if r.Has(flowlog.TGWDstVPCAccountID) {
		row.TGWDstVPCAccountID = r.Str[flowlog.TGWDstVPCAccountID]
	} else {
		row.TGWDstVPCAccountID = nil
	}
	if r.Has(flowlog.TGWSrcVPCID) {
		row.TGWSrcVPCID = r.Str[flowlog.TGWSrcVPCID]
	} else {
		row.TGWSrcVPCID = nil
	}
	if r.Has(flowlog.TGWDstVPCID) {
		row.TGWDstVPCID = r.Str[flowlog.TGWDstVPCID]
	} else {
		row.TGWDstVPCID = nil
	}
	if r.Has(flowlog.TGWSrcSubnetID) {
		row.TGWSrcSubnetID = r.Str[flowlog.TGWSrcSubnetID]
	} else {
		row.TGWSrcSubnetID = nil
	}
	if r.Has(flowlog.TGWDstSubnetID) {
		row.TGWDstSubnetID = r.Str[flowlog.TGWDstSubnetID]
	} else {
		row.TGWDstSubnetID = nil
	}
	if r.Has(flowlog.TGWSrcENI) {
		row.TGWSrcENI = r.Str[flowlog.TGWSrcENI]
	} else {
		row.TGWSrcENI = nil
	}
	if r.Has(flowlog.TGWDstENI) {
		row.TGWDstENI = r.Str[flowlog.TGWDstENI]
	} else {
		row.TGWDstENI = nil
	}
	if r.Has(flowlog.TGWSrcAZID) {
		row.TGWSrcAZID = r.Str[flowlog.TGWSrcAZID]
	} else {
		row.TGWSrcAZID = nil
	}
	if r.Has(flowlog.TGWDstAZID) {
		row.TGWDstAZID = r.Str[flowlog.TGWDstAZID]
	} else {
		row.TGWDstAZID = nil
	}
	if r.Has(flowlog.TGWPairAttachmentID) {
		row.TGWPairAttachmentID = r.Str[flowlog.TGWPairAttachmentID]
	} else {
		row.TGWPairAttachmentID = nil
	}
	if r.Has(flowlog.PacketsLostNoRoute) {
		row.ints[flowlog.PacketsLostNoRoute] = r.Int[flowlog.PacketsLostNoRoute]
		row.PacketsLostNoRoute = &row.ints[flowlog.PacketsLostNoRoute]
	} else {
		row.PacketsLostNoRoute = nil
	}
	if r.Has(flowlog.PacketsLostBlackhole) {
		row.ints[flowlog.PacketsLostBlackhole] = r.Int[flowlog.PacketsLostBlackhole]
		row.PacketsLostBlackhole = &row.ints[flowlog.PacketsLostBlackhole]
	} else {
		row.PacketsLostBlackhole = nil
	}
	if r.Has(flowlog.PacketsLostMTUExceeded) {
		row.ints[flowlog.PacketsLostMTUExceeded] = r.Int[flowlog.PacketsLostMTUExceeded]
		row.PacketsLostMTUExceeded = &row.ints[flowlog.PacketsLostMTUExceeded]
	} else {
		row.PacketsLostMTUExceeded = nil
	}
	if r.Has(flowlog.PacketsLostTTLExpired) {
		row.ints[flowlog.PacketsLostTTLExpired] = r.Int[flowlog.PacketsLostTTLExpired]
		row.PacketsLostTTLExpired = &row.ints[flowlog.PacketsLostTTLExpired]
	} else {
		row.PacketsLostTTLExpired = nil
	}
	if r.Has(flowlog.ECSClusterARN) {
		row.ECSClusterARN = r.Str[flowlog.ECSClusterARN]
	} else {
		row.ECSClusterARN = nil
	}
	if r.Has(flowlog.ECSClusterName) {
		row.ECSClusterName = r.Str[flowlog.ECSClusterName]
	} else {
		row.ECSClusterName = nil
	}
	if r.Has(flowlog.ECSContainerInstanceARN) {
		row.ECSContainerInstanceARN = r.Str[flowlog.ECSContainerInstanceARN]
	} else {
		row.ECSContainerInstanceARN = nil
	}
	if r.Has(flowlog.ECSContainerInstanceID) {
		row.ECSContainerInstanceID = r.Str[flowlog.ECSContainerInstanceID]
	} else {
		row.ECSContainerInstanceID = nil
	}
	if r.Has(flowlog.ECSContainerID) {
		row.ECSContainerID = r.Str[flowlog.ECSContainerID]
	} else {
		row.ECSContainerID = nil
	}
	if r.Has(flowlog.ECSSecondContainerID) {
		row.ECSSecondContainerID = r.Str[flowlog.ECSSecondContainerID]
	} else {
		row.ECSSecondContainerID = nil
	}
	if r.Has(flowlog.ECSServiceName) {
		row.ECSServiceName = r.Str[flowlog.ECSServiceName]
	} else {
		row.ECSServiceName = nil
	}
	if r.Has(flowlog.ECSTaskDefinitionARN) {
		row.ECSTaskDefinitionARN = r.Str[flowlog.ECSTaskDefinitionARN]
	} else {
		row.ECSTaskDefinitionARN = nil
	}
	if r.Has(flowlog.ECSTaskARN) {
		row.ECSTaskARN = r.Str[flowlog.ECSTaskARN]
	} else {
		row.ECSTaskARN = nil
	}
	if r.Has(flowlog.ECSTaskID) {
		row.ECSTaskID = r.Str[flowlog.ECSTaskID]
	} else {
		row.ECSTaskID = nil
	}
	if r.Has(flowlog.RejectReason) {
		row.RejectReason = r.Str[flowlog.RejectReason]
	} else {
		row.RejectReason = nil
	}
}

package demo

import (
	"fmt"
	"sort"
	"strconv"
)

// detectorID is production's GuardDuty detector.
const detectorID = "12abc34d567e8fa901bc2d34e56789f0"

// finding is one GuardDuty finding, rendered.
type finding struct {
	id      string
	region  string
	updated int64
	json    []byte
}

// findingSpec is what a scenario says about a finding.
type findingSpec struct {
	typ         string
	sev         float64
	title, desc string
	// Instance findings.
	in                    *Instance
	localPort, remotePort int32
	direction             string
	probe                 bool
	probers               []uint32
	// Access key findings.
	key, principal, userName, userType string
	api, apiService, ua                string
	remote                             uint32
	role                               string
	first, last                        int64
	count                              int
}

// finding renders a production GuardDuty finding and returns its ID.
func (s *stager) finding(f findingSpec) string {
	s.gdID++
	id := fmt.Sprintf("%016x%016x", mix64(uint64(s.g.cfg.Seed)^0x9d, uint64(s.gdID)), mix64(uint64(s.g.cfg.Seed)^0x9e, uint64(s.gdID)))
	region := "us-east-1"
	if f.in != nil {
		region = f.in.VPC.Region
	}
	// GuardDuty reports a few minutes after the last occurrence it saw.
	created := f.first + 300
	updated := f.last + 300
	w := jw{}
	w.open("").str("accountId", ProdAccount).
		str("arn", "arn:aws:guardduty:"+region+":"+ProdAccount+":detector/"+detectorID+"/finding/"+id).
		str("createdAt", isoMillis(created)).str("description", f.desc).str("id", id).str("partition", "aws").str("region", region)
	w.open("resource")
	if f.in != nil {
		instanceDetails(&w, f.in)
		w.str("resourceType", "Instance")
	} else {
		w.open("accessKeyDetails").str("accessKeyId", f.key).str("principalId", f.principal).str("userName", f.userName).str("userType", f.userType).close()
		w.str("resourceType", "AccessKey")
	}
	w.close()
	w.str("schemaVersion", "2.0")
	w.open("service").open("action")
	switch {
	case f.probe:
		w.str("actionType", "PORT_PROBE").open("portProbeAction").boolean("blocked", false).openArr("portProbeDetails")
		for _, p := range f.probers {
			w.open("").open("localIpDetails").str("ipAddressV4", ipString(f.in.PrivateIP)).close().
				open("localPortDetails").num("port", int64(f.localPort)).str("portName", portName(f.localPort)).close()
			remoteIP(&w, "remoteIpDetails", p)
			w.close()
		}
		w.closeArr().close()
	case f.in != nil:
		w.str("actionType", "NETWORK_CONNECTION").open("networkConnectionAction").boolean("blocked", false).
			str("connectionDirection", f.direction).
			open("localIpDetails").str("ipAddressV4", ipString(f.in.PrivateIP)).close().
			open("localPortDetails").num("port", int64(f.localPort)).str("portName", portName(f.localPort)).close().
			str("protocol", "TCP")
		remoteIP(&w, "remoteIpDetails", f.remote)
		w.open("remotePortDetails").num("port", int64(f.remotePort)).str("portName", portName(f.remotePort)).close()
		w.close()
	default:
		w.str("actionType", "AWS_API_CALL").open("awsApiCallAction").str("api", f.api).str("callerType", "Remote IP")
		remoteIP(&w, "remoteIpDetails", f.remote)
		w.str("serviceName", f.apiService).str("userAgent", f.ua).close()
	}
	w.close()
	w.boolean("archived", false).num("count", int64(f.count)).str("detectorId", detectorID).
		str("eventFirstSeen", isoMillis(f.first)).str("eventLastSeen", isoMillis(f.last)).
		str("resourceRole", f.role).str("serviceName", "guardduty").
		open("additionalInfo").str("value", "{}").str("type", "default").close().close()
	w.float("severity", f.sev).str("title", f.title).str("type", f.typ).str("updatedAt", isoMillis(updated))
	w.close()
	if !s.mute {
		s.g.finds = append(s.g.finds, finding{id: id, region: region, updated: updated, json: w.b})
	}
	return id
}

func isoMillis(t int64) string { return tm(t).Format("2006-01-02T15:04:05.000Z") }

func portName(p int32) string {
	switch p {
	case 22:
		return "SSH"
	case 80:
		return "HTTP"
	case 443:
		return "HTTPS"
	case 6379:
		return "Redis"
	case 3389:
		return "RDP"
	}
	return "Unknown"
}

func instanceDetails(w *jw, in *Instance) {
	w.open("instanceDetails").str("availabilityZone", in.Subnet.AZ).
		open("iamInstanceProfile").str("arn", "arn:aws:iam::"+in.VPC.Account.ID+":instance-profile/"+in.Role.Name).
		str("id", "AIPA"+keyChars(mix64(uint64(in.index), 7), 17)).close().
		str("imageDescription", "Amazon Linux 2023 AMI 2023.6.20241111.0 x86_64 HVM kernel-6.1").str("imageId", in.AMI).
		str("instanceId", in.ID).str("instanceState", "running").str("instanceType", in.Type).
		str("launchTime", "2026-09-01T08:00:00.000Z").openArr("networkInterfaces")
	w.open("").openArr("ipv6Addresses").closeArr().str("networkInterfaceId", in.ENI).str("privateDnsName", in.privateDNS()).
		str("privateIpAddress", ipString(in.PrivateIP)).openArr("privateIpAddresses")
	w.open("").str("privateDnsName", in.privateDNS()).str("privateIpAddress", ipString(in.PrivateIP)).close()
	w.closeArr()
	if in.PublicIP != 0 {
		w.str("publicDnsName", publicDNS(in)).str("publicIp", ipString(in.PublicIP))
	}
	w.openArr("securityGroups").open("").str("groupId", "sg-0"+keyHex(in.index, 16)).str("groupName", in.VPC.Name+"-"+in.Tier).close().closeArr().
		str("subnetId", in.Subnet.ID).str("vpcId", in.VPC.ID).close()
	w.closeArr()
	w.openArr("productCodes").closeArr().
		openArr("tags").open("").str("key", "Name").str("value", in.Name).close().open("").str("key", "tier").str("value", in.Tier).close().closeArr().
		close()
}

func keyHex(i int, n int) string {
	return string(appendHex(nil, mix64(uint64(i), 99), n))
}

func publicDNS(in *Instance) string {
	a := in.PublicIP
	host := fmt.Sprintf("ec2-%d-%d-%d-%d", a>>24, a>>16&255, a>>8&255, a&255)
	if in.VPC.Region == "us-east-1" {
		return host + ".compute-1.amazonaws.com"
	}
	return host + "." + in.VPC.Region + ".compute.amazonaws.com"
}

// remoteIP writes GuardDuty's remoteIpDetails from the synthetic GeoIP
// data, so that the finding and ip_info agree.
func remoteIP(w *jw, key string, a uint32) {
	w.open(key)
	b := geoOf(a)
	if b != nil {
		w.open("city").str("cityName", b.city).close().
			open("country").str("countryCode", b.country).str("countryName", b.name).close().
			open("geoLocation").float("lat", b.lat).float("lon", b.lon).close()
	}
	w.str("ipAddressV4", ipString(a))
	if b != nil {
		asn := strconv.FormatUint(uint64(b.asn), 10)
		w.open("organization").str("asn", asn).str("asnOrg", b.org).str("isp", b.org).str("org", b.org).close()
	}
	w.close()
}

// gdFiles groups the findings into export files: one per region.
func (g *gen) gdFiles() [][]finding {
	by := map[string][]finding{}
	for _, f := range g.finds {
		by[f.region] = append(by[f.region], f)
	}
	var files [][]finding
	for _, r := range Regions {
		if fs := by[r]; len(fs) > 0 {
			sort.Slice(fs, func(i, j int) bool { return fs[i].updated < fs[j].updated })
			files = append(files, fs)
		}
	}
	return files
}

// guardDutyFile writes one GuardDuty S3 export object, one finding per
// line, in the export's layout.
func (w *writer) guardDutyFile(dir string, i int) (Stats, error) {
	g := w.g
	fs := g.gdFiles()[i]
	last := fs[len(fs)-1]
	stamp := tm(last.updated + 300)
	name := appendUUID(nil, mix64(uint64(g.cfg.Seed)^0x9df, uint64(i)), mix64(uint64(g.cfg.Seed)^0x9e0, uint64(i)))
	rel := fmt.Sprintf("AWSLogs/%s/GuardDuty/%s/%s/%s.jsonl.gz", ProdAccount, last.region, datePath(stamp), name)
	if err := w.create(dir, rel); err != nil {
		return Stats{}, err
	}
	for _, f := range fs {
		w.buf = append(w.buf, f.json...)
		w.buf = append(w.buf, '\n')
	}
	size, err := w.finish()
	return Stats{Findings: int64(len(fs)), Bytes: size}, err
}

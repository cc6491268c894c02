package detect

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// flows runs the detectors that read the flow rollup.
func (r *run) flows(ctx context.Context) error {
	if len(r.sc.Flows) == 0 {
		return nil
	}
	for _, d := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"brute-force", r.bruteForce}, {"portscan", r.portscan}, {"port-sweep", r.portSweep}, {"port-probe", r.portProbe},
		{"traffic-volume", r.trafficVolume}, {"network-port-unusual", r.networkPortUnusual},
		{"crypto-mining", r.miningFlows}, {"threat-list", r.threatFlows},
	} {
		start, before := time.Now(), len(r.occ)
		if err := d.fn(ctx); err != nil {
			return err
		}
		r.cfg.Logger.Debug("detector ran", "detector", d.name, "occurrences", len(r.occ)-before, "seconds", time.Since(start).Seconds())
	}
	return nil
}

// instance sets an instance resource from a flow hit and returns its key
// and its name for titles.
func instance(f *Finding, h *store.FlowHit) (key, name string) {
	f.Resource = Resource{ResourceType: "Instance", InstanceDetails: &InstanceDetails{
		InstanceID:        h.InstanceID,
		NetworkInterfaces: []NetworkInterface{{NetworkInterfaceID: h.InterfaceID, PrivateIPAddress: h.LocalAddr}},
	}}
	if h.InstanceID != "" {
		return h.InstanceID, "EC2 instance " + h.InstanceID
	}
	return h.InterfaceID, "network interface " + h.InterfaceID
}

func connection(direction string, h *store.FlowHit, localPort, remotePort int32, remote string) Action {
	return Action{ActionType: "NETWORK_CONNECTION", NetworkConnectionAction: &NetworkConnectionAction{
		Blocked:             h.Accepted == 0 && h.Rejected > 0,
		ConnectionDirection: direction,
		Protocol:            protocolName(h.Protocol),
		LocalPortDetails:    port(localPort),
		LocalIPDetails:      localIP(h.LocalAddr),
		RemoteIPDetails:     remoteIP(remote),
		RemotePortDetails:   port(remotePort),
	}}
}

func flowEvidence(h *store.FlowHit, extra map[string]any) map[string]any {
	ev := map[string]any{"flows": h.Flows, "accepted_flows": h.Accepted, "rejected_flows": h.Rejected,
		"bytes_in": h.BytesIn, "bytes_out": h.BytesOut, "hour": h.Hour.Format(time.RFC3339)}
	if h.InterfaceID != "" {
		ev["interface_id"] = h.InterfaceID
	}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}

func (r *run) bruteForce(ctx context.Context) error {
	for _, b := range []struct {
		typ, what string
		ports     []int
	}{{TypeSSHBruteForce, "SSH", r.cfg.SSHPorts}, {TypeRDPBruteForce, "RDP", r.cfg.RDPPorts}} {
		hits, err := r.st.DetectInboundAttempts(ctx, r.sc.Flows, b.ports, r.cfg.BruteForceMinAttempts, r.cfg.BruteForceMaxBytes)
		if err != nil {
			return err
		}
		for i := range hits {
			h := &hits[i]
			f := newFinding(b.typ, "brute-force", h.AccountID, "")
			res, name := instance(f, h)
			f.Service.ResourceRole = "TARGET"
			f.Service.Action = connection("INBOUND", h, h.LocalPort, -1, h.RemoteAddr)
			f.Title = fmt.Sprintf("%s is performing %s brute force attacks against %s.", h.RemoteAddr, b.what, name)
			f.Description = fmt.Sprintf("%s is performing %s brute force attacks against %s: %d connection attempts (rejected, or short: at most %d bytes) on port %d in the hour from %s. Brute force attacks are used to gain unauthorized access to your instance by guessing the %s password.",
				h.RemoteAddr, b.what, name, h.Measure, r.cfg.BruteForceMaxBytes, h.LocalPort, h.Hour.Format(time.RFC3339), b.what)
			f.Gumshoe.Evidence = flowEvidence(h, map[string]any{"attempts": h.Measure, "threshold": r.cfg.BruteForceMinAttempts,
				"attempt_max_bytes": r.cfg.BruteForceMaxBytes})
			r.add(occurrence{f: f, resource: res, counterpart: h.RemoteAddr, window: h.Hour, n: h.Measure, first: h.First, last: h.Last})
		}
	}
	return nil
}

func (r *run) portscan(ctx context.Context) error {
	hits, err := r.st.DetectPortScans(ctx, r.sc.Flows, r.cfg.PortscanMinPorts)
	if err != nil {
		return err
	}
	for i := range hits {
		h := &hits[i]
		f := newFinding(TypePortscan, "portscan", h.AccountID, "")
		res, name := instance(f, h)
		f.Service.ResourceRole = "ACTOR"
		f.Service.Action = connection("OUTBOUND", h, -1, -1, h.RemoteAddr)
		f.Title = fmt.Sprintf("Unusual outbound port scan from %s.", name)
		f.Description = fmt.Sprintf("%s is performing outbound port scans against remote host %s: connections to %d distinct ports in the hour from %s.",
			name, h.RemoteAddr, h.Measure, h.Hour.Format(time.RFC3339))
		f.Gumshoe.Evidence = flowEvidence(h, map[string]any{"distinct_ports": h.Measure, "threshold": r.cfg.PortscanMinPorts})
		r.add(occurrence{f: f, resource: res, counterpart: h.RemoteAddr, window: h.Hour, n: h.Measure, first: h.First, last: h.Last})
	}
	return nil
}

func (r *run) portSweep(ctx context.Context) error {
	hits, err := r.st.DetectPortSweeps(ctx, r.sc.Flows, r.cfg.PortSweepMinTargets, r.cfg.PortSweepMaxBytes)
	if err != nil {
		return err
	}
	for i := range hits {
		h := &hits[i]
		f := newFinding(TypePortSweep, "port-sweep", h.AccountID, "")
		res, name := instance(f, h)
		f.Service.ResourceRole = "ACTOR"
		f.Service.Action = connection("OUTBOUND", h, -1, h.RemotePort, "")
		f.Title = fmt.Sprintf("%s is probing port %d on a large number of hosts.", name, h.RemotePort)
		f.Description = fmt.Sprintf("%s probed %s port %d on %d hosts in the hour from %s.",
			name, protocolName(h.Protocol), h.RemotePort, h.Measure, h.Hour.Format(time.RFC3339))
		f.Gumshoe.Evidence = flowEvidence(h, map[string]any{"hosts_probed": h.Measure, "threshold": r.cfg.PortSweepMinTargets})
		cp := fmt.Sprintf("%s/%d", protocolName(h.Protocol), h.RemotePort)
		r.add(occurrence{f: f, resource: res, counterpart: cp, window: h.Hour, n: h.Measure, first: h.First, last: h.Last})
	}
	return nil
}

// portProbe raises one finding per instance and unprotected port, listing
// the addresses that probed it.
func (r *run) portProbe(ctx context.Context) error {
	hits, err := r.st.DetectPortProbes(ctx, r.sc.Flows, r.cfg.PortProbeMinPorts)
	if err != nil {
		return err
	}
	type key struct {
		iface string
		port  int32
		hour  time.Time
	}
	groups := map[key][]*store.FlowHit{}
	var keys []key
	for i := range hits {
		h := &hits[i]
		if h.Accepted == 0 || slices.Contains(r.cfg.PortProbeIgnorePorts, int(h.LocalPort)) {
			continue
		}
		k := key{h.InterfaceID, h.LocalPort, h.Hour}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], h)
	}
	for _, k := range keys {
		g := groups[k]
		sort.Slice(g, func(i, j int) bool { return g[i].Accepted > g[j].Accepted })
		agg := *g[0]
		var probers []string
		var details []PortProbeDetail
		agg.Flows, agg.Accepted, agg.Rejected, agg.BytesIn, agg.BytesOut = 0, 0, 0, 0, 0
		for _, h := range g {
			agg.Flows += h.Flows
			agg.Accepted += h.Accepted
			agg.Rejected += h.Rejected
			agg.BytesIn += h.BytesIn
			agg.BytesOut += h.BytesOut
			agg.First, agg.Last = minTime(agg.First, h.First), maxTime(agg.Last, h.Last)
			probers = append(probers, h.RemoteAddr)
			if len(details) < 10 {
				details = append(details, PortProbeDetail{LocalPortDetails: port(k.port), LocalIPDetails: localIP(h.LocalAddr), RemoteIPDetails: remoteIP(h.RemoteAddr)})
			}
		}
		f := newFinding(TypePortProbe, "port-probe", agg.AccountID, "")
		res, name := instance(f, &agg)
		f.Service.ResourceRole = "TARGET"
		f.Service.Action = Action{ActionType: "PORT_PROBE", PortProbeAction: &PortProbeAction{Blocked: false, PortProbeDetails: details}}
		f.Title = fmt.Sprintf("Unprotected port on %s is being probed.", name)
		f.Description = fmt.Sprintf("Port %d of %s accepted connections from %d addresses that were probing its ports in the hour from %s (%v).",
			k.port, name, len(probers), k.hour.Format(time.RFC3339), probers)
		f.Gumshoe.Evidence = flowEvidence(&agg, map[string]any{"port": k.port, "probers": probers, "threshold": r.cfg.PortProbeMinPorts})
		r.add(occurrence{f: f, resource: res, counterpart: strconv.Itoa(int(k.port)), window: k.hour, n: agg.Accepted, first: agg.First, last: agg.Last})
	}
	return nil
}

func (r *run) baselineReady(h *store.FlowHit) bool {
	return !h.BaselineStart.IsZero() && !h.BaselineStart.After(h.Hour.Add(-r.cfg.MinBaseline))
}

func (r *run) trafficVolume(ctx context.Context) error {
	hits, err := r.st.DetectTrafficVolumes(ctx, r.sc.Flows, r.cfg.TrafficMinBytes, r.cfg.BaselineDays, r.cfg.TrafficBaselineGap)
	if err != nil {
		return err
	}
	for i := range hits {
		h := &hits[i]
		if !r.baselineReady(h) || float64(h.Measure) <= r.cfg.TrafficFactor*float64(h.BaselineMax) {
			continue
		}
		f := newFinding(TypeTrafficVolume, "traffic-volume", h.AccountID, "")
		res, name := instance(f, h)
		f.Service.ResourceRole = "ACTOR"
		f.Service.Action = connection("OUTBOUND", h, -1, h.RemotePort, h.RemoteAddr)
		f.Title = fmt.Sprintf("Unusually large amount of data sent from %s to %s.", name, h.RemoteAddr)
		f.Description = fmt.Sprintf("%s sent %d bytes to %s in the hour from %s; the most it sent to any one address in an hour of its baseline was %d bytes.",
			name, h.Measure, h.RemoteAddr, h.Hour.Format(time.RFC3339), h.BaselineMax)
		f.Gumshoe.Evidence = flowEvidence(h, map[string]any{"bytes_sent": h.Measure, "baseline_max_hourly_bytes": h.BaselineMax,
			"baseline_since": h.BaselineStart.Format(time.RFC3339), "factor": r.cfg.TrafficFactor})
		r.add(occurrence{f: f, resource: res, counterpart: h.RemoteAddr, window: h.Hour, n: h.Flows, first: h.First, last: h.Last})
	}
	return nil
}

func (r *run) networkPortUnusual(ctx context.Context) error {
	if err := r.st.DetectSyncPortHours(ctx, r.sc.ToSegment); err != nil {
		return err
	}
	hits, err := r.st.DetectNewRemotePorts(ctx, r.sc.Flows, r.cfg.UnusualPortMinPackets, r.cfg.BaselineDays)
	if err != nil {
		return err
	}
	perHour := map[[2]string]int{}
	for i := range hits {
		perHour[[2]string{hits[i].InterfaceID, hits[i].Hour.String()}]++
	}
	for i := range hits {
		h := &hits[i]
		if !r.baselineReady(h) || perHour[[2]string{h.InterfaceID, h.Hour.String()}] > r.cfg.UnusualPortMaxPerHour {
			continue
		}
		f := newFinding(TypeNetworkPortUnusual, "network-port-unusual", h.AccountID, "")
		res, name := instance(f, h)
		f.Service.ResourceRole = "ACTOR"
		f.Service.Action = connection("OUTBOUND", h, -1, h.RemotePort, h.RemoteAddr)
		f.Title = fmt.Sprintf("Unusual server port %d used by %s.", h.RemotePort, name)
		f.Description = fmt.Sprintf("%s opened %s connections to remote port %d (%s, %d hosts in all), a port it had not connected to in the %d days before %s.",
			name, protocolName(h.Protocol), h.RemotePort, h.RemoteAddr, h.Measure, r.cfg.BaselineDays, h.Hour.Format(time.RFC3339))
		f.Gumshoe.Evidence = flowEvidence(h, map[string]any{"remote_hosts": h.Measure, "baseline_since": h.BaselineStart.Format(time.RFC3339)})
		cp := fmt.Sprintf("%s/%d", protocolName(h.Protocol), h.RemotePort)
		r.add(occurrence{f: f, resource: res, counterpart: cp, window: h.Hour, n: h.Flows, first: h.First, last: h.Last})
	}
	return nil
}

// miningFlows finds connections to mining pools: addresses that pool
// domains resolved to (in the DNS logs of the baseline period), and the
// pools' usual ports.
func (r *run) miningFlows(ctx context.Context) error {
	since := r.sc.Flows[0].Start.AddDate(0, 0, -r.cfg.BaselineDays)
	answers, err := r.st.DetectDNSAnswers(ctx, r.cfg.MiningDomains, since)
	if err != nil {
		return err
	}
	pools := addrSet(answers)
	byAddr, err := r.st.DetectFlowsToAddresses(ctx, r.sc.Flows, pools)
	if err != nil {
		return err
	}
	byPort, err := r.st.DetectFlowsToPorts(ctx, r.sc.Flows, r.cfg.MiningPorts)
	if err != nil {
		return err
	}
	emit := func(h *store.FlowHit, detector, why string) {
		f := newFinding(TypeBitcoinTool, detector, h.AccountID, "")
		res, name := instance(f, h)
		f.Service.ResourceRole = "ACTOR"
		dir := "OUTBOUND"
		if !h.Outbound {
			dir = "INBOUND"
		}
		f.Service.Action = connection(dir, h, h.LocalPort, h.RemotePort, h.RemoteAddr)
		f.Title = fmt.Sprintf("%s is communicating with a cryptocurrency mining pool at %s.", name, h.RemoteAddr)
		f.Description = fmt.Sprintf("%s is communicating with %s (port %d), %s. This can indicate that the instance is mining cryptocurrency.",
			name, h.RemoteAddr, h.RemotePort, why)
		f.Gumshoe.Evidence = flowEvidence(h, map[string]any{"reason": why})
		r.add(occurrence{f: f, resource: res, counterpart: h.RemoteAddr, window: h.Hour, n: h.Flows, first: h.First, last: h.Last})
	}
	for i := range byAddr {
		emit(&byAddr[i], "crypto-mining-pool-address", "an address a mining pool's domain resolved to")
	}
	for i := range byPort {
		emit(&byPort[i], "crypto-mining-pool-port", "on a port mining pools use")
	}
	return nil
}

// threatFlows finds traffic with addresses on the user's threat lists.
func (r *run) threatFlows(ctx context.Context) error {
	if r.cfg.Intel.Empty() {
		return nil
	}
	set, err := r.listedAddrs(ctx)
	if err != nil {
		return err
	}
	hits, err := r.st.DetectFlowsToAddresses(ctx, r.sc.Flows, set)
	if err != nil {
		return err
	}
	for i := range hits {
		h := &hits[i]
		list, entry := r.cfg.Intel.matchIP(h.RemoteAddr)
		f := newFinding(TypeMaliciousIPEC2, "threat-list", h.AccountID, "")
		res, name := instance(f, h)
		dir, role := "INBOUND", "TARGET"
		if h.Outbound {
			dir, role = "OUTBOUND", "ACTOR"
		}
		f.Service.ResourceRole = role
		f.Service.Action = connection(dir, h, h.LocalPort, h.RemotePort, h.RemoteAddr)
		f.Service.Evidence = &Evidence{ThreatIntelligenceDetails: []ThreatIntelligenceDetail{{ThreatListName: list, ThreatNames: []string{entry}}}}
		f.Title = fmt.Sprintf("%s is communicating with %s, an address on threat list %s.", name, h.RemoteAddr, list)
		f.Description = fmt.Sprintf("%s exchanged %d flows with %s, which matches %s on the custom threat list %s.", name, h.Flows, h.RemoteAddr, entry, list)
		f.Gumshoe.Evidence = flowEvidence(h, map[string]any{"threat_list": list, "entry": entry})
		r.add(occurrence{f: f, resource: res, counterpart: h.RemoteAddr, window: h.Hour, n: h.Flows, first: h.First, last: h.Last})
	}
	return nil
}

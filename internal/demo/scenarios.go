package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// schedule is when the scenarios happen, Unix seconds. Each is placed a
// fixed time before the end of the period, or proportionally earlier
// when the period is too short for that, so that a two-day demo still
// holds all of them.
type schedule struct {
	endpoint, deployV2, probe, brute, portscan, mining, root, exfil, leak int64
}

func newSchedule(end, span int64) schedule {
	at := func(hoursBefore, frac float64) int64 {
		off := min(hoursBefore*3600, frac*float64(span))
		return (end - int64(off)) / 60 * 60
	}
	return schedule{
		endpoint: at(108, 0.92), // D-5 12:00
		deployV2: at(81, 0.85),  // D-4 15:00
		probe:    at(82, 0.8),   // D-4 14:00
		brute:    at(69.8, 0.75),
		portscan: at(37.9, 0.62),
		mining:   at(25.75, 0.55),
		root:     at(24.3, 0.5),
		exfil:    at(23, 0.4),
		leak:     at(10, 0.2),
	}
}

// stager collects the scenarios' records.
type stager struct {
	g    *gen
	r    *rand.Rand
	nCT  uint64
	gdID int
	// mute drops what is staged (Config.NoAttacks) while the scenario
	// still draws its random numbers and IDs, so that the scenarios
	// after it come out the same.
	mute bool
}

func (s *stager) flow(f flowRec) {
	v := f.vpc()
	if s.mute || f.start < s.g.start || f.start >= s.g.end {
		return
	}
	for i, x := range s.g.flowStreams {
		if x == v {
			k := fileKey{i, s.g.winOf(f.start)}
			s.g.sFlows[k] = append(s.g.sFlows[k], f)
			return
		}
	}
}

func (f *flowRec) vpc() *VPC {
	if f.in != nil {
		return f.in.VPC
	}
	return f.nat.Subnet.VPC
}

func (s *stager) flows(fs []flowRec) {
	for _, f := range fs {
		s.flow(f)
	}
}

// event stages a CloudTrail event of account a.
func (s *stager) event(a *Account, e *ctEvent) {
	if e.t < s.g.start || e.t >= s.g.end {
		return
	}
	s.nCT++
	e.id = mix64(uint64(s.g.cfg.Seed)^0x5ce7a210, s.nCT)
	e.recipient = a.ID
	if s.mute {
		return
	}
	for i, cs := range s.g.ctStreams {
		if cs.acct == a && cs.region == e.region {
			k := fileKey{i, s.g.winOf(e.t)}
			s.g.sCT[k] = append(s.g.sCT[k], e)
			return
		}
	}
	panic("demo: no trail stream for " + a.Name + " " + e.region)
}

func (s *stager) query(q dnsRec) {
	if s.mute || q.t < s.g.start || q.t >= s.g.end {
		return
	}
	for i, x := range s.g.flowStreams {
		if x == q.in.VPC {
			k := fileKey{i, s.g.winOf(q.t)}
			s.g.sDNS[k] = append(s.g.sDNS[k], q)
			return
		}
	}
}

func tm(t int64) time.Time { return time.Unix(t, 0).UTC() }

// stage writes every scenario's records and its truth.
func (g *gen) stage(sc schedule) {
	g.sched = sc
	s := &stager{g: g, r: rand.New(rand.NewPCG(uint64(g.cfg.Seed), saltSched))}
	env := g.env
	g.truth = &Truth{
		Synthetic: true,
		Note: "Synthetic data written by gumshoe's demo generator: the organisation, its people and its attackers are made up. " +
			"Addresses outside AWS come from the documentation (RFC 5737) and benchmarking (RFC 2544) ranges; their places and networks come from the synthetic GeoIP databases next to this file.",
		Seed: g.cfg.Seed, Days: g.cfg.Days, Start: tm(g.start), End: tm(g.end), OrgID: OrgID,
		GeoIP: TruthGeoIP{City: CityDB, ASN: ASNDB, Note: "synthetic: covers only the demo's made-up internet"},
	}
	for _, a := range env.Accounts {
		f := a.FlowFormat
		if g.cfg.Format != "" {
			f = g.cfg.Format
		}
		g.truth.Accounts = append(g.truth.Accounts, TruthAccount{a.ID, a.Name, f, a.GuardDuty})
	}
	s.mute = g.cfg.NoAttacks
	attacks := []Scenario{
		s.sshBruteForce(sc.brute),
		s.cryptoMining(sc.mining),
		s.portScan(sc.portscan, sc.probe),
		s.credentialExfiltration(sc.exfil),
		s.leakedKey(sc.leak),
		s.rootLogin(sc.root),
	}
	s.mute = false
	if g.cfg.NoAttacks {
		attacks = nil
		g.truth.NoAttacks = true
	}
	g.truth.Scenarios = append(attacks, s.benign(sc.endpoint, sc.deployV2))
}

func ent(typ, key, role string) Entity { return Entity{Type: typ, Key: key, Role: role} }

func instanceEntities(in *Instance, role string) []Entity {
	return []Entity{ent("instance", in.ID, role), ent("interface", in.ENI, role+"'s network interface")}
}

// 1. SSH brute force against the bastion, then a session.
func (s *stager) sshBruteForce(t0 int64) Scenario {
	env, r := s.g.env, s.r
	b := env.instance("prod-use1-bastion-1")
	attacker := uint32(addrBruteForcer)
	attempts := 0
	end := t0 + 90*60
	for t := t0; t < end; t += 2 + int64(r.IntN(5)) {
		attempts++
		sport := ephemeral(r)
		if r.IntN(5) == 0 {
			s.flow(flowRec{in: b, src: attacker, dst: b.PrivateIP, sport: sport, dport: 22, proto: 6, packets: 1 + int64(r.IntN(2)),
				bytes: 60 + int64(r.IntN(40)), start: t, end: t + 1 + int64(r.IntN(3)), flags: 2, reject: true})
			continue
		}
		p := 11 + int64(r.IntN(10))
		s.flows(tcpPair(nil, b, attacker, sport, 22, p, p*(90+int64(r.IntN(60))), p-1, (p-1)*(110+int64(r.IntN(80))), t, t+2+int64(r.IntN(6)), false, 8))
	}
	// The password found, a session: a long accepted flow with real bytes.
	sess := end + 2*60
	sport := ephemeral(r)
	sessEnd := sess + 88*60
	for m := int64(0); sess+m*60 < sessEnd; m++ {
		t := sess + m*60
		pin := 40 + int64(r.IntN(400))
		pout := pin + int64(r.IntN(2000))
		s.flows(tcpPair(nil, b, attacker, sport, 22, pin, pin*(70+int64(r.IntN(60))), pout, pout*(300+int64(r.IntN(1100))), t, t+59, m > 0, 8))
	}
	// From the bastion, the intruder asks who it is.
	key, created := b.sessionKey(s.g.cfg.Seed, sess+15*60)
	for i, call := range []cliCall{{"sts", "GetCallerIdentity", ""}, {"s3", "ListBuckets", ""}, {"ec2", "DescribeInstances", ""}} {
		e := &ctEvent{t: sess + 15*60 + int64(i)*40}
		e.api(call.svc, call.name, "us-east-1", true)
		e.ident = identSession(b.Role, b.ID, key, created, false, true, "")
		e.srcIP = ipString(b.PublicIP)
		e.ua = "aws-cli/1.18.147 Python/2.7.18 Linux/6.1.112-124.190.amzn2023.x86_64 botocore/1.18.6"
		fillRequest(e, call, b.Role, r, nil)
		s.event(b.VPC.Account, e)
	}
	gd := s.finding(findingSpec{typ: "UnauthorizedAccess:EC2/SSHBruteForce", sev: 2,
		title: ipString(attacker) + " is performing SSH brute force attacks against " + b.ID + ".",
		desc:  ipString(attacker) + " is performing SSH brute force attacks against " + b.ID + ". Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.",
		in:    b, remote: attacker, localPort: 22, remotePort: 0, direction: "INBOUND", role: "TARGET",
		first: t0, last: end, count: attempts})
	return Scenario{
		ID: "ssh-brute-force", Title: "SSH brute force against the bastion, then a session",
		Description: fmt.Sprintf("%s tries passwords on the production bastion's SSH port for 90 minutes (%d short connections, accepted and rejected), then holds an 88-minute session with real traffic and calls AWS with the bastion's role.", ipString(attacker), attempts),
		AccountID:   ProdAccount, Regions: []string{"us-east-1"}, Start: tm(t0), End: tm(sessEnd),
		Entities: append(instanceEntities(b, "target"), ent("ip", ipString(attacker), "attacker"),
			ent("role_session", b.sessionID(), "the bastion's role session used from the intruder's shell")),
		ExpectedFindings:  []string{"UnauthorizedAccess:EC2/SSHBruteForce"},
		GuardDutyFindings: []string{gd},
	}
}

// 2. Crypto mining on a development app instance.
func (s *stager) cryptoMining(t0 int64) Scenario {
	env, r := s.g.env, s.r
	in := env.instance("dev-use1-app-2")
	pool := []uint32{addrPool1, addrPool2}
	for t := t0; t < s.g.end; t += 1800 + int64(r.IntN(120)) {
		q := dnsRec{in: in, t: t, name: "pool.supportxmr.com.", qtype: "A", rcode: "NOERROR", port: ephemeral(r)}
		for _, a := range pool {
			q.answers = append(q.answers, dnsAnswer{ipString(a), "A"})
		}
		s.query(q)
	}
	for i, a := range pool {
		start := t0 + 5 + int64(i)*3
		n := 0
		var recs []flowRec
		for t := start; t < s.g.end; t += 60 {
			p := 8 + int64(r.IntN(20))
			recs = internetVia(recs[:0], in, a, 3333, p, p*(90+int64(r.IntN(60))), t, min(t+59, s.g.end-1), r)
			// One long connection: keep the first minute's ports.
			if n > 0 {
				for j := range recs {
					recs[j].flags = 0
				}
			}
			s.flows(recs)
			n++
		}
	}
	return Scenario{
		ID: "crypto-mining", Title: "Crypto mining on a development app instance",
		Description: "dev-use1-app-2 resolves pool.supportxmr.com and keeps two connections open to the pool's addresses on port 3333 (Stratum), through the NAT gateway, until the end of the period.",
		AccountID:   DevAccount, Regions: []string{"us-east-1"}, Start: tm(t0), End: tm(s.g.end),
		Entities: append(instanceEntities(in, "miner"), ent("domain", "pool.supportxmr.com", "mining pool"),
			ent("ip", ipString(addrPool1), "mining pool"), ent("ip", ipString(addrPool2), "mining pool")),
		ExpectedFindings:  []string{"CryptoCurrency:EC2/BitcoinTool.B!DNS", "CryptoCurrency:EC2/BitcoinTool.B"},
		GuardDutyFindings: []string{},
		Note:              "GuardDuty is off in the development account: only gumshoe's own detections can find this one.",
	}
}

// 3. An outbound port scan from a compromised web server, and an inbound
// probe of unprotected ports.
func (s *stager) portScan(t0, probe int64) Scenario {
	env, r := s.g.env, s.r
	web := env.instance("prod-use1-web-4")
	target := uint32(addrScanTarget)
	sport := ephemeral(r)
	open := map[int32]bool{22: true, 80: true, 443: true}
	for port := int32(1); port <= 1024; port++ {
		t := t0 + int64(port)*20*60/1024
		s.flow(flowRec{in: web, src: web.PrivateIP, dst: target, sport: sport, dport: port, proto: 6, packets: 1, bytes: 44, start: t, end: t + 1, flags: 2, egress: true, path: 8})
		if open[port] {
			s.flow(flowRec{in: web, src: target, dst: web.PrivateIP, sport: port, dport: sport, proto: 6, packets: 1, bytes: 44, start: t, end: t + 1, flags: 18})
		} else {
			s.flow(flowRec{in: web, src: target, dst: web.PrivateIP, sport: port, dport: sport, proto: 6, packets: 1, bytes: 40, start: t, end: t + 1, flags: 4})
		}
	}
	scanEnd := t0 + 21*60
	eu := env.instance("prod-euw1-web-1")
	probers := []uint32{addrProber1, addrProber1 + 1, addrProber1 + 2}
	ports := []int32{22, 23, 445, 1433, 3306, 3389, 5432, 6379, 8080, 9200, 27017}
	unprotected := map[int32]bool{6379: true, 9200: true}
	probeEnd := probe + 2*3600
	probes := 0
	for t := probe; t < probeEnd; t += 20 + int64(r.IntN(100)) {
		src := probers[r.IntN(len(probers))]
		port := ports[r.IntN(len(ports))]
		probes++
		if unprotected[port] {
			s.flows(tcpPair(nil, eu, src, ephemeral(r), port, 3+int64(r.IntN(4)), 180+int64(r.IntN(200)), 2+int64(r.IntN(3)), 120+int64(r.IntN(400)), t, t+2, false, 8))
		} else {
			s.flow(flowRec{in: eu, src: src, dst: eu.PrivateIP, sport: ephemeral(r), dport: port, proto: 6, packets: 1, bytes: 40 + int64(r.IntN(20)), start: t, end: t + 1, flags: 2, reject: true})
		}
	}
	scan := s.finding(findingSpec{typ: "Recon:EC2/Portscan", sev: 5,
		title: "Unusual outbound port scan from EC2 instance " + web.ID + ".",
		desc:  "EC2 instance " + web.ID + " is performing outbound port scans against remote host " + ipString(target) + ".",
		in:    web, remote: target, localPort: sport, remotePort: 1024, direction: "OUTBOUND", role: "ACTOR",
		first: t0, last: scanEnd, count: 1024})
	probeID := s.finding(findingSpec{typ: "Recon:EC2/PortProbeUnprotectedPort", sev: 2,
		title: "Unprotected port on EC2 instance " + eu.ID + " is being probed.",
		desc:  "EC2 instance has an unprotected port which is being probed by a known malicious host.",
		in:    eu, remote: probers[0], probers: probers, localPort: 6379, direction: "INBOUND", role: "TARGET", probe: true,
		first: probe, last: probeEnd, count: probes})
	return Scenario{
		ID: "port-scan", Title: "Outbound port scan from a web server, and a probe of unprotected ports",
		Description: fmt.Sprintf("prod-use1-web-4 scans ports 1-1024 of %s in 20 minutes; separately, three hosts probe prod-euw1-web-1 for two hours and find Redis (6379) and Elasticsearch (9200) open to the internet.", ipString(target)),
		AccountID:   ProdAccount, Regions: []string{"us-east-1", "eu-west-1"}, Start: tm(min(t0, probe)), End: tm(max(scanEnd, probeEnd)),
		Entities: append(append(instanceEntities(web, "scanner"), ent("ip", ipString(target), "scanned host")),
			append(instanceEntities(eu, "probed"), ent("ip", ipString(probers[0]), "prober"), ent("ip", ipString(probers[1]), "prober"))...),
		ExpectedFindings:  []string{"Recon:EC2/Portscan", "Recon:EC2/PortProbeUnprotectedPort"},
		GuardDutyFindings: []string{scan, probeID},
	}
}

// 4. An instance's role credentials used from outside AWS.
func (s *stager) credentialExfiltration(t0 int64) Scenario {
	env, r := s.g.env, s.r
	web := env.instance("prod-use1-web-2")
	attacker := uint32(addrExfil)
	// The SSRF that reads the credentials: ordinary-looking requests.
	for i := range 20 {
		t := t0 + int64(i)*30
		s.flows(tcpPair(nil, web, attacker, ephemeral(r), 443, 6, 1400, 5, 2600, t, t+3, false, 8))
	}
	key, created := web.sessionKey(s.g.cfg.Seed, t0)
	ident := identSession(web.Role, web.ID, key, created, false, true, "")
	call := func(t int64, c cliCall) *ctEvent {
		e := &ctEvent{t: t}
		e.api(c.svc, c.name, "us-east-1", true)
		fillRequest(e, c, web.Role, r, nil)
		e.ident, e.srcIP, e.ua = ident, ipString(attacker), uaExfil
		return e
	}
	first := t0 + 20*60 + 17
	s.event(web.VPC.Account, call(first, cliCall{"sts", "GetCallerIdentity", "sts.get-caller-identity"}))
	s.event(web.VPC.Account, call(first+37, cliCall{"s3", "ListBuckets", "s3.ls"}))
	s.event(web.VPC.Account, call(first+83, cliCall{"ec2", "DescribeInstances", "ec2.describe-instances"}))
	day := tm(t0).Add(-24 * time.Hour).Format("2006-01-02")
	gets := 0
	for t := first + 10*60; t < first+50*60; t += 5 + int64(r.IntN(10)) {
		e := &ctEvent{t: t}
		s3Object(e, env.DataBucket, fmt.Sprintf("exports/%s/customers-%04d.csv.gz", day, gets), "us-east-1", false, 8_000_000+int64(r.IntN(30_000_000)), r)
		e.ident, e.srcIP, e.ua = ident, ipString(attacker), uaExfil
		s.event(web.VPC.Account, e)
		gets++
	}
	// Then the instance itself sends gigabytes out.
	up := first + 55*60
	sport := ephemeral(r)
	for m := int64(0); m < 40; m++ {
		t := up + m*60
		p := 40_000 + int64(r.IntN(30_000))
		outFlags, inFlags := int32(2), int32(18)
		if m > 0 {
			outFlags, inFlags = 0, 0
		}
		s.flow(flowRec{in: web, src: web.PrivateIP, dst: attacker, sport: sport, dport: 443, proto: 6, packets: p, bytes: p * 1448, start: t, end: t + 59, flags: outFlags, egress: true, path: 8})
		s.flow(flowRec{in: web, src: attacker, dst: web.PrivateIP, sport: 443, dport: sport, proto: 6, packets: p / 20, bytes: p / 20 * 52, start: t, end: t + 59, flags: inFlags})
	}
	last := up + 40*60
	gd := s.finding(findingSpec{typ: "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", sev: 8,
		title: "Credentials for instance role " + web.Role.Name + " used from external IP address.",
		desc:  "Credentials created exclusively for an EC2 instance using instance role " + web.Role.Name + " have been used from external IP address " + ipString(attacker) + ".",
		key:   key, principal: web.sessionID(), userName: web.Role.Name, userType: "AssumedRole",
		api: "ListBuckets", apiService: "s3.amazonaws.com", remote: attacker, ua: uaExfil, role: "ACTOR",
		first: first, last: first + 50*60, count: 3 + gets})
	return Scenario{
		ID: "instance-credential-exfiltration", Title: "Instance role credentials used from outside AWS",
		Description: fmt.Sprintf("After SSRF requests to prod-use1-web-2, its role session's credentials are used from %s: GetCallerIdentity, ListBuckets, DescribeInstances, then %d GetObject calls on %s; the instance then sends about 3 GB to the same address.", ipString(attacker), gets, env.DataBucket),
		AccountID:   ProdAccount, Regions: []string{"us-east-1"}, Start: tm(t0), End: tm(last),
		Entities: append(instanceEntities(web, "victim"),
			ent("role_session", web.sessionID(), "stolen session"), ent("iam_role", web.Role.ARN, "the instance's role"),
			ent("access_key", key, "stolen credentials"), ent("ip", ipString(attacker), "attacker"),
			ent("s3_bucket", env.DataBucket, "bucket read"), ent("user_agent", uaExfil, "attacker's tool")),
		ExpectedFindings:  []string{"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "Behavior:EC2/TrafficVolumeUnusual"},
		GuardDutyFindings: []string{gd},
	}
}

// 5. A leaked access key used from a new country, network and agent.
func (s *stager) leakedKey(t0 int64) Scenario {
	env, r := s.g.env, s.r
	u := env.user("dev-ci")
	attacker := uint32(addrLeakedKey)
	newKey := "AKIA" + upperID(r, 16)
	dev := env.Account(DevAccount)
	trail := "arn:aws:cloudtrail:us-east-1:" + DevAccount + ":trail/" + dev.Trail
	type step struct {
		at      int64
		call    cliCall
		key     string
		region  string
		req     func(*jw)
		resp    func(*jw)
		resList bool
	}
	steps := []step{
		{0, cliCall{"sts", "GetCallerIdentity", ""}, u.AccessKey, "us-east-1", nil, nil, false},
		{60, cliCall{"iam", "ListUsers", ""}, u.AccessKey, "us-east-1", nil, nil, false},
		{120, cliCall{"iam", "ListAccessKeys", ""}, u.AccessKey, "us-east-1", func(w *jw) { w.str("userName", u.Name) }, nil, false},
		{240, cliCall{"iam", "CreateAccessKey", ""}, u.AccessKey, "us-east-1", func(w *jw) { w.str("userName", u.Name) }, func(w *jw) {
			w.open("accessKey").str("userName", u.Name).str("accessKeyId", newKey).str("status", "Active").str("createDate", expiration(t0+240)).close()
		}, false},
		{360, cliCall{"sts", "GetCallerIdentity", ""}, newKey, "us-east-1", nil, nil, false},
		{420, cliCall{"cloudtrail", "DescribeTrails", ""}, newKey, "us-east-1", nil, nil, false},
		{480, cliCall{"cloudtrail", "StopLogging", ""}, newKey, "us-east-1", func(w *jw) { w.str("name", trail) }, nil, true},
		{600, cliCall{"ec2", "DescribeInstances", ""}, newKey, "us-east-1", nil, nil, false},
		{630, cliCall{"ec2", "DescribeInstances", ""}, newKey, "eu-west-1", nil, nil, false},
	}
	for _, st := range steps {
		e := &ctEvent{t: t0 + st.at + int64(r.IntN(25))}
		ro := strings.HasPrefix(st.call.name, "Get") || strings.HasPrefix(st.call.name, "List") || strings.HasPrefix(st.call.name, "Describe")
		e.api(st.call.svc, st.call.name, st.region, ro)
		if st.call.name == "DescribeInstances" {
			fillRequest(e, st.call, u, r, nil)
		}
		if st.req != nil {
			w := jw{}
			w.open("")
			st.req(&w)
			e.req = w.close().b
		}
		if st.resp != nil {
			w := jw{}
			w.open("")
			st.resp(&w)
			e.resp = w.close().b
		}
		if st.resList {
			w := jw{b: []byte{'['}}
			w.open("").str("accountId", DevAccount).str("type", "AWS::CloudTrail::Trail").str("ARN", trail).close().closeArr()
			e.res = w.b
		}
		e.ident = identUser(u, st.key, 0)
		e.srcIP, e.ua = ipString(attacker), uaKali
		s.event(dev, e)
	}
	return Scenario{
		ID: "leaked-access-key", Title: "A leaked access key used from a new country, network and user agent",
		Description: fmt.Sprintf("The CI user's access key, normally used from the CI provider, is used from %s (a new country and network) with a Kali Linux AWS CLI: it lists users and keys, creates a second access key, and with it stops the account's trail.", ipString(attacker)),
		AccountID:   DevAccount, Regions: []string{"us-east-1", "eu-west-1"}, Start: tm(t0), End: tm(t0 + 660),
		Entities: []Entity{ent("iam_user", u.ARN, "leaked key's user"), ent("access_key", u.AccessKey, "leaked key"),
			ent("access_key", newKey, "key created by the attacker"), ent("ip", ipString(attacker), "attacker"),
			ent("user_agent", uaKali, "pentest distribution's CLI")},
		ExpectedFindings:  []string{"PenTest:IAMUser/KaliLinux", "Stealth:IAMUser/CloudTrailLoggingDisabled", "Persistence:IAMUser/AnomalousBehavior"},
		GuardDutyFindings: []string{},
		Note:              "GuardDuty is off in the development account: only gumshoe's own detections can find this one. The organisation trail still records everything after StopLogging, which stops only the account's own trail.",
	}
}

// 6. The root user signs in to the console without MFA.
func (s *stager) rootLogin(t0 int64) Scenario {
	env, r := s.g.env, s.r
	prod := env.Account(ProdAccount)
	from := uint32(addrRootLogin)
	e := &ctEvent{t: t0}
	consoleLogin(e, identRoot(prod, "", 0), prod, from, uaFirefoxWin, false, "")
	s.event(prod, e)
	key := "ASIA" + upperID(r, 16)
	calls := []cliCall{{"iam", "GetAccountSummary", ""}, {"iam", "ListUsers", ""}, {"iam", "ListAccessKeys", ""},
		{"ce", "GetCostAndUsage", ""}, {"ec2", "DescribeInstances", ""}, {"iam", "ListMFADevices", ""}}
	for i, c := range calls {
		e := &ctEvent{t: t0 + 40 + int64(i)*25 + int64(r.IntN(15))}
		e.api(c.svc, c.name, "us-east-1", true)
		fillRequest(e, c, prod.Root, r, nil)
		e.ident = identRoot(prod, key, t0)
		e.srcIP, e.ua = ipString(from), uaFirefoxWin
		e.console = true
		s.event(prod, e)
	}
	last := t0 + 40 + int64(len(calls))*25
	gd := s.finding(findingSpec{typ: "Policy:IAMUser/RootCredentialUsage", sev: 2,
		title: "API ListUsers was invoked using root credentials.",
		desc:  "API ListUsers was invoked using root credentials from IP address " + ipString(from) + ".",
		key:   key, principal: ProdAccount, userName: "Root", userType: "Root",
		api: "ListUsers", apiService: "iam.amazonaws.com", remote: from, ua: uaFirefoxWin, role: "ACTOR",
		first: t0 + 40, last: last, count: len(calls)})
	return Scenario{
		ID: "root-console-login", Title: "Root user console sign-in without MFA",
		Description: fmt.Sprintf("The production account's root user signs in to the console from %s without MFA and looks at users, keys and costs.", ipString(from)),
		AccountID:   ProdAccount, Regions: []string{"us-east-1"}, Start: tm(t0), End: tm(last),
		Entities:          []Entity{ent("root", ProdAccount, "root user"), ent("ip", ipString(from), "sign-in address"), ent("user_agent", uaFirefoxWin, "browser")},
		ExpectedFindings:  []string{"Policy:IAMUser/RootCredentialUsage"},
		GuardDutyFindings: []string{gd},
	}
}

// 7. Benign but notable: S3 moves from the internet gateway to a new
// gateway endpoint, and a new deployment role is used for the first time.
func (s *stager) benign(endpoint, deployV2 int64) Scenario {
	env, r := s.g.env, s.r
	v := env.vpc("prod-euw1")
	batch := env.instance("prod-euw1-batch-1")
	carol := env.user("carol")
	// The engineer creates the endpoint in the console.
	e := &ctEvent{t: endpoint}
	e.api("ec2", "CreateVpcEndpoint", v.Region, false)
	key, since := consoleKey(s.g.cfg.Seed, carol, endpoint)
	e.ident = identUser(carol, key, since)
	e.srcIP, e.ua, e.console = ipString(carol.Office), carol.Browser, true
	rtb := "rtb-0" + hexID(r, 16)
	w := jw{}
	w.open("").open("CreateVpcEndpointRequest").str("VpcId", v.ID).str("ServiceName", "com.amazonaws."+v.Region+".s3").
		open("RouteTableId").num("tag", 1).str("content", rtb).close().str("VpcEndpointType", "Gateway").close().close()
	e.req = w.b
	w = jw{}
	w.open("").open("CreateVpcEndpointResponse").str("xmlns", "http://ec2.amazonaws.com/doc/2016-11-15/").
		open("vpcEndpoint").str("vpcEndpointId", v.S3Endpoint).str("vpcEndpointType", "Gateway").str("vpcId", v.ID).
		str("serviceName", "com.amazonaws."+v.Region+".s3").str("state", "available").
		open("routeTableIdSet").str("item", rtb).close().str("ownerId", ProdAccount).close().close().close()
	e.resp = w.b
	s.event(v.Account, e)
	// The batch job's uploads before and after.
	for i := range 12 {
		t := endpoint - 3600 + int64(i)*600
		s.flows(s3Via(nil, batch, 80_000+int64(r.IntN(200_000)), t, t+59, r))
	}
	// The new deployment role: created, then used by the pipeline as the
	// old one was.
	alice := env.user("alice")
	role := env.DeployRoleV2
	c := &ctEvent{t: deployV2 - 40*60}
	c.api("iam", "CreateRole", "us-east-1", false)
	c.ident, c.srcIP, c.ua = identUser(alice, alice.AccessKey, 0), ipString(alice.Office), alice.CLI+"iam.create-role"
	w = jw{}
	w.open("").str("roleName", role.Name).str("assumeRolePolicyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+env.user("ci-deploy").ARN+`"},"Action":"sts:AssumeRole"}]}`).
		str("description", "Deployments, least privilege (replaces prod-deploy)").close()
	c.req = w.b
	w = jw{}
	w.open("").open("role").str("path", "/").str("roleName", role.Name).str("roleId", role.ID).str("arn", role.ARN).
		str("createDate", expiration(c.t)).close().close()
	c.resp = w.b
	s.event(v.Account, c)
	a := &ctEvent{t: deployV2 - 38*60}
	a.api("iam", "AttachRolePolicy", "us-east-1", false)
	a.ident, a.srcIP, a.ua = c.ident, c.srcIP, alice.CLI+"iam.attach-role-policy"
	w = jw{}
	w.open("").str("roleName", role.Name).str("policyArn", "arn:aws:iam::"+ProdAccount+":policy/deploy-web").close()
	a.req = w.b
	s.event(v.Account, a)
	// Its first use, as every deployment uses its role (see ctGen.deploy).
	ci := env.user("ci-deploy")
	hour := deployV2 / 3600
	session := "deploy-" + tm(hour*3600).Format("2006010215")
	created := hour*3600 + 60
	skey := "ASIA" + keyChars(mix64(uint64(s.g.cfg.Seed)^0xde91, uint64(hour)), 16)
	as := &ctEvent{t: created}
	as.api("sts", "AssumeRole", "us-east-1", true)
	as.ident, as.srcIP, as.ua = identUser(ci, ci.AccessKey, 0), ipString(ci.Office), ci.CLI+"sts.assume-role"
	assumeBody(as, role, session, skey, created, 3600, nil)
	s.event(v.Account, as)
	for i, call := range []cliCall{{"ec2", "DescribeInstances", "ec2.describe-instances"}, {"elasticloadbalancing", "DescribeTargetHealth", "elbv2.describe-target-health"}} {
		d := &ctEvent{t: created + 30 + int64(i)*20}
		d.api(call.svc, call.name, "us-east-1", true)
		fillRequest(d, call, ci, r, nil)
		d.ident = identSession(role, session, skey, created, false, false, "")
		d.srcIP, d.ua = ipString(ci.Office), ci.CLI+call.command
		s.event(v.Account, d)
	}
	return Scenario{
		ID: "benign-changes", Title: "Benign: S3 through a new gateway endpoint, and a new deployment role",
		Description: "An engineer adds an S3 gateway endpoint to production's eu-west-1 VPC: the batch instance's S3 traffic moves from the internet gateway (traffic path 8) to the endpoint (traffic path 7) and its S3 calls now come from its private address. Another engineer creates prod-deploy-v2, and the pipeline assumes it from then on for the same deployment calls as before.",
		Benign:      true,
		AccountID:   ProdAccount, Regions: []string{"eu-west-1", "us-east-1"}, Start: tm(min(endpoint-3600, deployV2-40*60)), End: tm(max(endpoint+3600, deployV2+3600)),
		Entities: append(instanceEntities(batch, "S3 client"), ent("iam_role", role.ARN, "new deployment role"),
			ent("role_session", role.ID+":"+session, "its first session"), ent("iam_user", env.user("ci-deploy").ARN, "the pipeline")),
		ExpectedFindings:  []string{},
		GuardDutyFindings: []string{},
		Note:              "Expected findings: none. A detector that fires here is wrong: new, but planned and made in the usual way from the usual places.",
	}
}

package source

import (
	"strings"
	"time"
)

// Layout is what an AWS S3 key layout says about an object: whose logs they
// are, from which region and service, and when they were written. Ingest uses
// it to prune by time and to label records whose own fields lack an account
// or region, and it must hold per object because centralized buckets mix
// many accounts and regions under one prefix. Fields are zero when the key
// does not say.
type Layout struct {
	// AccountID is the 12-digit account that owns the logs, e.g. "123456789012".
	AccountID string
	// Region is the region the logs come from, e.g. "us-east-1".
	Region string
	// Service is the service segment as the key spells it: "vpcflowlogs",
	// "CloudTrail", "vpcdnsquerylogs", or a Security Lake source such as
	// "VPC_FLOW".
	Service string
	// Date is the UTC day of the key's date partition, with the hour when
	// the layout has per-hour partitions (HasHour). When the path has no
	// date but the file name has a timestamp, Date is that timestamp's day.
	Date time.Time
	// HasHour reports that Date carries an hour partition, not just a day.
	HasHour bool
	// FlowLogID is the flow log ("fl-1234abcd") named in a flow log file name.
	FlowLogID string
	// OrgID is the organization ("o-xxxx") of an organization CloudTrail trail.
	OrgID string
	// VPCID is the VPC ("vpc-...") that Route 53 resolver query log keys
	// carry where other services carry a region.
	VPCID string
	// FileTime is the timestamp in an AWS file name (flow logs: end of the
	// aggregation window; CloudTrail: delivery time), minute or second
	// precision, UTC. It is finer than Date, which a path only gives by day.
	FileTime time.Time
}

// ParseKey reads an S3 key, s3:// URI or slash-separated local path in any
// of the AWS delivery layouts: plain and per-hour
// (AWSLogs/<acct>/<service>/<region>/yyyy/mm/dd[/HH]/), Hive-compatible
// (aws-account-id=/aws-service=/aws-region=/year=/month=/day=[/hour=]),
// CloudTrail organization trails (AWSLogs/o-xxxx/<acct>/CloudTrail/...),
// Route 53 resolver query logs (AWSLogs/<acct>/vpcdnsquerylogs/<vpc>/...),
// Security Lake (region=/accountId=/eventDay=) and AWS file names
// (<acct>_vpcflowlogs_<region>_<fl-id>_<time>_<hash>.log.gz and kin), which
// fill what the path lacks, so that a flat local copy still says whose logs
// it holds. The last segment is taken as the file name: a prefix should end
// in "/". Anything it does not recognize leaves fields zero; it never fails.
func ParseKey(key string) Layout {
	var l Layout
	segs := strings.Split(key, "/")
	dirs, name := segs[:len(segs)-1], segs[len(segs)-1]
	l.parseAWSLogs(dirs)
	l.parsePartitions(dirs)
	if l.Date.IsZero() {
		// Other delivery paths (Firehose, custom prefixes) still often
		// carry yyyy/mm/dd[/HH] directories.
		for i := range dirs {
			if t, hasHour, ok := dateAt(dirs, i); ok {
				l.Date, l.HasHour = t, hasHour
				break
			}
		}
	}
	l.parseFileName(name)
	return l
}

// parseAWSLogs reads the positional layout after an "AWSLogs" segment. A key
// may hold "AWSLogs" more than once (a prefix that copies another bucket);
// the first occurrence followed by an account wins.
func (l *Layout) parseAWSLogs(dirs []string) {
	for i, s := range dirs {
		if s == "AWSLogs" && l.parseAWSLogsTail(dirs[i+1:]) {
			return
		}
	}
}

func (l *Layout) parseAWSLogsTail(rest []string) bool {
	org := ""
	if len(rest) >= 2 && isOrgID(rest[0]) && isAccountID(rest[1]) {
		org, rest = rest[0], rest[1:]
	}
	if len(rest) == 0 || !isAccountID(rest[0]) {
		return false
	}
	l.OrgID, l.AccountID = org, rest[0]
	rest = rest[1:]
	if len(rest) == 0 || !isServiceName(rest[0]) {
		return true
	}
	l.Service = rest[0]
	rest = rest[1:]
	// Services put different things between the service and the date
	// (region; VPC; log type, region and firewall name), so scan rather
	// than index.
	for i, s := range rest {
		if t, hasHour, ok := dateAt(rest, i); ok {
			l.Date, l.HasHour = t, hasHour
			break
		}
		switch {
		case l.Region == "" && isRegion(s):
			l.Region = s
		case l.VPCID == "" && isVPCID(s):
			l.VPCID = s
		}
	}
	return true
}

// parsePartitions reads Hive-style key=value directories: AWS's
// Hive-compatible S3 prefixes and Security Lake's partitions.
func (l *Layout) parsePartitions(dirs []string) {
	var year, month, day, hour, eventDay, eventHour string
	// Security Lake spells its partitions region= and accountId=, and
	// names the source in front of them.
	slRegion, slAccount := -1, false
	for i, s := range dirs {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "aws-account-id", "accountid", "account_id", "account-id":
			if l.AccountID == "" && isAccountID(v) {
				l.AccountID = v
			}
			slAccount = slAccount || strings.EqualFold(k, "accountid")
		case "aws-region", "region":
			if l.Region == "" && isRegion(v) {
				l.Region = v
				if strings.EqualFold(k, "region") {
					slRegion = i
				}
			}
		case "aws-service":
			if l.Service == "" && isServiceName(v) {
				l.Service = v
			}
		case "year":
			year = v
		case "month":
			month = v
		case "day":
			day = v
		case "hour":
			hour = v
		case "eventday":
			eventDay = v
		case "eventhour":
			eventHour = v
		}
	}
	if l.Service == "" && slRegion > 0 && slAccount {
		l.Service = securityLakeSource(dirs[:slRegion])
	}
	if !l.Date.IsZero() {
		return
	}
	switch {
	case year != "" && month != "" && day != "":
		l.Date, l.HasHour, _ = makeDate(year, month, day, hour)
	case len(eventDay) == 8:
		l.Date, l.HasHour, _ = makeDate(eventDay[:4], eventDay[4:6], eventDay[6:], eventHour)
	case len(eventDay) == 10:
		l.Date, l.HasHour, _ = makeDate(eventDay[:4], eventDay[4:6], eventDay[6:8], eventDay[8:])
	}
}

// securityLakeSource finds the source name in front of Security Lake's
// partitions: aws/<SOURCE>/<version>/region=... or ext/<source>/region=...
func securityLakeSource(before []string) string {
	for i := len(before) - 1; i >= 0; i-- {
		s := before[i]
		if isVersion(s) {
			continue
		}
		if s == "aws" || s == "ext" || !isServiceName(s) {
			return ""
		}
		return s
	}
	return ""
}

// parseFileName fills what the path lacks from an AWS log file name:
//
//	<acct>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
//	<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz
//	<acct>_CloudTrail-Digest_<region>_<trail>_<home-region>_<YYYYMMDDTHHmmssZ>.json.gz
//	<vpc-id>_vpcdnsquerylogs_<acct>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
func (l *Layout) parseFileName(name string) {
	tok := strings.Split(name, "_")
	if len(tok) < 4 {
		return
	}
	// Only the last token carries the extension; trail names may hold dots.
	last := tok[len(tok)-1]
	if i := strings.IndexByte(last, '.'); i >= 0 {
		tok[len(tok)-1] = last[:i]
	}
	var acct, service, region, vpc string
	switch {
	case isAccountID(tok[0]):
		acct, service = tok[0], tok[1]
		if isRegion(tok[2]) {
			region = tok[2]
		}
	case isVPCID(tok[0]) && isAccountID(tok[2]):
		vpc, service, acct = tok[0], tok[1], tok[2]
	default:
		return
	}
	if !isServiceName(service) {
		return
	}
	rest := tok[3:]
	for _, s := range rest {
		if t, ok := parseFileTime(s); ok {
			l.FileTime = t
			break
		}
	}
	if l.AccountID == "" {
		l.AccountID = acct
	}
	if l.Service == "" {
		l.Service = service
	}
	if l.Region == "" {
		l.Region = region
	}
	if l.VPCID == "" {
		l.VPCID = vpc
	}
	if service == "vpcflowlogs" && isFlowLogID(rest[0]) {
		l.FlowLogID = rest[0]
	}
	if l.Date.IsZero() && !l.FileTime.IsZero() {
		y, m, d := l.FileTime.Date()
		l.Date = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
}

// dateAt reads yyyy/mm/dd[/HH] starting at segs[i].
func dateAt(segs []string, i int) (t time.Time, hasHour, ok bool) {
	if i+2 >= len(segs) || len(segs[i]) != 4 || len(segs[i+1]) != 2 || len(segs[i+2]) != 2 {
		return time.Time{}, false, false
	}
	hour := ""
	if i+3 < len(segs) && len(segs[i+3]) == 2 {
		hour = segs[i+3]
	}
	return makeDate(segs[i], segs[i+1], segs[i+2], hour)
}

// makeDate builds a UTC day, or hour when hour is a valid "HH". An invalid
// hour is ignored rather than voiding the day: it is just some other
// directory below the day.
func makeDate(year, month, day, hour string) (t time.Time, hasHour, ok bool) {
	y, ok1 := atoi(year, 4)
	m, ok2 := atoi(month, 2)
	d, ok3 := atoi(day, 2)
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false, false
	}
	t = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 31 April and the like roll over
		return time.Time{}, false, false
	}
	if h, ok := atoi(hour, 2); ok && h < 24 {
		return t.Add(time.Duration(h) * time.Hour), true, true
	}
	return t, false, true
}

// atoi parses a run of 1..n ASCII digits (exactly n when n is 4, i.e. a
// year), so that "+1" or " 1" are not dates.
func atoi(s string, n int) (int, bool) {
	if len(s) == 0 || len(s) > n || (n == 4 && len(s) != 4) {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseFileTime reads the YYYYMMDDTHHmmZ and YYYYMMDDTHHmmssZ stamps of AWS
// file names.
func parseFileTime(s string) (time.Time, bool) {
	var layout string
	switch len(s) {
	case 14:
		layout = "20060102T1504Z"
	case 16:
		layout = "20060102T150405Z"
	default:
		return time.Time{}, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8:
			if c != 'T' {
				return time.Time{}, false
			}
		case len(s) - 1:
			if c != 'Z' {
				return time.Time{}, false
			}
		default:
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
		}
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isRegion accepts AWS region names: two to four lowercase letters, one or
// more lowercase words, and a number ("us-east-1", "us-gov-west-1",
// "eusc-de-east-1").
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	if n := len(parts[0]); n < 2 || n > 4 {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		if !isLowerWord(p) {
			return false
		}
	}
	n, ok := atoi(parts[len(parts)-1], 2)
	return ok && n > 0
}

func isLowerWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func isLowerAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isOrgID accepts "o-" and lowercase letters and digits. AWS issues 10 to
// 32 of them, but sample data uses fewer, and the account that must follow
// keeps the check tight enough.
func isOrgID(s string) bool {
	id, ok := strings.CutPrefix(s, "o-")
	return ok && len(id) <= 32 && isLowerAlnum(id)
}

func isVPCID(s string) bool {
	id, ok := strings.CutPrefix(s, "vpc-")
	return ok && len(id) <= 32 && isLowerAlnum(id)
}

func isFlowLogID(s string) bool {
	id, ok := strings.CutPrefix(s, "fl-")
	return ok && len(id) <= 32 && isLowerAlnum(id)
}

// isServiceName accepts the service segments AWS writes ("vpcflowlogs",
// "CloudTrail-Digest", "network-firewall", "VPC_FLOW") and rejects dates,
// partitions and empty segments.
func isServiceName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return letter
}

// isVersion matches Security Lake's source version segments ("1.0", "2.0").
func isVersion(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

package engine

import (
	"context"
	"errors"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// SearchResult is the answer to one search box query: what the query
// looks like, and the matching entities grouped by type.
type SearchResult struct {
	Query     string                    `json:"query"`
	Kind      string                    `json:"kind"`
	Total     int                       `json:"total"`
	Truncated bool                      `json:"truncated"`
	ByType    map[string][]store.Entity `json:"by_type"`
}

// MaxSearch bounds the entities a search returns.
const MaxSearch = 200

// maxIPv6Scan bounds the IPv6 addresses a CIDR search tests.
const maxIPv6Scan = 100_000

var (
	reInstance = regexp.MustCompile(`^i-[0-9a-fA-F]{8,17}$`)
	reENI      = regexp.MustCompile(`^eni-[0-9a-fA-F]{8,17}$`)
	reKey      = regexp.MustCompile(`^(AKIA|ASIA|AIDA|AROA|ANPA|AGPA)[A-Z0-9]{12,}$`)
	reAccount  = regexp.MustCompile(`^[0-9]{12}$`)
	reFinding  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	reDomain   = regexp.MustCompile(`^([a-zA-Z0-9_-]+\.)+[a-zA-Z]{2,}\.?$`)
)

// classify says what a search string looks like, and the entity types to
// search first (none: all).
func classify(q string) (string, []string) {
	switch {
	case strings.Contains(q, "/") && !strings.HasPrefix(q, "arn:"):
		if _, err := netip.ParsePrefix(q); err == nil {
			return "cidr", []string{"ip"}
		}
	}
	if _, err := netip.ParseAddr(q); err == nil {
		return "ip", []string{"ip"}
	}
	switch {
	case reInstance.MatchString(q):
		return "instance", []string{"instance"}
	case reENI.MatchString(q):
		return "interface", []string{"interface"}
	case strings.HasPrefix(q, "arn:aws:s3:::"):
		return "s3_bucket_arn", []string{"s3_bucket"}
	case strings.HasPrefix(q, "arn:"):
		return "arn", nil
	case reKey.MatchString(q):
		return "access_key", nil
	case reAccount.MatchString(q):
		return "account", nil
	case reFinding.MatchString(q):
		return "finding", []string{"finding"}
	case reDomain.MatchString(q):
		return "domain", nil
	}
	return "text", nil
}

// Search finds the entities a search box string names: an address or
// CIDR block, an instance or interface ID, an ARN, an access key, an
// account, a user agent, a bucket, a domain or a finding ID; values that
// contain the string when nothing matches exactly as typed. Exact matches
// come with their last seen but without first seen (see exact).
func (e *Engine) Search(ctx context.Context, q string) (*SearchResult, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, invalid("empty search")
	}
	if len(q) > 2048 {
		return nil, invalid("search string longer than 2048 bytes")
	}
	kind, types := classify(q)
	out := &SearchResult{Query: q, Kind: kind, ByType: map[string][]store.Entity{}}
	var found []store.Entity
	var err error
	switch kind {
	case "cidr":
		p := netip.MustParsePrefix(q).Masked()
		if p.Addr().Is4() {
			lo := ipv4Number(p.Addr())
			hi := lo + (int64(1) << (32 - p.Bits())) - 1
			found, err = e.st.SearchIPv4Range(ctx, ipv4Prefix(p), lo, hi, MaxSearch+1)
		} else {
			var all []store.Entity
			all, err = e.st.IPv6Entities(ctx, maxIPv6Scan)
			for _, ent := range all {
				if a, perr := netip.ParseAddr(ent.NaturalKey); perr == nil && p.Contains(a) {
					found = append(found, ent)
				}
			}
		}
	case "s3_bucket_arn":
		name := strings.TrimPrefix(q, "arn:aws:s3:::")
		name, _, _ = strings.Cut(name, "/")
		found, err = e.st.SearchEntities(ctx, name, types, MaxSearch+1)
	case "arn":
		found, err = e.st.SearchEntities(ctx, q, nil, MaxSearch+1)
		if err == nil && strings.Contains(q, ":assumed-role/") {
			// An assumed-role ARN names its sessions, keyed by principal ID.
			var ids []string
			ids, err = e.st.SessionsOfARN(ctx, q)
			for _, id := range ids {
				if ent, gerr := e.st.EntityByID(ctx, "role_session:"+id); gerr == nil {
					ent.Exact = true
					found = append([]store.Entity{*ent}, found...)
				}
			}
		}
	default:
		// What the string names exactly, looked up by ID; a scan for
		// values containing it only when nothing is.
		found, err = e.exact(ctx, kind, q)
		if err == nil && len(found) == 0 {
			found, err = e.st.SearchEntities(ctx, q, types, MaxSearch+1)
		}
		if err == nil && len(found) == 0 && types != nil {
			found, err = e.st.SearchEntities(ctx, q, nil, MaxSearch+1)
		}
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, ent := range found {
		if seen[ent.ID] {
			continue
		}
		seen[ent.ID] = true
		if out.Total == MaxSearch {
			out.Truncated = true
			break
		}
		if kind == "cidr" {
			ent.Exact = true
		}
		out.ByType[ent.Type] = append(out.ByType[ent.Type], ent)
		out.Total++
	}
	return out, nil
}

// exactIDs are the entity IDs a search string of each kind names.
func exactIDs(kind, q string) []string {
	switch kind {
	case "ip":
		return []string{"ip:" + netip.MustParseAddr(q).String()}
	case "instance":
		return []string{"instance:" + q}
	case "interface":
		return []string{"interface:" + q}
	case "access_key":
		return []string{"access_key:" + q}
	case "account":
		return []string{"account:" + q, "root:" + q}
	case "finding":
		return []string{"finding:" + q}
	case "domain":
		return []string{"domain:" + strings.TrimSuffix(strings.ToLower(q), ".")}
	case "text":
		return []string{"user_agent:" + q, "bucket:" + q, "domain:" + strings.TrimSuffix(strings.ToLower(q), ".")}
	}
	return nil
}

// exact returns the entities whose IDs the string names: their type, key
// and name, and their last seen (store.LastSeen: the newest rollup files
// first, so that an address busy in millions of flows is answered from
// its last hours), without first seen (the details panel sums that over
// every row). The console opens a result on the last day of its
// activity.
func (e *Engine) exact(ctx context.Context, kind, q string) ([]store.Entity, error) {
	var out []store.Entity
	for _, id := range exactIDs(kind, q) {
		ent, err := e.st.EntityRef(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if ent.LastSeen, err = e.lastSeen(ctx, id); err != nil {
			return nil, err
		}
		ent.Exact = true
		out = append(out, *ent)
	}
	return out, nil
}

// ipv4Prefix is the text every address of an IPv4 block starts with: its
// whole leading octets, with their dots.
func ipv4Prefix(p netip.Prefix) string {
	b := p.Addr().As4()
	var s strings.Builder
	for i := 0; i < p.Bits()/8 && i < 3; i++ {
		s.WriteString(strconv.Itoa(int(b[i])) + ".")
	}
	if p.Bits() == 32 {
		return p.Addr().String()
	}
	return s.String()
}

func ipv4Number(a netip.Addr) int64 {
	b := a.As4()
	return int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
}

package engine

import (
	"context"
	"net/netip"
	"regexp"
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
// contain the string when nothing matches exactly as typed.
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
			found, err = e.st.SearchIPv4Range(ctx, lo, hi, MaxSearch+1)
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
		found, err = e.st.SearchEntities(ctx, q, types, MaxSearch+1)
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

func ipv4Number(a netip.Addr) int64 {
	b := a.As4()
	return int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
}

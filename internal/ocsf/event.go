package ocsf

import (
	"fmt"
	"strings"

	"github.com/gumshoe-dev/gumshoe/internal/cloudtrail"
)

// event maps an API Activity, Authentication or Account Change record made
// from a CloudTrail event back to the event's flattened fields.
func (d *Decoder) event(v *value, class int) (cloudtrail.Event, *ParseError) {
	x := extractor{d: d}
	t := x.time(v, "time")
	if t.IsZero() && x.err == nil {
		t = x.time(v, "time_dt")
	}
	name := x.str(v, "api", "operation")
	if x.err != nil {
		return cloudtrail.Event{}, x.err
	}
	if t.IsZero() {
		return cloudtrail.Event{}, d.recordError("time", ErrMissing)
	}
	if name == "" {
		return cloudtrail.Event{}, d.recordError("api.operation", ErrMissing)
	}
	user := v.get("actor", "user")
	// OCSF 1.0.0-rc.2 (Security Lake v1) holds the principal ID in uid and
	// the ARN in uuid; OCSF 1.1.0 (v2) holds the ARN in uid and the
	// principal ID in uid_alt. Telling them apart by the ARN prefix reads
	// both.
	uid, uidAlt, uuid := x.str(user, "uid"), x.str(user, "uid_alt"), x.str(user, "uuid")
	arn, principal := "", uidAlt
	for _, s := range []string{uid, uuid} {
		if arn == "" && strings.HasPrefix(s, "arn:") {
			arn = s
		}
	}
	if principal == "" && !strings.HasPrefix(uid, "arn:") {
		principal = uid
	}
	unmapped := v.get("unmapped")
	recipient := firstOf(x.str(unmapped, "recipientAccountId"), x.str(v, "cloud", "account", "uid"), x.str(v, "cloud", "account_uid"))
	e := cloudtrail.Event{
		EventID:            x.str(v, "metadata", "uid"),
		EventTime:          t,
		EventSource:        x.str(v, "api", "service", "name"),
		EventName:          name,
		AWSRegion:          x.str(v, "cloud", "region"),
		SourceIP:           firstOf(x.str(v, "src_endpoint", "ip"), x.str(v, "src_endpoint", "domain")),
		UserAgent:          x.str(v, "http_request", "user_agent"),
		UserType:           x.str(user, "type"),
		UserARN:            arn,
		PrincipalID:        principal,
		AccountID:          firstOf(x.str(user, "account", "uid"), x.str(user, "account_uid")),
		AccessKeyID:        x.str(user, "credential_uid"),
		UserName:           x.str(user, "name"),
		SessionIssuerARN:   x.str(v, "actor", "session", "issuer"),
		ErrorCode:          x.str(v, "api", "response", "error"),
		ErrorMessage:       x.str(v, "api", "response", "message"),
		RecipientAccountID: recipient,
		Record:             d.cur,
	}
	switch strings.ToLower(x.str(unmapped, "readOnly")) {
	case "true":
		e.ReadOnly = new(true)
	case "false":
		e.ReadOnly = new(false)
	}
	if e.AccountID == "" {
		e.AccountID = e.RecipientAccountID
	}
	if e.UserName == "" {
		e.UserName = userName(e.UserType,
			x.str(unmapped, "userIdentity.sessionContext.sessionIssuer.type"),
			x.str(unmapped, "userIdentity.sessionContext.sessionIssuer.userName"), e.UserARN)
	}
	e.Resources = x.resources(v)
	if x.err != nil {
		return cloudtrail.Event{}, x.err
	}
	e.Raw = d.rawJSON(v)
	return e, nil
}

// resources rebuilds the event's "resources" array in CloudTrail's own
// shape ({"ARN", "accountId", "type"}), so that queries over the
// resources column read OCSF and native events alike. Security Lake v1
// keeps the resources of some events (AssumeRole) only in unmapped, as
// comma-joined lists; those are split when their lengths agree.
func (x *extractor) resources(v *value) []byte {
	type resource struct{ arn, account, typ string }
	var rs []resource
	if list := v.get("resources"); list != nil {
		if list.kind != vList {
			x.fail([]string{"resources"}, fmt.Errorf("%w: %s; want a list", ErrType, kindName(list.kind)))
			return nil
		}
		for i := range list.list {
			r := &list.list[i]
			rs = append(rs, resource{
				arn:     x.str(r, "uid"),
				account: firstOf(x.str(r, "owner", "account", "uid"), x.str(r, "account_uid"), x.str(r, "account", "uid")),
				typ:     x.str(r, "type"),
			})
		}
	} else if u := v.get("unmapped"); u != nil {
		arns := splitList(x.str(u, "resources[].ARN"))
		accounts := splitList(x.str(u, "resources[].accountId"))
		types := splitList(x.str(u, "resources[].type"))
		if len(arns) > 0 && (len(accounts) == 0 || len(accounts) == len(arns)) && (len(types) == 0 || len(types) == len(arns)) {
			for i, a := range arns {
				r := resource{arn: a}
				if len(accounts) > 0 {
					r.account = accounts[i]
				}
				if len(types) > 0 {
					r.typ = types[i]
				}
				rs = append(rs, r)
			}
		}
	}
	if rs == nil {
		return nil
	}
	b := []byte{'['}
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		sep := false
		for _, kv := range [3][2]string{{"ARN", r.arn}, {"accountId", r.account}, {"type", r.typ}} {
			if kv[1] == "" {
				continue
			}
			if sep {
				b = append(b, ',')
			}
			b = appendJSONString(b, kv[0])
			b = append(b, ':')
			b = appendJSONString(b, kv[1])
			sep = true
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// splitList splits the comma-joined values Security Lake writes into
// unmapped for an array member.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// userName names the identity of an event that has no user name, the way
// internal/cloudtrail does for native events: a role session by its role,
// as the session issuer names it; anything else with an ARN by the ARN's
// last part (a federated user's name, "root").
func userName(userType, issuerType, issuerName, arn string) string {
	role := userType == "AssumedRole" || userType == "Role" || issuerType == "Role"
	if role && issuerName != "" {
		return issuerName
	}
	// arn:partition:service:region:account:resource
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	resource := parts[5]
	if rest, ok := strings.CutPrefix(resource, "assumed-role/"); ok {
		roleName, _, _ := strings.Cut(rest, "/")
		return roleName
	}
	if i := strings.LastIndexByte(resource, '/'); i >= 0 {
		return resource[i+1:]
	}
	return resource
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

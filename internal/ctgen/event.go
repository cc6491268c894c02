package ctgen

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// event is the state of the event being written. The API's builder fills
// the four JSON fragments; empty ones are written as null (requestParameters,
// responseElements) or left out (additionalEventData, resources).
type event struct {
	g      *generator
	r      *rand.Rand
	a      *account
	ri     int    // region index
	region string // the file's region
	t      int64  // eventTime, Unix seconds

	api   *api
	class class
	p     *principal // nil for AWSService
	svc   string     // the service calling or acting for the principal
	vpce  bool       // through the account's VPC endpoint
	bare  bool       // a sign-in: identity without credentials

	req, resp, add, res []byte
	key                 []byte // scratch: an S3 object key
	host                []byte // tlsDetails.clientProvidedHostHeader, when the builder sets it
	requestID           []byte // when the builder sets it (S3 has its own form)
	resARN              string // the resource named in an access-denied message
	errCode, errMsg     string
	keepResp            bool // responseElements even on error (failed sign-ins)
	noRequestID         bool
}

// errorPerMille is how often a call that can fail does: with the calls
// that cannot (AWS services', sign-ins' own), about 3% of events fail.
const errorPerMille = 38

// appendEvent appends one event at time t whose global number is n.
func (w *writer) appendEvent(b []byte, t int64, n uint64) []byte {
	e := &w.ev
	r := e.r
	a := e.a
	tab := &w.g.tables[e.ri]
	api := tab.apis[tab.pick(r)]
	e.t, e.api = t, api
	e.req, e.resp, e.add, e.res = e.req[:0], e.resp[:0], e.add[:0], e.res[:0]
	e.host, e.requestID = e.host[:0], e.requestID[:0]
	e.resARN, e.errCode, e.errMsg = "", "", ""
	e.keepResp, e.noRequestID, e.bare, e.vpce = false, false, false, false
	e.chooseCaller()
	failed := len(api.errs) > 0 && e.class != cService && e.class != cInvoked && e.p.arn != "" &&
		r.IntN(1000) < errorPerMille
	api.build(e)
	if failed {
		e.fail()
	}

	region := e.region
	if api.global {
		region = globalRegion
	}

	b = append(b, `{"eventVersion":"`...)
	b = append(b, api.version...)
	b = append(b, `","userIdentity":`...)
	b = e.appendIdentity(b)
	b = append(b, `,"eventTime":"`...)
	b = w.appendEventTime(b, t)
	b = append(b, `","eventSource":"`...)
	b = append(b, api.source...)
	b = append(b, `","eventName":"`...)
	b = append(b, api.name...)
	b = append(b, `","awsRegion":"`...)
	b = append(b, region...)
	b = append(b, `","sourceIPAddress":"`...)
	b = e.appendSourceIP(b)
	b = append(b, `","userAgent":"`...)
	b = e.appendUserAgent(b)
	b = append(b, '"')
	if e.errCode != "" {
		b = append(b, `,"errorCode":"`...)
		b = append(b, e.errCode...)
		b = append(b, '"')
	}
	if e.errMsg != "" {
		b = append(b, `,"errorMessage":"`...)
		b = append(b, e.errMsg...)
		b = append(b, '"')
	}
	b = append(b, `,"requestParameters":`...)
	b = appendValue(b, e.req)
	b = append(b, `,"responseElements":`...)
	if e.errMsg != "" && !e.keepResp {
		b = append(b, "null"...)
	} else {
		b = appendValue(b, e.resp)
	}
	if len(e.add) > 0 {
		b = append(b, `,"additionalEventData":`...)
		b = append(b, e.add...)
	}
	if !e.noRequestID {
		b = append(b, `,"requestID":"`...)
		if len(e.requestID) > 0 {
			b = append(b, e.requestID...)
		} else {
			b = appendUUID(b, r.Uint64(), r.Uint64())
		}
		b = append(b, '"')
	}
	b = append(b, `,"eventID":"`...)
	b = appendEventID(b, uint64(w.g.cfg.Seed), n, r)
	b = append(b, `","readOnly":`...)
	b = strconv.AppendBool(b, api.readOnly)
	if len(e.res) > 0 {
		b = append(b, `,"resources":`...)
		b = append(b, e.res...)
	}
	b = append(b, `,"eventType":"`...)
	b = append(b, api.eventType...)
	b = append(b, `","managementEvent":`...)
	b = strconv.AppendBool(b, !api.data)
	b = append(b, `,"recipientAccountId":"`...)
	b = append(b, a.id...)
	b = append(b, '"')
	if e.vpce {
		b = append(b, `,"vpcEndpointId":"`...)
		b = append(b, a.vpce[e.ri]...)
		b = append(b, `","vpcEndpointAccountId":"`...)
		b = append(b, a.id...)
		b = append(b, '"')
	}
	if api.data {
		b = append(b, `,"eventCategory":"Data"`...)
	} else {
		b = append(b, `,"eventCategory":"Management"`...)
	}
	if e.class != cService && e.class != cInvoked {
		b = e.appendTLS(b)
	}
	if e.p != nil && e.p.console && e.class != cInvoked && !e.bare {
		b = append(b, `,"sessionCredentialFromConsole":"true"`...)
	}
	return append(b, '}')
}

func appendValue(b, v []byte) []byte {
	if len(v) == 0 {
		return append(b, "null"...)
	}
	return append(b, v...)
}

// chooseCaller picks who makes the call: a class of caller by the API's
// weights, then a principal of that class, busy ones more often.
func (e *event) chooseCaller() {
	r, a, api := e.r, e.a, e.api
	e.class = api.who.pick(r)
	e.p, e.svc = nil, ""
	switch e.class {
	case cService:
		e.svc = api.services[r.IntN(len(api.services))]
		return
	case cInvoked:
		e.svc = api.invokers[r.IntN(len(api.invokers))]
		ps := a.work[kindAny]
		e.p = ps[skewed(r, len(ps))]
		return
	case cWorkload:
		k := kindAny
		if len(api.kinds) > 0 {
			k = api.kinds[r.IntN(len(api.kinds))]
		}
		ps := a.work[k]
		e.p = ps[skewed(r, len(ps))]
		if api.vpce && e.p.private != "" && r.IntN(10) < 4 {
			e.vpce = true
		}
		return
	case cConsole:
		if r.IntN(100) == 0 {
			e.p = a.root
			return
		}
	}
	ps := a.byClass[e.class]
	e.p = ps[skewed(r, len(ps))]
}

// fail turns the call into a failed one with one of the API's errors.
func (e *event) fail() {
	spec := &e.api.errs[e.r.IntN(len(e.api.errs))]
	e.errCode = spec.code
	if !spec.denied {
		e.errMsg = spec.msg
		return
	}
	// The message names the principal and the action, as IAM writes it.
	m := spec.msg + "User: " + e.p.arn + " is not authorized to perform: " + e.api.action
	if e.resARN != "" {
		m += " on resource: " + e.resARN
	}
	e.errMsg = m + " because no identity-based policy allows the " + e.api.action + " action"
}

func (e *event) appendIdentity(b []byte) []byte {
	if e.class == cService {
		b = append(b, `{"type":"AWSService","invokedBy":"`...)
		b = append(b, e.svc...)
		return append(b, `"}`...)
	}
	p := e.p
	b = append(b, p.head...)
	var epoch int64
	if !e.bare {
		switch {
		case p.temp:
			epoch = (e.t + p.phase) / p.period
			b = append(b, `,"accessKeyId":"ASIA`...)
			b = appendKey(b, p.salt, uint64(epoch))
			b = append(b, '"')
		case p.key != "":
			b = append(b, `,"accessKeyId":"`...)
			b = append(b, p.key...)
			b = append(b, '"')
		}
	}
	b = append(b, p.tail...)
	if p.temp && !e.bare {
		b = append(b, `,"sessionContext":{`...)
		b = append(b, p.issuer...)
		b = append(b, `"attributes":{"creationDate":"`...)
		b = time.Unix(epoch*p.period-p.phase, 0).UTC().AppendFormat(b, time.RFC3339)
		if p.mfa {
			b = append(b, `","mfaAuthenticated":"true"}`...)
		} else {
			b = append(b, `","mfaAuthenticated":"false"}`...)
		}
		if p.ec2 {
			b = append(b, `,"ec2RoleDelivery":"2.0"`...)
		}
		b = append(b, '}')
	}
	if e.class == cInvoked {
		b = append(b, `,"invokedBy":"`...)
		b = append(b, e.svc...)
		b = append(b, '"')
	}
	return append(b, '}')
}

func (e *event) appendSourceIP(b []byte) []byte {
	if e.class == cService || e.class == cInvoked {
		return append(b, e.svc...)
	}
	p, r, a := e.p, e.r, e.a
	if e.vpce {
		return append(b, p.private...)
	}
	switch p.ip {
	case ipHuman:
		// At the office or at home.
		if r.IntN(10) < 6 {
			return append(b, a.office[r.IntN(len(a.office))]...)
		}
		return append(b, p.addr...)
	case ipNAT:
		nat := a.nat[e.ri]
		return append(b, nat[r.IntN(len(nat))]...)
	case ipLambda:
		pool := a.lambda[e.ri]
		return append(b, pool[r.IntN(len(pool))]...)
	case ipCI:
		return append(b, e.g.ci[r.IntN(len(e.g.ci))]...)
	}
	return append(b, p.addr...)
}

func (e *event) appendUserAgent(b []byte) []byte {
	if e.class == cService || e.class == cInvoked {
		return append(b, e.svc...)
	}
	p := e.p
	if e.api.agent != "" && p.ec2 {
		// The SSM agent and its kin identify themselves.
		return append(b, e.api.agent...)
	}
	ag := &p.agents[e.r.IntN(len(p.agents))]
	b = append(b, ag.pre...)
	switch ag.mode {
	case agentCLI:
		b = append(b, e.api.cli...)
	case agentSDK:
		b = append(b, e.api.sdk...)
		b = append(b, ag.post...)
	}
	return b
}

func (e *event) appendTLS(b []byte) []byte {
	if e.r.IntN(10) < 6 {
		b = append(b, `,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"`...)
	} else {
		b = append(b, `,"tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":"`...)
	}
	switch {
	case len(e.host) > 0:
		b = append(b, e.host...)
	case e.api.host != "":
		b = append(b, e.api.host...)
	default:
		b = append(b, e.api.endpoint...)
		b = append(b, '.')
		b = append(b, e.region...)
		b = append(b, ".amazonaws.com"...)
	}
	return append(b, `"}`...)
}

// Alphabets of the identifiers.
const (
	hexDigits   = "0123456789abcdef"
	upperHex    = "0123456789ABCDEF"
	base32Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// appendUUID appends a version 4 UUID made of the bits of hi and lo.
func appendUUID(b []byte, hi, lo uint64) []byte {
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	b = appendHex(b, hi>>32, 8)
	b = append(b, '-')
	b = appendHex(b, hi>>16&0xffff, 4)
	b = append(b, '-')
	b = appendHex(b, hi&0xffff, 4)
	b = append(b, '-')
	b = appendHex(b, lo>>48, 4)
	b = append(b, '-')
	return appendHex(b, lo&(1<<48-1), 12)
}

// appendEventID appends the UUID of event n. Its time_low and time_mid
// and two bytes of its node hold a bijection of n, so that no two events
// of a generation share an ID; the rest is random.
func appendEventID(b []byte, seed, n uint64, r *rand.Rand) []byte {
	u := mix64(seed^idSalt, n)
	hi := u>>16<<16 | r.Uint64()&0xffff
	lo := r.Uint64()&^(0xffff<<32) | (u&0xffff)<<32
	return appendUUID(b, hi, lo)
}

// appendHex appends the low n hex digits of v.
func appendHex(b []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, hexDigits[v>>(4*uint(i))&0xf])
	}
	return b
}

// appendRandom appends n characters of alphabet, whose length must be a
// power of two no greater than 64.
func appendRandom(b []byte, r *rand.Rand, alphabet string, n int) []byte {
	mask := uint64(len(alphabet) - 1)
	var bits uint64
	left := 0
	for range n {
		if left < 6 {
			bits, left = r.Uint64(), 64
		}
		b = append(b, alphabet[bits&mask])
		bits >>= 6
		left -= 6
	}
	return b
}

// appendKey appends the 16 characters after ASIA of the access key of a
// session: fixed for a principal and an epoch, so that a session keeps its
// key for its lifetime, whichever file its events land in.
func appendKey(b []byte, salt, epoch uint64) []byte {
	v := mix64(salt, epoch)
	w := mix64(salt^idSalt, epoch)
	for range 12 {
		b = append(b, base32Chars[v&31])
		v >>= 5
	}
	for range 4 {
		b = append(b, base32Chars[w&31])
		w >>= 5
	}
	return b
}

// mix64 is splitmix64's finaliser of seed and i: a bijection of i for a
// given seed.
func mix64(seed, i uint64) uint64 {
	z := seed + (i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// skewed returns an index in [0, n) favouring small indexes, so that a few
// principals and resources dominate, as they do in real trails.
func skewed(r *rand.Rand, n int) int {
	f := r.Float64()
	return int(f * f * float64(n))
}

// appendPublicIP appends a random address outside the private, shared,
// loopback, link-local, documentation and multicast ranges.
func appendPublicIP(b []byte, r *rand.Rand) []byte {
	var a int
	for {
		a = 1 + r.IntN(223)
		switch a {
		case 10, 100, 127, 169, 172, 192, 198, 203:
			continue
		}
		break
	}
	b = strconv.AppendInt(b, int64(a), 10)
	for range 3 {
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(r.IntN(256)), 10)
	}
	return b
}

package ocsf

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// vkind is the JSON type of a value.
type vkind uint8

const (
	vNull vkind = iota
	vBool
	vInt
	vFloat
	vString
	vObject
	vList
)

// value is one OCSF attribute of a record, assembled from the Parquet row:
// a scalar, an object (members in schema order) or a list. Times are
// milliseconds since the epoch, as OCSF writes them in JSON, whatever the
// Parquet annotation.
type value struct {
	kind vkind
	f32  bool // a FLOAT column: written with float32 precision
	b    bool
	i    int64
	f    float64
	s    string
	obj  []member
	list []value
}

type member struct {
	name string
	val  value
}

// get follows a path of member names and returns the value there, or nil.
func (v *value) get(path ...string) *value {
	for _, name := range path {
		if v == nil || v.kind != vObject {
			return nil
		}
		var next *value
		for i := range v.obj {
			if v.obj[i].name == name {
				next = &v.obj[i].val
				break
			}
		}
		v = next
	}
	if v == nil || v.kind == vNull {
		return nil
	}
	return v
}

// pval is a node of a row being assembled, in the shape of the Parquet
// schema (list and map wrappers included).
type pval struct {
	set   bool          // defined: not null
	v     parquet.Value // leaves
	kids  []pval        // groups: one per child
	items []pval        // repeated nodes: one per element
}

// place puts one leaf value into the row being assembled. path runs from
// the root's child down to the leaf; idx holds the element index at each
// repetition level.
func place(root *pval, path []*node, v parquet.Value, d int, idx []int) {
	cur := root
	for _, n := range path {
		if cur.kids == nil {
			cur.kids = make([]pval, len(n.parent.children))
		}
		slot := &cur.kids[n.pos]
		if d < n.def {
			if n.rep == format.Repeated {
				slot.set = true // an empty list under a defined parent
			}
			return
		}
		slot.set = true
		if n.rep == format.Repeated {
			i := idx[n.repLevel]
			for len(slot.items) <= i {
				slot.items = append(slot.items, pval{})
			}
			slot = &slot.items[i]
			slot.set = true
		}
		if n.shape == shapeLeaf {
			slot.v = v
			return
		}
		cur = slot
	}
}

// convert turns the assembled slot p of node n into a value. A repeated
// node outside a list wrapper becomes a list of its elements.
func convert(n *node, p *pval) value {
	if p == nil || !p.set {
		return value{}
	}
	if n.rep == format.Repeated {
		out := value{kind: vList, list: make([]value, 0, len(p.items))}
		for i := range p.items {
			out.list = append(out.list, instance(n, &p.items[i]))
		}
		return out
	}
	return instance(n, p)
}

// instance converts one occurrence of node n.
func instance(n *node, p *pval) value {
	if !p.set {
		return value{}
	}
	switch n.shape {
	case shapeLeaf:
		return leafValue(n, p.v)
	case shapeList:
		out := value{kind: vList}
		if len(p.kids) == 0 || !p.kids[0].set {
			return out
		}
		rep := n.children[0]
		items := p.kids[0].items
		out.list = make([]value, 0, len(items))
		for i := range items {
			it := &items[i]
			if n.element == rep {
				out.list = append(out.list, instance(rep, it))
				continue
			}
			var el *pval
			if len(it.kids) > 0 {
				el = &it.kids[0]
			}
			out.list = append(out.list, convert(n.element, el))
		}
		return out
	case shapeMap:
		return mapValue(n, p)
	}
	out := value{kind: vObject, obj: make([]member, 0, len(n.children))}
	for i, c := range n.children {
		if i >= len(p.kids) {
			break
		}
		v := convert(c, &p.kids[i])
		if v.kind == vNull || (v.kind == vObject && len(v.obj) == 0 && c.shape == shapeObject) {
			continue
		}
		out.obj = append(out.obj, member{c.name, v})
	}
	return out
}

// mapValue converts a MAP: an object when every key is a string (OCSF's
// unmapped attributes), else a list of {"key", "value"} objects.
func mapValue(n *node, p *pval) value {
	kv := n.element
	if len(p.kids) == 0 || !p.kids[0].set {
		return value{kind: vObject}
	}
	items := p.kids[0].items
	entries := make([]member, 0, len(items))
	keyed := true
	pairs := make([]value, 0, len(items))
	for i := range items {
		it := &items[i]
		var k, v value
		if len(it.kids) > 0 {
			k = convert(kv.children[0], &it.kids[0])
		}
		if len(kv.children) > 1 && len(it.kids) > 1 {
			v = convert(kv.children[1], &it.kids[1])
		}
		if k.kind != vString {
			keyed = false
		}
		entries = append(entries, member{k.s, v})
		pairs = append(pairs, value{kind: vObject, obj: []member{{"key", k}, {"value", v}}})
	}
	if keyed {
		return value{kind: vObject, obj: entries}
	}
	return value{kind: vList, list: pairs}
}

// leafValue converts one non-null leaf value.
func leafValue(n *node, v parquet.Value) value {
	if v.IsNull() || v.Kind() != n.kind {
		return value{}
	}
	switch n.kind {
	case parquet.Boolean:
		return value{kind: vBool, b: v.Boolean()}
	case parquet.Int32, parquet.Int64:
		x, ok := intValue(n, v)
		if !ok {
			return value{kind: vFloat, f: float64(v.Uint64())}
		}
		return value{kind: vInt, i: toMillis(x, n.unit)}
	case parquet.Int96:
		return value{kind: vInt, i: int96Millis(v)}
	case parquet.Float:
		return value{kind: vFloat, f: float64(v.Float()), f32: true}
	case parquet.Double:
		return value{kind: vFloat, f: v.Double()}
	case parquet.ByteArray:
		if n.str {
			return value{kind: vString, s: string(v.ByteArray())}
		}
		return value{kind: vString, s: base64.StdEncoding.EncodeToString(v.ByteArray())}
	case parquet.FixedLenByteArray:
		return value{kind: vString, s: hex.EncodeToString(v.ByteArray())}
	}
	return value{}
}

// intValue returns an integer leaf's value; ok is false for an unsigned
// 64-bit value beyond int64.
func intValue(n *node, v parquet.Value) (int64, bool) {
	switch {
	case n.kind == parquet.Int32 && n.unsigned:
		return int64(v.Uint32()), true
	case n.kind == parquet.Int32:
		return int64(v.Int32()), true
	case n.unsigned:
		u := v.Uint64()
		return int64(u), u <= math.MaxInt64
	}
	return v.Int64(), true
}

// toMillis converts a time in the given unit to milliseconds, flooring.
func toMillis(x int64, u timeUnit) int64 {
	var div int64
	switch u {
	case unitMicros:
		div = 1e3
	case unitNanos:
		div = 1e6
	default:
		return x
	}
	q := x / div
	if x%div < 0 {
		q--
	}
	return q
}

// int96Millis converts a legacy INT96 timestamp (nanoseconds of the day,
// then the Julian day) to milliseconds since the epoch.
func int96Millis(v parquet.Value) int64 {
	b := v.Int96()
	nanos := int64(uint64(b[1])<<32 | uint64(b[0]))
	day := int64(int32(b[2]))
	const julianEpoch = 2440588
	return (day-julianEpoch)*86400000 + nanos/1e6
}

// appendJSON appends v as JSON; non-finite floats become null, and text is
// escaped the way encoding/json escapes it (HTML-safe, invalid UTF-8
// replaced), since log content is attacker-controlled.
func appendJSON(dst []byte, v *value) []byte {
	switch v.kind {
	case vBool:
		return strconv.AppendBool(dst, v.b)
	case vInt:
		return strconv.AppendInt(dst, v.i, 10)
	case vFloat:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return append(dst, "null"...)
		}
		if v.f32 {
			return strconv.AppendFloat(dst, v.f, 'g', -1, 32)
		}
		return strconv.AppendFloat(dst, v.f, 'g', -1, 64)
	case vString:
		return appendJSONString(dst, v.s)
	case vObject:
		dst = append(dst, '{')
		for i := range v.obj {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, v.obj[i].name)
			dst = append(dst, ':')
			dst = appendJSON(dst, &v.obj[i].val)
		}
		return append(dst, '}')
	case vList:
		dst = append(dst, '[')
		for i := range v.list {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, &v.list[i])
		}
		return append(dst, ']')
	}
	return append(dst, "null"...)
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// millisTime converts milliseconds since the epoch to a UTC time.
func millisTime(ms int64) time.Time {
	return time.UnixMilli(ms).UTC()
}

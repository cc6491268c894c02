package ocsf

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// shape says how a schema node's values appear in the OCSF record.
type shape uint8

const (
	shapeLeaf   shape = iota // a primitive value
	shapeObject              // a group: an object of its fields
	shapeList                // a LIST group, or a bare repeated field's container
	shapeMap                 // a MAP group
)

// timeUnit is how a leaf stores times: the number of units per millisecond
// (OCSF times are milliseconds since the epoch), or a division.
type timeUnit uint8

const (
	unitNone   timeUnit = iota // not a timestamp annotation; integers as they are
	unitMillis                 // TIMESTAMP(MILLIS)
	unitMicros                 // TIMESTAMP(MICROS)
	unitNanos                  // TIMESTAMP(NANOS)
)

// node is one element of the file's schema, with what the decoder needs to
// assemble records: levels, how to present the node, and for leaves the
// physical kind parquet-go decodes.
type node struct {
	name     string
	rep      format.FieldRepetitionType
	shape    shape
	children []*node
	parent   *node
	pos      int // position among the parent's children

	// Levels of this node, counted from the root down to and including it.
	def, repLevel int

	// Leaves only.
	leaf     int          // leaf (column) index
	kind     parquet.Kind // physical kind of the values
	str      bool         // BYTE_ARRAY annotated (or taken) as text
	unsigned bool         // integers annotated as unsigned
	unit     timeUnit
	int96    bool // legacy INT96 timestamps

	// element is, for a shapeList node, the node whose values are the
	// list's elements (the repeated node itself for two-level lists, its
	// only child for three-level ones); for a shapeMap node, the repeated
	// key_value group.
	element *node
	// path is the node's dotted name with list and map wrappers left out,
	// "src_endpoint.intermediate_ips", for errors and lookups.
	path string
	// inList is set when the node or one of its ancestors repeats.
	inList bool
}

// schema is the tree of a file's columns.
type schema struct {
	root   *node
	leaves []*node // by leaf index
}

// maxSchemaDepth bounds the nesting of a schema; OCSF nests a few levels.
const maxSchemaDepth = 64

// buildSchema reads the file's flattened schema into a tree and checks that
// parquet-go sees every leaf the same way, so that the values it returns
// can be read by the kind recorded here.
func buildSchema(elems []format.SchemaElement, cols []*parquet.Column) (*schema, error) {
	if len(elems) == 0 {
		return nil, fmt.Errorf("%w: no schema", ErrCorrupt)
	}
	s := &schema{}
	pos := 0
	var build func(parent *node, depth int) (*node, error)
	build = func(parent *node, depth int) (*node, error) {
		if pos >= len(elems) {
			return nil, fmt.Errorf("%w: schema ends early", ErrCorrupt)
		}
		if depth > maxSchemaDepth {
			return nil, fmt.Errorf("%w: schema nests deeper than %d levels", ErrCorrupt, maxSchemaDepth)
		}
		el := &elems[pos]
		pos++
		n := &node{name: el.Name, parent: parent, leaf: -1}
		if parent != nil {
			n.rep = format.Required
			if el.RepetitionType.Valid {
				n.rep = el.RepetitionType.V
			}
			n.def, n.repLevel = parent.def, parent.repLevel
			switch n.rep {
			case format.Optional:
				n.def++
			case format.Repeated:
				n.def++
				n.repLevel++
			}
		}
		if el.Type.Valid && parent != nil {
			n.shape = shapeLeaf
			n.leaf = len(s.leaves)
			s.leaves = append(s.leaves, n)
			if err := leafType(n, el); err != nil {
				return nil, err
			}
			return n, nil
		}
		count := 0
		if el.NumChildren.Valid {
			count = int(el.NumChildren.V)
		}
		if count < 0 || count > len(elems)-pos {
			return nil, fmt.Errorf("%w: inconsistent schema", ErrCorrupt)
		}
		n.shape = shapeObject
		for range count {
			c, err := build(n, depth+1)
			if err != nil {
				return nil, err
			}
			c.pos = len(n.children)
			n.children = append(n.children, c)
		}
		switch {
		case isList(el):
			n.shape = shapeList
		case isMap(el):
			n.shape = shapeMap
		}
		return n, nil
	}
	root, err := build(nil, 0)
	if err != nil {
		return nil, err
	}
	if pos != len(elems) {
		return nil, fmt.Errorf("%w: schema has %d elements after its root's children", ErrCorrupt, len(elems)-pos)
	}
	s.root = root
	if len(s.leaves) != len(cols) {
		return nil, fmt.Errorf("%w: schema has %d columns, parquet-go sees %d", ErrCorrupt, len(s.leaves), len(cols))
	}
	for i, l := range s.leaves {
		c := cols[i]
		if c.Index() != i || c.Type().Kind() != l.kind ||
			c.MaxDefinitionLevel() != l.def || c.MaxRepetitionLevel() != l.repLevel {
			return nil, fmt.Errorf("%w: column \"%s\" cannot be decoded consistently", ErrCorrupt, printable(l.name))
		}
	}
	s.resolve(root, "", false)
	return s, nil
}

// resolve settles how lists and maps present their elements, and the
// dotted paths, after the whole tree is known.
func (s *schema) resolve(n *node, path string, inList bool) {
	n.path = path
	n.inList = inList || n.rep == format.Repeated
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch n.shape {
	case shapeList:
		// A LIST group holds one repeated field. When that field is a
		// group of one field not named "array" or "<list>_tuple", it is the
		// three-level form and the element is that one field; otherwise
		// (the two-level forms older writers such as parquet-mr's Avro
		// writer use) the repeated field is the element. The rules are
		// the Parquet format's backward-compatibility rules for lists.
		if len(n.children) != 1 || n.children[0].rep != format.Repeated {
			n.shape = shapeObject
			break
		}
		rep := n.children[0]
		n.element = rep
		if rep.shape != shapeLeaf && len(rep.children) == 1 &&
			rep.name != "array" && rep.name != n.name+"_tuple" {
			n.element = rep.children[0]
		}
		s.resolve(rep, n.path, true)
		if n.element != rep {
			s.resolve(n.element, n.path, true)
		}
		return
	case shapeMap:
		if len(n.children) != 1 || n.children[0].rep != format.Repeated ||
			n.children[0].shape == shapeLeaf || len(n.children[0].children) < 1 ||
			len(n.children[0].children) > 2 {
			n.shape = shapeObject
			break
		}
		n.element = n.children[0]
		n.element.path = n.path
		n.element.inList = true
		for _, c := range n.element.children {
			s.resolve(c, n.path+"."+c.name, true)
		}
		return
	}
	for _, c := range n.children {
		if c.rep == format.Repeated && c.parent.shape == shapeObject {
			// A bare repeated field is a list of its values.
			s.resolve(c, join(c.name), true)
			continue
		}
		s.resolve(c, join(c.name), n.inList)
	}
}

func isList(el *format.SchemaElement) bool {
	if _, ok := el.LogicalType.Value.(*format.ListType); ok {
		return true
	}
	return el.ConvertedType.Valid && el.ConvertedType.V == deprecated.List
}

func isMap(el *format.SchemaElement) bool {
	if _, ok := el.LogicalType.Value.(*format.MapType); ok {
		return true
	}
	return el.ConvertedType.Valid &&
		(el.ConvertedType.V == deprecated.Map || el.ConvertedType.V == deprecated.MapKeyValue)
}

// leafType records how the values of leaf n are read.
func leafType(n *node, el *format.SchemaElement) error {
	lt := el.LogicalType.Value
	ct, hasCT := el.ConvertedType.V, el.ConvertedType.Valid
	switch el.Type.V {
	case format.Boolean:
		n.kind = parquet.Boolean
	case format.Int32, format.Int64:
		n.kind = parquet.Int32
		if el.Type.V == format.Int64 {
			n.kind = parquet.Int64
		}
		switch t := lt.(type) {
		case *format.IntType:
			n.unsigned = !t.IsSigned
		case *format.TimestampType:
			switch t.Unit.Value.(type) {
			case *format.MilliSeconds:
				n.unit = unitMillis
			case *format.MicroSeconds:
				n.unit = unitMicros
			case *format.NanoSeconds:
				n.unit = unitNanos
			}
		case nil:
			switch {
			case !hasCT:
			case ct >= deprecated.Uint8 && ct <= deprecated.Uint64:
				n.unsigned = true
			case ct == deprecated.TimestampMillis:
				n.unit = unitMillis
			case ct == deprecated.TimestampMicros:
				n.unit = unitMicros
			}
		}
	case format.Int96:
		n.kind = parquet.Int96
		n.int96 = true
	case format.Float:
		n.kind = parquet.Float
	case format.Double:
		n.kind = parquet.Double
	case format.ByteArray:
		n.kind = parquet.ByteArray
		n.str = true
		switch lt.(type) {
		case nil:
			if hasCT && ct != deprecated.UTF8 && ct != deprecated.Enum && ct != deprecated.Json {
				n.str = false
			}
		case *format.StringType, *format.EnumType, *format.JsonType:
		default:
			n.str = false
		}
	case format.FixedLenByteArray:
		n.kind = parquet.FixedLenByteArray
	default:
		return fmt.Errorf("%w: column \"%s\" has unknown physical type %d", ErrCorrupt, printable(el.Name), int32(el.Type.V))
	}
	return nil
}

// lookup returns the node at a dotted path of object fields, or nil.
func (s *schema) lookup(path string) *node {
	n := s.root
	for name := range strings.SplitSeq(path, ".") {
		var next *node
		if n.shape != shapeObject {
			return nil
		}
		for _, c := range n.children {
			if c.name == name {
				next = c
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// describe names a node's type for error messages.
func (n *node) describe() string {
	var s string
	switch n.shape {
	case shapeObject:
		s = "a group"
	case shapeList:
		s = "a list"
	case shapeMap:
		s = "a map"
	default:
		switch {
		case n.kind == parquet.ByteArray && n.str:
			s = "STRING"
		case n.unit != unitNone:
			s = n.kind.String() + " (TIMESTAMP)"
		default:
			s = n.kind.String()
		}
	}
	if n.rep == format.Repeated {
		s = "repeated " + s
	}
	return s
}

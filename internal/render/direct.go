package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"text/template/parse"
)

// The direct path.
//
// Executing a template with text/template calls every function of a pipeline
// through reflection: html/template's escapers, pacerValue and the value
// functions of the fast text template. For a campaign template that is only
// text and actions such as {{ .Subscriber.Attribs.city }}, that is most of
// the cost of a render. So Compile turns each such template into a program: a
// list of static byte chunks and steps that read a field of Data and pass it
// through a chain of escapers written in Go. The program writes the same bytes
// as text/template without reflection.
//
// compileDirect accepts a parse tree whose root holds only text nodes and
// actions of the form
//
//	{{ .Field.Path | f1 | f2 ... }}
//
// where the path is a field of Data, or a key under .Subscriber.Attribs, and
// each fi is pacerValue or one of the functions whose output a program
// reproduces: html/template's HTML, attribute, RCDATA, comment and URL
// escapers, and the value functions of the fast text template. Any other node
// or function keeps the whole template on text/template.
//
// A value is converted to text as both packages do for the types that
// subscriber attributes decoded from JSON have: string, float64, bool, nil,
// []any and map[string]any, and the int and int64 fields of Data. Slices and
// maps go through fmt, as they do in both packages. For any other dynamic
// type, a nil value printed without pacerValue, or a nested key under a value
// that is not a map[string]any, the program stops and that render runs on
// text/template.
//
// The escapers are exact for plain strings. html/template's HTML, attribute
// and RCDATA escapers replace NUL, '"', '&', '\'', '+', '<' and '>' and keep
// every other byte, invalid UTF-8 included, because these escapers keep
// runes outside their table. They differ only for html/template's typed
// strings, which the program never passes on. As a guard, the first
// directCheckFirst renders of a template and one in directCheckEvery after
// that also run text/template and compare the output. The first mismatch
// switches that template to text/template for good.
//
// NOTE: the escapers reproduce html/template of Go 1.26.
// TestDirectEscapersMatchHTMLTemplate fails if a later Go changes them.

const (
	// directCheckFirst is how many renders of a template compare the program
	// with text/template before sampling starts.
	directCheckFirst = 32
	// directCheckEvery sets how often later renders compare both outputs.
	directCheckEvery = 512
)

// Names of html/template's escapers that a program reproduces, besides those
// that fasttext.go names.
const (
	escRCDATA = "_html_template_rcdataescaper"
)

// executor is a text/template or html/template template.
type executor interface {
	Execute(w io.Writer, data any) error
}

// directTemplate renders one template by its program where possible and by
// text/template otherwise. It is safe for concurrent use.
type directTemplate struct {
	slow executor
	prog *program // nil when the template does not fit a program

	checkFirst uint64
	checkEvery uint64
	renders    atomic.Uint64
	disabled   atomic.Bool // set when a checked render disagreed with text/template
}

// newDirectTemplate compiles tree, which slow executes, for the direct path
// with the functions in escapers. The tree must not change afterwards.
func newDirectTemplate(slow executor, tree *parse.Tree, escapers map[string]escaper) *directTemplate {
	return &directTemplate{
		slow:       slow,
		prog:       compileDirect(tree, escapers),
		checkFirst: directCheckFirst,
		checkEvery: directCheckEvery,
	}
}

// execute appends the output of the template for data to out. On an error,
// out holds what text/template wrote before it failed.
func (t *directTemplate) execute(out *bytes.Buffer, data *Data) error {
	if t.prog == nil || t.disabled.Load() {
		return t.slow.Execute(out, *data)
	}
	start := out.Len()
	if err := t.prog.run(out, data); err != nil {
		out.Truncate(start)
		return t.slow.Execute(out, *data)
	}
	if !t.check() {
		return nil
	}
	want := eventBuffers.Get().(*bytes.Buffer)
	defer eventBuffers.Put(want)
	want.Reset()
	err := t.slow.Execute(want, *data)
	if err == nil && bytes.Equal(want.Bytes(), out.Bytes()[start:]) {
		return nil
	}
	t.disabled.Store(true)
	out.Truncate(start)
	out.Write(want.Bytes())
	return err
}

// check reports whether this render should be compared with text/template.
func (t *directTemplate) check() bool {
	n := t.renders.Add(1)
	return n <= t.checkFirst || n%t.checkEvery == 0
}

// program is a compiled template: static chunks and value steps in order.
type program struct {
	steps []step
}

// step writes text and then, when get is not nil, a value.
type step struct {
	text []byte
	get  getter
	// orEmpty is set when the pipeline pipes the value through pacerValue,
	// which turns nil into "".
	orEmpty  bool
	escapers []escaper
}

// getter reads a field of data. It returns ok false when the value cannot be
// reached without text/template, such as a key under a string attribute.
type getter func(data *Data) (v value, ok bool)

// value is a field's value. Attribute values are kept in dynamic. The other
// fields set str or num, which avoids converting them to an interface.
type value struct {
	kind    valueKind
	str     string
	num     int64
	dynamic any
}

type valueKind uint8

const (
	kindDynamic valueKind = iota // dynamic holds the value, and nil is a missing or null attribute
	kindString
	kindInt
)

// escaper appends the escaped form of src to dst. An error stops the
// program, and the render runs on text/template.
type escaper func(dst, src []byte) ([]byte, error)

// errDirectFallback stops a program for a value it does not convert.
var errDirectFallback = errors.New("render: value not supported by the direct path")

// directScratch holds the buffers an escaper chain alternates between.
type directScratch struct{ a, b []byte }

var directScratches = sync.Pool{New: func() any { return new(directScratch) }}

// run appends the program's output for data to out.
func (p *program) run(out *bytes.Buffer, data *Data) error {
	var scratch *directScratch
	defer func() {
		if scratch != nil {
			directScratches.Put(scratch)
		}
	}()
	for i := range p.steps {
		st := &p.steps[i]
		out.Write(st.text)
		if st.get == nil {
			continue
		}
		v, ok := st.get(data)
		if !ok {
			return errDirectFallback
		}
		if len(st.escapers) == 0 {
			// text/template prints a nil value without pacerValue as
			// "<no value>", so that render is left to text/template.
			if v.kind == kindDynamic && v.dynamic == nil && !st.orEmpty {
				return errDirectFallback
			}
			b, ok := appendValue(out.AvailableBuffer(), v)
			if !ok {
				return errDirectFallback
			}
			out.Write(b)
			continue
		}
		if scratch == nil {
			scratch = directScratches.Get().(*directScratch)
		}
		src, ok := appendValue(scratch.a[:0], v)
		if !ok {
			return errDirectFallback
		}
		dst := scratch.b
		for _, esc := range st.escapers {
			var err error
			if dst, err = esc(dst[:0], src); err != nil {
				return err
			}
			src, dst = dst, src
		}
		out.Write(src)
		scratch.a, scratch.b = src, dst
	}
	return nil
}

// appendValue appends v as text/template prints it and as html/template's
// escapers stringify it, which agree for the types handled here. A nil
// value appends nothing. It returns ok false for other types.
func appendValue(dst []byte, v value) ([]byte, bool) {
	switch v.kind {
	case kindString:
		return append(dst, v.str...), true
	case kindInt:
		return strconv.AppendInt(dst, v.num, 10), true
	}
	switch x := v.dynamic.(type) {
	case nil:
		return dst, true
	case string:
		return append(dst, x...), true
	case float64:
		// fmt's %v of a float64 is %g with the shortest precision.
		return strconv.AppendFloat(dst, x, 'g', -1, 64), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case []any, map[string]any:
		// Both packages print these with fmt.Fprint or fmt.Sprint.
		return fmt.Append(dst, x), true
	}
	return dst, false
}

// compileDirect returns the program for tree, or nil when the tree has a
// node or function the program does not reproduce. escapers maps the
// function names the tree may call, other than pacerValue, to their Go
// versions.
func compileDirect(tree *parse.Tree, escapers map[string]escaper) *program {
	if tree == nil || tree.Root == nil {
		return nil
	}
	p := &program{}
	var text []byte
	for _, n := range tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			text = append(text, n.Text...)
		case *parse.ActionNode:
			st, ok := compileAction(n.Pipe, escapers)
			if !ok {
				return nil
			}
			st.text = text
			text = nil
			p.steps = append(p.steps, st)
		default:
			return nil
		}
	}
	if len(text) > 0 {
		p.steps = append(p.steps, step{text: text})
	}
	return p
}

// compileAction returns the step for an action's pipeline, or ok false.
func compileAction(pipe *parse.PipeNode, escapers map[string]escaper) (st step, ok bool) {
	if pipe == nil || pipe.IsAssign || len(pipe.Decl) > 0 || len(pipe.Cmds) == 0 {
		return step{}, false
	}
	first := pipe.Cmds[0]
	if len(first.Args) != 1 {
		return step{}, false
	}
	field, isField := first.Args[0].(*parse.FieldNode)
	if !isField {
		return step{}, false
	}
	if st.get = fieldGetter(field.Ident); st.get == nil {
		return step{}, false
	}
	for _, cmd := range pipe.Cmds[1:] {
		if len(cmd.Args) != 1 {
			return step{}, false
		}
		id, isIdent := cmd.Args[0].(*parse.IdentifierNode)
		if !isIdent {
			return step{}, false
		}
		if id.Ident == valueFunc {
			// After an escaper the value is a string, which pacerValue
			// returns unchanged.
			if len(st.escapers) == 0 {
				st.orEmpty = true
			}
			continue
		}
		esc := escapers[id.Ident]
		if esc == nil {
			return step{}, false
		}
		st.escapers = append(st.escapers, esc)
	}
	return st, true
}

// fieldGetter returns the getter for a field path of Data, or nil for a path
// it does not support.
func fieldGetter(path []string) getter {
	switch len(path) {
	case 1:
		if path[0] == "UnsubscribeURL" {
			return func(d *Data) (value, bool) { return value{kind: kindString, str: d.UnsubscribeURL}, true }
		}
	case 2:
		switch path[0] + "." + path[1] {
		case "Subscriber.ID":
			return func(d *Data) (value, bool) { return value{kind: kindInt, num: d.Subscriber.ID}, true }
		case "Subscriber.Email":
			return func(d *Data) (value, bool) { return value{kind: kindString, str: d.Subscriber.Email}, true }
		case "Subscriber.Name":
			return func(d *Data) (value, bool) { return value{kind: kindString, str: d.Subscriber.Name}, true }
		case "Subscriber.Attribs":
			return func(d *Data) (value, bool) { return value{dynamic: d.Subscriber.Attribs}, true }
		case "Campaign.ID":
			return func(d *Data) (value, bool) { return value{kind: kindInt, num: d.Campaign.ID}, true }
		case "Campaign.Name":
			return func(d *Data) (value, bool) { return value{kind: kindString, str: d.Campaign.Name}, true }
		}
	}
	if len(path) < 3 || path[0] != "Subscriber" || path[1] != "Attribs" {
		return nil
	}
	keys := path[2:]
	if len(keys) == 1 {
		key := keys[0]
		return func(d *Data) (value, bool) { return value{dynamic: d.Subscriber.Attribs[key]}, true }
	}
	return func(d *Data) (value, bool) { return attribute(d.Subscriber.Attribs, keys) }
}

// attribute looks up a path of keys in nested attributes. A missing key
// anywhere yields nil, as text/template yields no value. A key under a value
// that is not a map[string]any, nil included, is an error in text/template
// or a lookup this function does not reproduce, so it returns ok false.
func attribute(attribs map[string]any, keys []string) (value, bool) {
	m := attribs
	for i, key := range keys {
		v, found := m[key]
		if !found {
			return value{}, true
		}
		if i == len(keys)-1 {
			return value{dynamic: v}, true
		}
		next, isMap := v.(map[string]any)
		if !isMap {
			return value{}, false
		}
		m = next
	}
	return value{}, true
}

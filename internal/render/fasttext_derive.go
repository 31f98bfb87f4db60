package render

import (
	"fmt"
	htmltemplate "html/template"
	"io"
	"slices"
	"strings"
	"text/template/parse"

	"golang.org/x/net/html"
)

// slotKind is the place where the tokenizer found the marker of a slot.
type slotKind int

const (
	slotNotFound  slotKind = iota
	slotText               // a text run of the document
	slotSkipped            // the raw text of <style>, <title> or <noscript>
	slotHref               // the href that the converter reads from an <a>
	slotAlt                // the alt that the converter reads from an <img>
	slotOtherAttr          // an attribute value the converter does not read
)

// slot is a node of the escaped HTML tree other than text: an action, or
// the start, {{ else }} or {{ end }} of a branch.
type slot struct {
	list   *parse.ListNode
	index  int
	action *parse.ActionNode // nil for control nodes
	chain  []string          // html/template's escapers of an output action
	kind   slotKind
}

type textSlot struct {
	node    *parse.TextNode
	segment int // number of slots before the node
}

// deriver builds a fastText from an escaped HTML template.
type deriver struct {
	src      strings.Builder // the HTML with a marker for each slot
	slots    []slot
	texts    []textSlot
	segments [][]byte // events between slot markers, by number of slots before
	seen     int      // markers met so far by the tokenizer
	names    map[string]int
	f        *fastText
}

// rawTextTags are the elements whose content the tokenizer reads as raw text
// or RCDATA.
var rawTextTags = map[string]bool{"iframe": true, "noembed": true, "noframes": true,
	"noscript": true, "plaintext": true, "script": true, "style": true, "textarea": true,
	"title": true, "xmp": true}

// skippedRawTags are raw text elements whose content the converter drops and
// whose values html/template escapes so that they cannot end the element.
var skippedRawTags = map[string]bool{"noscript": true, "style": true, "title": true}

// deriveFastText returns the fast text path for ht, which must have been
// executed once so that html/template has escaped it. The error gives the
// reason the campaign stays on the slow path.
func deriveFastText(ht *htmltemplate.Template) (*fastText, error) {
	if ht == nil || ht.Tree == nil || ht.Tree.Root == nil {
		return nil, fmt.Errorf("no escaped HTML template")
	}
	tree := ht.Tree.Copy()
	d := &deriver{names: map[string]int{}, f: &fastText{checkFirst: fastCheckFirst, checkEvery: fastCheckEvery}}
	if err := d.walk(tree.Root); err != nil {
		return nil, err
	}
	d.segments = make([][]byte, len(d.slots)+1)
	if err := d.tokenize(d.src.String()); err != nil {
		return nil, err
	}
	if err := d.checkSlots(); err != nil {
		return nil, err
	}
	if err := d.rewrite(); err != nil {
		return nil, err
	}
	tmpl, err := newFastTemplate(tree)
	if err != nil {
		return nil, err
	}
	d.f.tmpl = tmpl
	d.f.events = newDirectTemplate(tmpl, tmpl.Tree, fastEscapers)
	return d.f, nil
}

// walk writes the source of l with markers in place of its slots.
func (d *deriver) walk(l *parse.ListNode) error {
	if l == nil {
		return nil
	}
	for i, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			d.texts = append(d.texts, textSlot{node: n, segment: len(d.slots)})
			d.src.Write(n.Text)
		case *parse.ActionNode:
			s := slot{list: l, index: i, action: n}
			if len(n.Pipe.Decl) == 0 {
				chain, ok := escaperChain(n.Pipe)
				if !ok {
					return fmt.Errorf("action %s has an escaper chain the text path does not know", n)
				}
				s.chain = chain
			}
			if err := d.addSlot(s); err != nil {
				return err
			}
		case *parse.IfNode:
			if err := d.branch(&n.BranchNode); err != nil {
				return err
			}
		case *parse.RangeNode:
			if err := d.branch(&n.BranchNode); err != nil {
				return err
			}
		case *parse.WithNode:
			if err := d.branch(&n.BranchNode); err != nil {
				return err
			}
		case *parse.BreakNode, *parse.ContinueNode:
			if err := d.addSlot(slot{}); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s is not supported by the text path", n)
		}
	}
	return nil
}

func (d *deriver) branch(b *parse.BranchNode) error {
	if err := d.addSlot(slot{}); err != nil {
		return err
	}
	if err := d.walk(b.List); err != nil {
		return err
	}
	if b.ElseList != nil {
		if err := d.addSlot(slot{}); err != nil {
			return err
		}
		if err := d.walk(b.ElseList); err != nil {
			return err
		}
	}
	return d.addSlot(slot{})
}

// addSlot writes the marker of s. A slot right after '<' or inside an entity
// is rejected, because the value or branch that follows could turn either
// into something else.
func (d *deriver) addSlot(s slot) error {
	before := d.src.String()
	i := len(before)
	for i > 0 && isEntityByte(before[i-1]) {
		i--
	}
	if i > 0 && before[i-1] == '&' {
		return fmt.Errorf("an action follows an unfinished entity %q", before[i-1:])
	}
	if strings.HasSuffix(before, "<") {
		return fmt.Errorf("an action follows '<'")
	}
	d.src.WriteString(markerFor(len(d.slots)))
	d.slots = append(d.slots, s)
	return nil
}

func isEntityByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '#'
}

// escaperChain returns the escapers that html/template appended to an
// output action, or ok false when the pipeline has a form the text path
// does not reproduce.
func escaperChain(p *parse.PipeNode) (chain []string, ok bool) {
	i := len(p.Cmds)
	for i > 0 && escaperName(p.Cmds[i-1]) != "" {
		i--
	}
	if i == 0 || i == len(p.Cmds) {
		return nil, false
	}
	for _, cmd := range p.Cmds[:i] {
		for _, arg := range cmd.Args {
			if id, isIdent := arg.(*parse.IdentifierNode); isIdent {
				switch {
				case id.Ident == "html", id.Ident == "urlquery", id.Ident == "_eval_args_",
					strings.HasPrefix(id.Ident, "_html_template_"):
					return nil, false
				}
			}
		}
	}
	for _, cmd := range p.Cmds[i:] {
		chain = append(chain, escaperName(cmd))
	}
	return chain, true
}

func escaperName(cmd *parse.CommandNode) string {
	if len(cmd.Args) != 1 {
		return ""
	}
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok || !strings.HasPrefix(id.Ident, "_html_template_") {
		return ""
	}
	return id.Ident
}

// tokenize runs the tokenizer that writeText uses over the marked source and
// records its tokens as events.
func (d *deriver) tokenize(src string) error {
	z := html.NewTokenizer(strings.NewReader(src))
	rawTag := ""
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				return z.Err()
			}
			break
		}
		raw := string(z.Raw())
		inRaw := rawTag
		rawTag = ""
		var err error
		switch tt {
		case html.TextToken:
			err = d.textToken(raw, string(z.Text()), inRaw)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if rawTextTags[tag] {
				rawTag = tag
			}
			var attrs []html.Attribute
			for more := hasAttr; more; {
				var k, v []byte
				k, v, more = z.TagAttr()
				attrs = append(attrs, html.Attribute{Key: string(k), Val: string(v)})
			}
			err = d.startTag(raw, tag, hasAttr, attrs, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			if hasMarker(raw) {
				return fmt.Errorf("an action is inside an end tag")
			}
			name, _ := z.TagName()
			d.emit(evEndTag, d.name(internTag(name)))
		default:
			if hasMarker(raw) {
				return fmt.Errorf("an action is inside a comment or doctype")
			}
			d.emit(evBoundary, 0)
		}
		if err != nil {
			return err
		}
	}
	if d.seen != len(d.slots) {
		return fmt.Errorf("the action or branch %d is not in a text run or attribute value", d.seen)
	}
	return nil
}

func hasMarker(s string) bool {
	return strings.Contains(s, markerStart) || strings.Contains(s, markerEnd)
}

func (d *deriver) textToken(raw, text, inRaw string) error {
	rawPieces, rawSlots, ok := splitMarkers(raw)
	pieces, slotIDs, ok2 := splitMarkers(text)
	if !ok || !ok2 || !slices.Equal(rawSlots, slotIDs) {
		return fmt.Errorf("an action in text is not delimited as expected")
	}
	kind := slotText
	if inRaw != "" {
		kind = slotSkipped
	}
	for i, piece := range pieces {
		if i > 0 {
			if inRaw != "" && !skippedRawTags[inRaw] {
				return fmt.Errorf("an action is inside <%s>", inRaw)
			}
			if err := d.marker(slotIDs[i-1], kind); err != nil {
				return err
			}
		}
		if piece != "" {
			d.f.statics = append(d.f.statics, newStaticText(piece, rawPieces[i]))
			d.emit(evText, len(d.f.statics)-1)
		}
	}
	return nil
}

// startTag records a start tag with the attributes readAttrs would return
// for it, and the events of a dynamic href or alt.
func (d *deriver) startTag(raw, name string, hasAttr bool, attrs []html.Attribute, selfClosing bool) error {
	if hasMarker(name) {
		return fmt.Errorf("an action is inside a tag name")
	}
	styled := strings.Contains(raw, "style") || strings.Contains(raw, "STYLE")
	read := hasAttr && (styled || name == "a" || name == "img")
	hrefAt, altAt, hasStyle := -1, -1, false
	for i, a := range attrs {
		if hasMarker(a.Key) {
			return fmt.Errorf("an action is inside an attribute name of <%s>", name)
		}
		switch a.Key {
		case "href":
			hrefAt = i
		case "alt":
			altAt = i
		case "style":
			hasStyle = true
			if hasMarker(a.Val) {
				return fmt.Errorf("an action is inside a style attribute")
			}
		}
	}
	// A value containing "style" makes writeText read the attributes of a tag
	// it would otherwise skip.
	if hasMarker(raw) && !read && hasStyle {
		return fmt.Errorf("an action is in a tag whose style attribute writeText may skip")
	}

	tag := staticTag{name: internTag([]byte(name)), selfClosing: selfClosing}
	for i, a := range attrs {
		pieces, slotIDs, ok := splitMarkers(a.Val)
		if !ok {
			return fmt.Errorf("an action in an attribute of <%s> is not in a quoted value", name)
		}

		kind := slotOtherAttr
		switch {
		case read && name == "a" && i == hrefAt:
			kind = slotHref
			tag.dynamicHref = len(slotIDs) > 0
		case read && name == "img" && i == altAt:
			kind = slotAlt
			tag.dynamicAlt = len(slotIDs) > 0
			if err := checkAltPieces(pieces); err != nil {
				return err
			}
		}

		for j, piece := range pieces {
			if j > 0 {
				if err := d.marker(slotIDs[j-1], kind); err != nil {
					return err
				}
			}
			switch {
			case piece == "" || len(slotIDs) == 0:
			case kind == slotHref:
				d.emit(evHrefText, d.name(piece))
			case kind == slotAlt:
				d.emit(evAltText, d.name(piece))
			}
		}

		if read && len(slotIDs) == 0 {
			switch a.Key {
			case "href":
				tag.attrs.href = strings.TrimSpace(a.Val)
			case "alt":
				tag.attrs.alt = a.Val
			case "style":
				tag.attrs.hidden = isHidden([]byte(a.Val))
			}
		}
	}

	d.f.tags = append(d.f.tags, tag)
	d.emit(evTag, len(d.f.tags)-1)
	return nil
}

// checkAltPieces rejects line breaks next to a value in an alt attribute. The
// tokenizer turns "\r\n" into "\n" across the whole attribute, and the
// decoded static pieces no longer show whether a '\r' was there.
func checkAltPieces(pieces []string) error {
	for j, piece := range pieces {
		if j > 0 && strings.HasPrefix(piece, "\n") || j < len(pieces)-1 && strings.HasSuffix(piece, "\n") {
			return fmt.Errorf("a line break is next to an action in an alt attribute")
		}
	}
	return nil
}

// marker records where the tokenizer found the marker of slot id.
func (d *deriver) marker(id int, kind slotKind) error {
	if id != d.seen || id >= len(d.slots) {
		return fmt.Errorf("the marker of action %d is out of order", id)
	}
	d.slots[id].kind = kind
	d.seen++
	return nil
}

func (d *deriver) emit(code byte, n int) {
	d.segments[d.seen] = appendEvent(d.segments[d.seen], code, n)
}

func (d *deriver) name(s string) int {
	if i, ok := d.names[s]; ok {
		return i
	}
	d.f.names = append(d.f.names, s)
	d.names[s] = len(d.f.names) - 1
	return len(d.f.names) - 1
}

// hrefChains maps html/template's escaper chains in an href to the function
// that reproduces their decoded output.
var hrefChains = map[string]string{
	escURLFilter + " " + escURLNormalizer + " " + escAttr: fnURL,
	escURLNormalizer + " " + escAttr:                      fnURLNorm,
	escURLEscaper + " " + escAttr:                         fnURLEscape,
}

// checkSlots checks that each slot is somewhere its escaping is reproduced.
func (d *deriver) checkSlots() error {
	for i, s := range d.slots {
		chain := strings.Join(s.chain, " ")
		if s.chain == nil {
			if s.kind != slotText {
				return fmt.Errorf("a branch or variable declaration (slot %d) is not in a text run", i)
			}
			continue
		}
		if chain == escComment {
			// The action was inside a comment that html/template removed,
			// and it writes nothing.
			continue
		}
		ok := false
		switch s.kind {
		case slotText:
			ok = chain == escHTML
		case slotSkipped:
			ok = true
		case slotHref:
			ok = hrefChains[chain] != ""
		case slotAlt:
			ok = chain == escAttr
		case slotOtherAttr:
			ok = s.chain[len(s.chain)-1] == escAttr
		}
		if !ok {
			return fmt.Errorf("action %s has escapers %q where the text path does not reproduce them", s.action, chain)
		}
	}
	return nil
}

// rewrite turns the tree into the derived template: text nodes hold events,
// and output actions end in a function that emits their value's event.
func (d *deriver) rewrite() error {
	used := make([]bool, len(d.segments))
	for _, ts := range d.texts {
		if used[ts.segment] {
			ts.node.Text = nil
			continue
		}
		ts.node.Text = d.segments[ts.segment]
		used[ts.segment] = true
	}
	for i, seg := range d.segments {
		if len(seg) > 0 && !used[i] {
			return fmt.Errorf("events between actions without text between them")
		}
	}
	for _, s := range d.slots {
		if s.chain == nil {
			continue
		}
		fn := ""
		if strings.Join(s.chain, " ") == escComment {
			s.list.Nodes[s.index] = eventNode(s.action.Pos, nil)
			continue
		}
		switch s.kind {
		case slotText:
			fn = fnText
		case slotHref:
			fn = hrefChains[strings.Join(s.chain, " ")]
		case slotAlt:
			fn = fnAlt
		case slotSkipped:
			s.list.Nodes[s.index] = eventNode(s.action.Pos, appendEvent(nil, evSkipped, 0))
			continue
		default:
			s.list.Nodes[s.index] = eventNode(s.action.Pos, nil)
			continue
		}
		p := s.action.Pipe
		keep := len(p.Cmds) - len(s.chain)
		id := parse.NewIdentifier(fn).SetPos(p.Pos)
		call := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: p.Pos, Args: []parse.Node{id}}
		p.Cmds = append(p.Cmds[:keep:keep], call)
	}
	return nil
}

func eventNode(pos parse.Pos, events []byte) *parse.TextNode {
	return &parse.TextNode{NodeType: parse.NodeText, Pos: pos, Text: events}
}

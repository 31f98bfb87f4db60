// Package render compiles a campaign's templates once and renders them for
// each subscriber.
//
// A campaign has three templates in Go template syntax: the subject, the HTML
// body and an optional plain-text body. They see a [Data] value, so authors
// write {{ .Subscriber.Name }}, {{ .Subscriber.Attribs.city }},
// {{ .Campaign.Name }} and {{ .UnsubscribeURL }}.
//
// The subject and the text body use text/template: they are never HTML
// escaped, so "M'eating" stays M'eating in a header. The HTML body uses
// html/template and is escaped for its context. A missing attribute renders
// as the empty string in all three, never as "<no value>". When the text
// template is empty, the text body is generated from the rendered HTML with
// [HTMLToText].
package render

import (
	"bytes"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// Names of the three templates of a campaign, as used in errors.
const (
	PartSubject = "subject"
	PartHTML    = "html"
	PartText    = "text"
)

// Data contains the values a template can use for one subscriber.
type Data struct {
	Subscriber     Subscriber
	Campaign       Campaign
	UnsubscribeURL string
}

// Subscriber contains the subscriber fields a template can use.
type Subscriber struct {
	ID    int64
	Email string
	Name  string
	// Attribs are the subscriber's free-form attributes, decoded from JSON.
	Attribs map[string]any
}

// Campaign contains the campaign fields a template can use.
type Campaign struct {
	ID   int64
	Name string
}

// Template is a compiled campaign. It is safe for concurrent use.
type Template struct {
	subject *texttemplate.Template
	html    *htmltemplate.Template // nil for a text-only campaign
	text    *texttemplate.Template // nil when the text is generated from the HTML
	// fast makes the generated text without tokenizing the rendered HTML. It
	// is nil when there is a text template or the HTML template does not
	// allow it; see fasttext.go.
	fast *fastText
	// The direct paths of the three templates, which render them without
	// reflection where they allow it; see direct.go. htmlDirect and
	// textDirect are nil when the template is.
	subjectDirect, htmlDirect, textDirect *directTemplate
}

// Rendered is one subscriber's subject and bodies.
type Rendered struct {
	Subject string
	HTML    string
	Text    string
}

// Buffers receive a rendering. Reusing one Buffers value across calls to
// [Template.RenderTo] avoids allocating the bodies again for every subscriber.
type Buffers struct {
	Subject bytes.Buffer
	HTML    bytes.Buffer
	Text    bytes.Buffer
}

// Compile parses the three templates of a campaign. The HTML or the text
// template may be empty, but not both; the subject may not be empty. A
// failure is reported as a *[CompileError] that names the template, the
// line and a fix.
func Compile(subject, html, text string) (*Template, error) {
	if isBlank(subject) {
		return nil, &CompileError{Part: PartSubject, Problem: "the subject is empty",
			Fix: "write a subject; mailbox providers treat mail without one as suspicious"}
	}
	if isBlank(html) && isBlank(text) {
		return nil, &CompileError{Part: PartHTML, Problem: "both bodies are empty",
			Fix: "write an HTML body, a text body or both"}
	}
	t := &Template{}
	var err error
	if t.subject, err = parseText(PartSubject, subject); err != nil {
		return nil, err
	}
	if !isBlank(html) {
		if t.html, err = parseHTML(html); err != nil {
			return nil, err
		}
	}
	if !isBlank(text) {
		if t.text, err = parseText(PartText, text); err != nil {
			return nil, err
		}
	}
	if err := t.check(subject, html, text); err != nil {
		return nil, err
	}
	// check has executed the HTML template, so its tree is escaped now and
	// shows the escapers of each action.
	t.subjectDirect = newDirectTemplate(t.subject, t.subject.Tree, nil)
	if t.html != nil {
		t.htmlDirect = newDirectTemplate(t.html, t.html.Tree, htmlEscapers)
	}
	if t.text != nil {
		t.textDirect = newDirectTemplate(t.text, t.text.Tree, nil)
	}
	if t.html != nil && t.text == nil {
		// An error leaves the campaign on the slow path, which is correct
		// for every template.
		t.fast, _ = deriveFastText(t.html)
	}
	return t, nil
}

// HasHTML reports whether the campaign has an HTML body.
func (t *Template) HasHTML() bool { return t.html != nil }

// Render renders the campaign for one subscriber.
func (t *Template) Render(data Data) (Rendered, error) {
	var b Buffers
	if err := t.RenderTo(&b, data); err != nil {
		return Rendered{}, err
	}
	return Rendered{Subject: b.Subject.String(), HTML: b.HTML.String(), Text: b.Text.String()}, nil
}

// RenderTo renders the campaign for one subscriber into b, which is reset
// first. The subject is reduced to one line: runs of white space, including
// line breaks, become one space. Without a text template, b.Text is made from
// the rendered HTML. A text-only campaign leaves b.HTML empty.
func (t *Template) RenderTo(b *Buffers, data Data) error {
	b.Subject.Reset()
	b.HTML.Reset()
	b.Text.Reset()
	if err := t.subjectDirect.execute(&b.Subject, &data); err != nil {
		return renderError(PartSubject, err)
	}
	oneLine(&b.Subject)
	if t.html != nil {
		if err := t.htmlDirect.execute(&b.HTML, &data); err != nil {
			return renderError(PartHTML, err)
		}
	}
	if t.text != nil {
		if err := t.textDirect.execute(&b.Text, &data); err != nil {
			return renderError(PartText, err)
		}
		return nil
	}
	t.writeText(b, data)
	return nil
}

// writeText writes the text made from b.HTML to b.Text, by the fast path
// where possible. Some renders compute both and compare them, and the first
// mismatch moves the Template to the slow path for good.
func (t *Template) writeText(b *Buffers, data Data) {
	f := t.fast
	if f == nil || f.disabled.Load() {
		writeText(&b.Text, bytes.NewReader(b.HTML.Bytes()))
		return
	}
	if err := f.render(&b.Text, data); err != nil {
		b.Text.Reset()
		writeText(&b.Text, bytes.NewReader(b.HTML.Bytes()))
		return
	}
	if !f.check() {
		return
	}
	slow := eventBuffers.Get().(*bytes.Buffer)
	defer eventBuffers.Put(slow)
	slow.Reset()
	writeText(slow, bytes.NewReader(b.HTML.Bytes()))
	if !bytes.Equal(slow.Bytes(), b.Text.Bytes()) {
		f.disabled.Store(true)
		b.Text.Reset()
		b.Text.Write(slow.Bytes())
	}
}

func parseText(name, src string) (*texttemplate.Template, error) {
	t, err := texttemplate.New(name).Funcs(texttemplate.FuncMap(funcs)).Parse(src)
	if err != nil {
		return nil, compileError(name, src, err)
	}
	for _, tt := range t.Templates() {
		emptyMissing(tt.Tree, true)
	}
	return t, nil
}

func parseHTML(src string) (*htmltemplate.Template, error) {
	t, err := htmltemplate.New(PartHTML).Funcs(htmltemplate.FuncMap(funcs)).Parse(src)
	if err != nil {
		return nil, compileError(PartHTML, src, err)
	}
	// html/template already prints a missing value as "", so only the
	// arguments of function calls need the rewrite.
	for _, ht := range t.Templates() {
		emptyMissing(ht.Tree, false)
	}
	return t, nil
}

// check renders each template once for a subscriber without attributes. It
// catches misspelt fields and HTML contexts that html/template cannot escape,
// which Go reports only on execution. Other execution errors depend on the
// subscriber's attributes and are left to Render.
func (t *Template) check(subject, html, text string) error {
	data := Data{
		Subscriber:     Subscriber{Attribs: map[string]any{}},
		UnsubscribeURL: "https://example.invalid/u/token",
	}
	var b bytes.Buffer
	if err := t.subject.Execute(&b, data); isStructural(err) {
		return compileError(PartSubject, subject, err)
	}
	if t.html != nil {
		if err := t.html.Execute(&b, data); isStructural(err) {
			return compileError(PartHTML, html, err)
		}
	}
	if t.text != nil {
		if err := t.text.Execute(&b, data); isStructural(err) {
			return compileError(PartText, text, err)
		}
	}
	return nil
}

// oneLine collapses white space in b to single spaces and trims both ends.
func oneLine(b *bytes.Buffer) {
	src := b.Bytes()
	out := src[:0]
	space := false
	for _, c := range src {
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' {
			space = len(out) > 0
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, c)
	}
	b.Truncate(len(out))
}

func isBlank(s string) bool {
	return strings.TrimSpace(s) == ""
}

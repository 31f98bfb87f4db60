package render

import (
	"bytes"
	"errors"
	htmltemplate "html/template"
	"os"
	"strings"
	"testing"
)

// fastTemplates can all use the fast text path.
var fastTemplates = map[string]string{
	"conditionals": `<h1>Hello {{ .Subscriber.Name }}</h1>
{{ if eq .Subscriber.Attribs.plan "pro" }}<p>Thanks for being <b>pro</b>, {{ .Subscriber.Attribs.city }}.</p>
{{ else if .Subscriber.Attribs.vip }}<p>VIP: {{ .Subscriber.Attribs.vip }}</p>
{{ else }}<p>Upgrade today</p>{{ end }}
{{ with .Subscriber.Attribs.note }}<div>Note: {{ . }}</div>{{ else }}<div>No note</div>{{ end }}
<p>Bye{{ if .Subscriber.Attribs.city }} from {{ .Subscriber.Attribs.city }}{{ end }}.</p>`,
	"range over attributes": `<ul>{{ range $k, $v := .Subscriber.Attribs }}<li>{{ $k }}: {{ $v }}</li>{{ end }}</ul>
<ol>{{ range $i, $v := .Subscriber.Attribs.items }}<li>{{ $i }}={{ $v }}{{ if eq $i 1 }}{{ break }}{{ end }}</li>{{ else }}<li>none</li>{{ end }}</ol>
<p>{{ $c := .Subscriber.Attribs.city }}City {{ $c }}{{ $c }}</p>`,
	"links": `<p><a href="{{ .UnsubscribeURL }}">stop</a>
<a href="https://x.example/p?c={{ .Subscriber.Attribs.city }}&amp;n={{ .Subscriber.Name }}#{{ .Subscriber.Attribs.note }}">{{ .Subscriber.Attribs.city }}</a>
<a href="https://x.example/{{ .Subscriber.Attribs.city }}/x">path</a>
<a href="{{ .Subscriber.Attribs.url }}">{{ .Subscriber.Attribs.url }}</a>
<a href="{{ .Subscriber.Attribs.url }}"></a><a href="{{ .Subscriber.Attribs.url }}">next</a>
<a title="{{ .Subscriber.Attribs.note }}" class="c" href=" {{ .Subscriber.Attribs.url }} ">titled</a>
<a href="{{ .UnsubscribeURL }}"><img src="https://cdn.example/{{ .Subscriber.Attribs.city }}.png" alt="{{ .Subscriber.Attribs.alt }}"></a>
<a href="mailto:{{ .Subscriber.Email }}">{{ .Subscriber.Email }}</a></p>`,
	"hidden and skipped": `<html><head><title>{{ .Campaign.Name }} for {{ .Subscriber.Name }}</title>
<style>p { color: {{ .Subscriber.Attribs.color }}; }</style></head><body>
<div style="display:none;max-height:0">Preview for {{ .Subscriber.Name }} <span>{{ .Subscriber.Attribs.note }}</span></div>
<span style="visibility: hidden">{{ .Subscriber.Attribs.city }}</span>
<noscript>{{ .Subscriber.Attribs.note }}</noscript>
<p>Body {{ .Subscriber.Attribs.note }}</p></body></html>`,
	"pre": "<p>Before</p><pre>Name: {{ .Subscriber.Name }}\r\n{{ .Subscriber.Attribs.note }}\r{{ .Subscriber.Attribs.city }}\n  end\r</pre>" +
		"<pre>{{ .Subscriber.Attribs.note }}{{ .Subscriber.Attribs.city }}</pre><pre>{{ .Subscriber.Attribs.empty }}</pre><p>After</p>",
	"tables and lists": `<table><tr><th>Name</th><th>{{ .Subscriber.Name }}</th></tr>
<tr><td>{{ .Subscriber.Attribs.city }}</td><td>{{ .Subscriber.Attribs.note }}</td></tr></table>
<ul><li>{{ .Subscriber.Attribs.city }}</li><li>x{{ .Subscriber.Attribs.note }}y</li></ul>
<ol><li>one</li><li>{{ .Subscriber.Attribs.plan }}</li></ol>
<dl><dt>{{ .Subscriber.Attribs.vip }}</dt><dd>{{ printf "%q" .Subscriber.Attribs.note }}</dd></dl>`,
	"entities and spaces": `<p>Fish &amp; chips&nbsp;{{ .Subscriber.Attribs.note }}&nbsp;caf&eacute;   {{ .Subscriber.Name }}
	&zwnj;{{ .Subscriber.Attribs.city }}&lt;3</p>{{ .Subscriber.Attribs.note }}<br>{{ .Subscriber.Attribs.note }}<br/><br>
<!-- a comment {{ .Subscriber.Name }} --><p>{{ .Subscriber.Attribs.city }}{{ .Subscriber.Attribs.note }}</p>`,
}

// hostileValues are attribute values that stress escaping, white space and
// line breaks.
var hostileValues = []any{
	"", " ", "Lyon", "  two  spaces  ", "a\nb", "a\r\nb", "\r", "\n", "\r\n", "ends\r", "\nstarts",
	"tab\there", `<b>bold</b> & "quotes" 'single' +plus`, "Komé 🍜 Łódź", "\u200bzero\u00adwidth\u200b",
	"\x00nul", strings.Repeat("long value ", 500), `https://evil.example/?a=1&b="2"'`,
	"javascript:alert(1)", "#top", "mailto:a@b.example", " https://pad.example/ ", "%zz%41%4",
	"café/über?q=ä&x=(1)", "\u00a0nbsp\u00a0", "style", "display:none", "&amp;", "&#39;", "Lyon",
	"https://x.example/p?c=Lyon", "x.example", "ftp://files.example/", "\ufffd\ufdd0", 3.5, true,
	[]any{"x", 1.0}, map[string]any{"k": "v"}, nil,
}

func hostileSubscriber(i int) Data {
	v := func(k int) any { return hostileValues[(i*7+k*3)%len(hostileValues)] }
	attribs := map[string]any{"city": v(0), "note": v(1), "url": v(2), "alt": v(3), "color": v(4),
		"vip": v(5), "items": []any{v(6), v(7), v(8)}}
	if i%3 == 0 {
		attribs["plan"] = "pro"
	}
	if i%5 == 0 {
		delete(attribs, "city")
		delete(attribs, "note")
	}
	name, _ := v(9).(string)
	url, _ := v(10).(string)
	return Data{
		Subscriber:     Subscriber{ID: int64(i), Email: "ana+" + name + "@example.com", Name: name, Attribs: attribs},
		Campaign:       Campaign{ID: 1, Name: "Spring & <summer>"},
		UnsubscribeURL: url,
	}
}

// compareFast renders data with tmpl and checks that the fast text equals
// HTMLToText of the rendered HTML.
func compareFast(t *testing.T, tmpl *Template, data Data) {
	t.Helper()
	var b Buffers
	if err := tmpl.RenderTo(&b, data); err != nil {
		t.Fatalf("RenderTo: %v", err)
	}
	want := HTMLToText(b.HTML.String())
	if got := b.Text.String(); got != want {
		t.Fatalf("RenderTo text differs from HTMLToText\n got %q\nwant %q\nhtml %q", got, want, b.HTML.String())
	}
	var fast bytes.Buffer
	err := tmpl.fast.render(&fast, data)
	if errors.Is(err, errUnsupportedValue) {
		return
	}
	if err != nil {
		t.Fatalf("fast render: %v", err)
	}
	if fast.String() != want {
		t.Fatalf("fast text differs from HTMLToText\n got %q\nwant %q\nhtml %q", fast.String(), want, b.HTML.String())
	}
}

func TestFastTextMatchesHTMLToText(t *testing.T) {
	newsletter, err := os.ReadFile("testdata/newsletter.html")
	if err != nil {
		t.Fatal(err)
	}
	templates := map[string]string{"newsletter": string(newsletter)}
	for name, src := range fastTemplates {
		templates[name] = src
	}
	for name, src := range templates {
		t.Run(name, func(t *testing.T) {
			tmpl := mustCompile(t, "Hi", src, "")
			if tmpl.fast == nil {
				_, err := deriveFastText(tmpl.html)
				t.Fatalf("no fast text path: %v", err)
			}
			for i := range 400 {
				compareFast(t, tmpl, hostileSubscriber(i))
			}
			if tmpl.fast.disabled.Load() {
				t.Error("the fast path was disabled by a mismatch")
			}
		})
	}
}

func TestFastTextRejectsUnsafeTemplates(t *testing.T) {
	tests := []struct{ name, src string }{
		{"unfinished entity", `<p>&am{{ .Subscriber.Name }}p;</p>`},
		{"action after ampersand", `<p>AT&{{ .Subscriber.Name }}</p>`},
		{"style attribute", `<p style="color: {{ .Subscriber.Attribs.color }}">x</p>`},
		{"unquoted attribute", `<a href={{ .UnsubscribeURL }}>x</a>`},
		{"script", `<script>var x = {{ .Subscriber.Name }};</script><p>x</p>`},
		{"textarea", `<textarea>{{ .Subscriber.Name }}</textarea>`},
		{"xmp", `<xmp>{{ .Subscriber.Name }}</xmp>`},
		{"branch inside tag", `<a {{ if .Subscriber.Name }}href="x"{{ end }}>x</a>`},
		{"branch inside href", `<a href="{{ if .Subscriber.Name }}/a{{ else }}/b{{ end }}">x</a>`},
		{"template call", `{{ define "x" }}<b>{{ .Subscriber.Name }}</b>{{ end }}<p>{{ template "x" . }}</p>`},
		{"predefined escaper", `<p>{{ .Subscriber.Name | html }}</p>`},
		{"mixed-case style", `<div Style="display:none" title="{{ .Subscriber.Name }}">x</div>`},
		{"line break next to alt value", "<a href=\"/x\"><img alt=\"a\n{{ .Subscriber.Name }}\"></a>"},
		{"branch in title", `<title>{{ if .Subscriber.Name }}x{{ end }}</title><p>y</p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := mustCompile(t, "Hi", tt.src, "")
			if tmpl.fast != nil {
				t.Errorf("template %q got a fast text path", tt.src)
			}
			for i := range 40 {
				checkRenderedText(t, tmpl, hostileSubscriber(i))
			}
		})
	}
}

// checkRenderedText checks the text of Render, for templates without a fast
// path.
func checkRenderedText(t *testing.T, tmpl *Template, data Data) {
	t.Helper()
	r, err := tmpl.Render(data)
	if err != nil {
		return
	}
	if want := HTMLToText(r.HTML); r.Text != want {
		t.Fatalf("text %q, want %q", r.Text, want)
	}
}

func TestFastTextUnsupportedValueTakesSlowPath(t *testing.T) {
	tmpl := mustCompile(t, "Hi", `<p>{{ .Subscriber.Attribs.v }} and {{ .Subscriber.Name }}</p>`, "")
	if tmpl.fast == nil {
		t.Fatal("no fast text path")
	}
	s := "pointer"
	for _, v := range []any{htmltemplate.HTML("<b>raw</b> <i>x</i>"), &s, "bad \xff utf-8", "\xe2\x80"} {
		d := subscriber(map[string]any{"v": v})
		var fast bytes.Buffer
		if err := tmpl.fast.render(&fast, d); !errors.Is(err, errUnsupportedValue) {
			t.Errorf("fast render of %#v: error %v, want errUnsupportedValue", v, err)
		}
		r := mustRender(t, tmpl, d)
		if want := HTMLToText(r.HTML); r.Text != want {
			t.Errorf("text for %#v = %q, want %q", v, r.Text, want)
		}
	}
	if tmpl.fast.disabled.Load() {
		t.Error("an unsupported value disabled the fast path")
	}
}

// A fast path that disagrees with the slow one is caught by the checked
// renders and replaced by the slow path for good.
func TestFastTextFallbackOnMismatch(t *testing.T) {
	tmpl := mustCompile(t, "Hi", `<p>Hello {{ .Subscriber.Name }}</p>`, "")
	if tmpl.fast == nil {
		t.Fatal("no fast text path")
	}
	// Break the derived template so that it writes "Bye" for "Hello", as a
	// flaw in the derivation would.
	for i := range tmpl.fast.statics {
		s := &tmpl.fast.statics[i]
		if string(s.text) == "Hello " {
			*s = newStaticText("Bye ", "Bye ")
		}
	}

	var b Buffers
	if err := tmpl.RenderTo(&b, subscriber(nil)); err != nil {
		t.Fatal(err)
	}
	if got := b.Text.String(); got != "Hello Ana\n" {
		t.Errorf("text = %q, want the slow path's %q", got, "Hello Ana\n")
	}
	if !tmpl.fast.disabled.Load() {
		t.Fatal("the mismatch did not disable the fast path")
	}

	// After the switch, renders that are not checked use the slow path too.
	tmpl.fast.checkFirst = 0
	tmpl.fast.checkEvery = 1 << 62
	if err := tmpl.RenderTo(&b, subscriber(nil)); err != nil {
		t.Fatal(err)
	}
	if got := b.Text.String(); got != "Hello Ana\n" {
		t.Errorf("text after the switch = %q", got)
	}
}

// Without the check, the broken derivation above would be visible, which
// shows that the fallback test exercises the check.
func TestFastTextUncheckedRenderUsesFastPath(t *testing.T) {
	tmpl := mustCompile(t, "Hi", `<p>Hello {{ .Subscriber.Name }}</p>`, "")
	for i := range tmpl.fast.statics {
		s := &tmpl.fast.statics[i]
		if string(s.text) == "Hello " {
			*s = newStaticText("Bye ", "Bye ")
		}
	}
	tmpl.fast.checkFirst = 0
	tmpl.fast.checkEvery = 1 << 62
	r := mustRender(t, tmpl, subscriber(nil))
	if r.Text != "Bye Ana\n" {
		t.Errorf("text = %q, want the broken fast path's %q", r.Text, "Bye Ana\n")
	}
}

func TestProcessURLMatchesHTMLTemplate(t *testing.T) {
	contexts := []struct {
		src     string
		process func(string) string
	}{
		{`<a href="{{ . }}">`, func(s string) string {
			if !isSafeURL(s) {
				return "#ZgotmplZ"
			}
			return processURL(s, true)
		}},
		{`<a href="/p/{{ . }}">`, func(s string) string { return "/p/" + processURL(s, true) }},
		{`<a href="/p?q={{ . }}">`, func(s string) string { return "/p?q=" + processURL(s, false) }},
	}
	var inputs []string
	for c := range 256 {
		inputs = append(inputs, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"%4")
	}
	inputs = append(inputs, "%41%4g%", "HTTP://x", "JavaScript:x", "/a:b", "a/b:c", "mailto:x", "data:x", "é ü")
	for _, c := range contexts {
		ht := htmltemplate.Must(htmltemplate.New("u").Parse(c.src))
		for _, in := range inputs {
			var b bytes.Buffer
			if err := ht.Execute(&b, in); err != nil {
				t.Fatal(err)
			}
			want := HTMLToText(b.String() + "x</a>")
			got := HTMLToText(`<a href="` + htmltemplate.HTMLEscapeString(c.process(in)) + `">x</a>`)
			if got != want {
				t.Errorf("%s with %q: got %q, want %q", c.src, in, got, want)
			}
		}
	}
}

func FuzzFastText(f *testing.F) {
	f.Add(`<p>Hi {{ .Subscriber.Name }}</p>`, "Ana  Bo")
	f.Add(`<pre>{{ .Subscriber.Name }}`+"\r"+`{{ .Subscriber.Attribs.x }}</pre>`, "\nx\r")
	f.Add(`<a href="{{ .UnsubscribeURL }}">{{ .Subscriber.Name }}</a>`, "javascript:x")
	f.Add(`<a href="/?q={{ .Subscriber.Attribs.x }}"><img alt="{{ .Subscriber.Name }}"></a>`, "a&b c")
	f.Add(`<ul>{{ range .Subscriber.Attribs.l }}<li>{{ . }}</li>{{ end }}</ul>`, "<x>")
	f.Add(`<div style="display:none">{{ .Subscriber.Name }}</div><p>&amp;{{ .Subscriber.Name }}</p>`, "\u200b")
	f.Fuzz(func(t *testing.T, src, value string) {
		tmpl, err := Compile("Hi", src, "")
		if err != nil || tmpl.fast == nil {
			return
		}
		d := subscriber(map[string]any{"x": value, "l": []any{value, "b"}})
		d.Subscriber.Name = value
		d.UnsubscribeURL = value
		var b Buffers
		if err := tmpl.RenderTo(&b, d); err != nil {
			return
		}
		want := HTMLToText(b.HTML.String())
		var fast bytes.Buffer
		if err := tmpl.fast.render(&fast, d); err != nil {
			return
		}
		if fast.String() != want {
			t.Errorf("fast text %q, want %q (html %q)", fast.String(), want, b.HTML.String())
		}
	})
}

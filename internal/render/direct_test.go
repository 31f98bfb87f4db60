package render

import (
	"bytes"
	"encoding/json"
	"errors"
	htmltemplate "html/template"
	"math"
	"os"
	"strings"
	"testing"
	texttemplate "text/template"
	"unicode/utf8"
)

// directValues are values for the direct path's differential tests: the
// hostile values of the fast text tests, every byte, invalid UTF-8, Unicode
// that html/template might treat specially, URLs of many schemes, and
// attribute values of every JSON type and some other types.
func directValues() []any {
	values := append([]any(nil), hostileValues...)
	for c := range 256 {
		values = append(values, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"%4z")
	}
	values = append(values,
		"\xff", "\xe2\x80", "a\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf<",
		"\ufdd0\ufdef\ufff0\uffff\ufffe", "\u2028\u2029\u0085\u00a0\u3000", "\u202e\u200f", "\U0001F600\U000E0041",
		"\u0300\u0301e\u0301", "ǅ ß ﬁ İ", "\x7f\x01\x1b[31m", "&#0; &#x0; &amp &lt", "%00%zz%4G%%41",
		"JavaScript:alert(1)", " javascript:x", "java\nscript:x", "vbscript:x", "data:text/html;base64,PHg+",
		"HTTP://X.example/a b?c=d&e='f'#g\"h", "https://x.example/%41%2f?q=a+b&r=%", "mailto:a@b.example?subject=a b",
		"MAILTO:x", "tel:+1555", "ftp://x.example", "//evil.example/x", "/a:b", "a/b:c", "?q=1:2", "#frag:x", ":x",
		"https://x.example/\u00e9?\u00fc=\U0001F600", strings.Repeat("<&>", 3000), strings.Repeat("é", 5000),
		0.0, 1.0, -1.5, 3.5, 0.1, 1e6, 1e21, 1e-7, 123456789.0, math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
		42, -7, int64(math.MinInt64), true, false, nil,
		[]any{}, []any{"x", 1.0, nil, true, "<a>"}, []any{[]any{"nested"}, map[string]any{"k": "v"}},
		map[string]any{}, map[string]any{"b": "<2>", "a": 1.5, "c": nil}, map[string]any(nil),
		// Types the direct path leaves to text/template.
		json.Number("12.50"), htmltemplate.HTML("<b>raw</b>"), htmltemplate.URL("javascript:ok"),
		float32(0.1), uint8(7), []string{"a"}, struct{ A string }{"<s>"}, new(string), errors.New("<err>"),
	)
	return values
}

// directSubscriber returns subscriber i with values from directValues in
// every field and in attributes of all shapes, some of them missing.
func directSubscriber(values []any, i int) Data {
	v := func(k int) any { return values[(i*13+k*7)%len(values)] }
	str := func(k int) string {
		s, _ := v(k).(string)
		return s
	}
	attribs := map[string]any{
		"city": v(0), "venue": v(1), "note": v(2), "url": v(3), "alt": v(4), "color": v(5),
		"vip": v(6), "plan": v(7), "items": []any{v(8), v(9)},
		"nested": map[string]any{"name": v(10), "deeper": map[string]any{"x": v(11)}},
	}
	switch i % 6 {
	case 0:
		delete(attribs, "city")
		delete(attribs, "venue")
		delete(attribs, "nested")
	case 1:
		attribs = nil
	case 2:
		attribs["nested"] = v(12)
	}
	return Data{
		Subscriber: Subscriber{ID: int64(i*7919 - 40000), Email: str(13) + "@example.com", Name: str(14),
			Attribs: attribs},
		Campaign:       Campaign{ID: int64(i), Name: str(15)},
		UnsubscribeURL: str(16),
	}
}

// directTemplates are templates whose parts should all have a program, with
// actions in every context that the HTML escapers cover.
var directTemplates = map[string]string{
	"contexts": `<html><head><title>{{ .Campaign.Name }} {{ .Subscriber.Attribs.city }}</title></head><body>
<p class="{{ .Subscriber.Attribs.color }}" title='{{ .Subscriber.Name }}'>{{ .Subscriber.Name }} {{ .Subscriber.Email }}</p>
<a href="{{ .UnsubscribeURL }}">u</a> <a href="{{ .Subscriber.Attribs.url }}">a</a>
<a href="https://x.example/{{ .Subscriber.Attribs.city }}/{{ .Subscriber.Name }}?q={{ .Subscriber.Attribs.note }}&amp;r={{ .Subscriber.ID }}#{{ .Subscriber.Attribs.venue }}">b</a>
<img src="{{ .Subscriber.Attribs.url }}" alt="{{ .Subscriber.Attribs.alt }}">
<a href='{{ .Subscriber.Attribs.url }}?x={{ .Subscriber.Attribs.vip }}'>c</a>
<!-- {{ .Subscriber.Name }} --><p>{{ .Subscriber.Attribs.vip }} {{ .Subscriber.Attribs.plan }} {{ .Subscriber.Attribs.items }}</p>
<p>{{ .Subscriber.Attribs.nested.name }} {{ .Subscriber.Attribs.nested.deeper.x }} {{ .Subscriber.Attribs.gone.x }}</p>
<p>{{ .Subscriber.Attribs }} {{ .Campaign.ID }} {{ .Subscriber.Attribs.missing }}</p></body></html>`,
	"text only":  "Hello {{ .Subscriber.Name }}, {{ .Subscriber.Attribs.city }}",
	"no actions": "<p>Static &amp; plain</p>",
}

// directText is a text template with every supported value form.
const directText = `Hi {{ .Subscriber.Name }} <{{ .Subscriber.Email }}> #{{ .Subscriber.ID }}
{{ .Subscriber.Attribs.city }}|{{ .Subscriber.Attribs.note }}|{{ .Subscriber.Attribs.vip }}|{{ .Subscriber.Attribs.items }}
{{ .Subscriber.Attribs.nested.name }}|{{ .Subscriber.Attribs.nested.deeper.x }}|{{ .Subscriber.Attribs.gone }}
{{ .Campaign.Name }} {{ .Campaign.ID }} {{ .UnsubscribeURL }} {{ .Subscriber.Attribs }}`

// directParts returns the direct templates of tmpl by part name.
func directParts(tmpl *Template) map[string]*directTemplate {
	parts := map[string]*directTemplate{PartSubject: tmpl.subjectDirect}
	if tmpl.htmlDirect != nil {
		parts[PartHTML] = tmpl.htmlDirect
	}
	if tmpl.textDirect != nil {
		parts[PartText] = tmpl.textDirect
	}
	if tmpl.fast != nil {
		parts["fast text events"] = tmpl.fast.events
	}
	return parts
}

// compareDirect runs the program of dt for data and checks that its output
// equals text/template's. It reports whether the program handled data.
func compareDirect(t *testing.T, part string, dt *directTemplate, data Data) bool {
	t.Helper()
	var got bytes.Buffer
	got.WriteString("prefix")
	if err := dt.prog.run(&got, &data); err != nil {
		return false
	}
	var want bytes.Buffer
	if err := dt.slow.Execute(&want, data); err != nil {
		t.Errorf("%s: the program succeeded where text/template failed with %v", part, err)
		return true
	}
	if g := strings.TrimPrefix(got.String(), "prefix"); g != want.String() {
		t.Errorf("%s: program output differs from text/template\n got %q\nwant %q", part, g, want.String())
	}
	return true
}

// directCampaigns compiles the campaigns of the differential test: each
// template of the package's tests as the HTML body, with the subject and an
// optional text body that use attributes.
func directCampaigns(t *testing.T) map[string]*Template {
	t.Helper()
	newsletter, err := os.ReadFile("testdata/newsletter.html")
	if err != nil {
		t.Fatal(err)
	}
	campaigns := map[string]*Template{
		"newsletter": mustCompile(t, "{{ .Subscriber.Attribs.venue }} – your table is ready 🍜", string(newsletter), ""),
		"newsletter with text": mustCompile(t, "Hi {{ .Subscriber.Name }}\r\n{{ .Subscriber.Attribs.city }}",
			string(newsletter), directText),
		"text only": mustCompile(t, "{{ .Subscriber.Attribs.items }} {{ .Subscriber.ID }}", "", directText),
	}
	for name, src := range directTemplates {
		campaigns[name] = mustCompile(t, "{{ .Campaign.Name }}: {{ .Subscriber.Attribs.note }}", src, "")
	}
	for name, src := range fastTemplates {
		campaigns["fast "+name] = mustCompile(t, "Hi {{ .Subscriber.Attribs.vip }}", src, "")
	}
	return campaigns
}

func TestDirectMatchesTextTemplate(t *testing.T) {
	values := directValues()
	for name, tmpl := range directCampaigns(t) {
		t.Run(name, func(t *testing.T) {
			handled := map[string]int{}
			for i := range 3 * len(values) {
				data := directSubscriber(values, i)
				for part, dt := range directParts(tmpl) {
					if dt.prog != nil && compareDirect(t, part, dt, data) {
						handled[part]++
					}
				}
				if t.Failed() {
					t.Fatalf("subscriber %d: %#v", i, data)
				}
			}
			t.Logf("renders handled by the program: %v", handled)
		})
	}
}

// The newsletter and the templates above have a program for every part, so
// the differential test covers them.
func TestDirectProgramsCompile(t *testing.T) {
	for name, tmpl := range directCampaigns(t) {
		if strings.HasPrefix(name, "fast ") {
			continue
		}
		for part, dt := range directParts(tmpl) {
			if dt.prog == nil {
				t.Errorf("%s: the %s template has no program", name, part)
			}
		}
	}
}

// RenderTo with the direct path returns what text/template renders, for
// values the program handles and for those it leaves to text/template.
func TestDirectRenderMatchesSlowRender(t *testing.T) {
	values := directValues()
	for name, tmpl := range directCampaigns(t) {
		slow := *tmpl
		slow.subjectDirect = &directTemplate{slow: tmpl.subject}
		if tmpl.html != nil {
			slow.htmlDirect = &directTemplate{slow: tmpl.html}
		}
		if tmpl.text != nil {
			slow.textDirect = &directTemplate{slow: tmpl.text}
		}
		slow.fast = nil
		for i := range len(values) {
			data := directSubscriber(values, i)
			got, gotErr := tmpl.Render(data)
			want, wantErr := slow.Render(data)
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("%s, subscriber %d: error %v, want %v", name, i, gotErr, wantErr)
			}
			if got != want {
				t.Fatalf("%s, subscriber %d: got %#v\nwant %#v", name, i, got, want)
			}
		}
	}
}

// Each value goes through each escaper context alone, so that a mismatch
// names the value and the context.
func TestDirectEscapersMatchHTMLTemplate(t *testing.T) {
	contexts := []string{
		`<p>{{ .Subscriber.Name }}</p>`,
		`<p title="{{ .Subscriber.Name }}">`,
		`<p title='{{ .Subscriber.Name }}'>`,
		`<title>{{ .Subscriber.Name }}</title>`,
		`<textarea>{{ .Subscriber.Name }}</textarea>`,
		`<a href="{{ .Subscriber.Name }}">`,
		`<a href="/p/{{ .Subscriber.Name }}">`,
		`<a href="/p?q={{ .Subscriber.Name }}">`,
		`<a href="/p#{{ .Subscriber.Name }}">`,
		`<img src="{{ .Subscriber.Name }}">`,
		`<!-- {{ .Subscriber.Name }} --><p>`,
	}
	var inputs []string
	for c := range 256 {
		inputs = append(inputs, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"%4", "%"+string([]byte{byte(c)})+"1")
	}
	for _, v := range directValues() {
		if s, ok := v.(string); ok {
			inputs = append(inputs, s)
		}
	}
	for r := rune(0x80); r < 0x30000; r += 37 {
		inputs = append(inputs, string(r)+"<"+string(r))
	}
	for _, src := range contexts {
		tmpl := mustCompile(t, "s", src, "")
		if tmpl.htmlDirect.prog == nil {
			t.Errorf("%s has no program", src)
			continue
		}
		for _, in := range inputs {
			data := subscriber(nil)
			data.Subscriber.Name = in
			if !compareDirect(t, src, tmpl.htmlDirect, data) {
				t.Errorf("%s: the program did not handle %q", src, in)
			}
		}
	}
}

// Templates with forms the program does not reproduce keep text/template for
// the whole template.
func TestDirectKeepsTextTemplateForOtherForms(t *testing.T) {
	sources := []string{
		`{{ if .Subscriber.Attribs.vip }}VIP{{ end }}`,
		`{{ range .Subscriber.Attribs.items }}{{ . }}{{ end }}`,
		`{{ with .Subscriber.Attribs.city }}{{ . }}{{ end }}`,
		`{{ define "x" }}X{{ end }}{{ template "x" }}`,
		`{{ printf "%s" .Subscriber.Name }}`,
		`{{ .Subscriber.Name | printf "%q" }}`,
		`{{ $c := .Subscriber.Name }}{{ $c }}`,
		`{{ . }}`,
		`{{ .Subscriber }}`,
		`{{ index .Subscriber.Attribs "first-name" }}`,
		`{{ "literal" }}`,
		`{{ .Subscriber.Name | html }}`,
		`{{ .Subscriber.Name | urlquery }}`,
		`{{ len .Subscriber.Name }}`,
	}
	for _, src := range sources {
		tmpl := mustCompile(t, src, "<p>"+src+"</p>", src)
		for part, dt := range directParts(tmpl) {
			if dt.prog != nil {
				t.Errorf("%s template %q has a program", part, src)
			}
		}
	}
	// html/template escapers the program does not reproduce.
	for _, src := range []string{
		`<script>var x = {{ .Subscriber.Name }};</script>`,
		`<p style="color: {{ .Subscriber.Name }}">`,
		`<p title={{ .Subscriber.Name }}>`,
		`<a onclick="f('{{ .Subscriber.Name }}')">`,
		`<img srcset="{{ .Subscriber.Name }}">`,
	} {
		tmpl := mustCompile(t, "s", src, "")
		if tmpl.htmlDirect.prog != nil {
			t.Errorf("html template %q has a program", src)
		}
		r := mustRender(t, tmpl, subscriber(nil))
		if !strings.Contains(r.HTML, "Ana") {
			t.Errorf("html template %q rendered %q", src, r.HTML)
		}
	}
}

// breakDirect makes the program of dt write "Bye" where the template has
// "Hello", as a flaw in the program would.
func breakDirect(t *testing.T, dt *directTemplate) {
	t.Helper()
	if dt.prog == nil {
		t.Fatal("no program")
	}
	broken := false
	for i := range dt.prog.steps {
		st := &dt.prog.steps[i]
		if bytes.Contains(st.text, []byte("Hello")) {
			st.text = bytes.ReplaceAll(st.text, []byte("Hello"), []byte("Bye"))
			broken = true
		}
	}
	if !broken {
		t.Fatal("no static text contains Hello")
	}
}

// A program that disagrees with text/template is caught by the checked
// renders and replaced by text/template for good.
func TestDirectFallbackOnMismatch(t *testing.T) {
	tmpl := mustCompile(t, "Hello {{ .Subscriber.Name }}", `<p>Hello {{ .Subscriber.Name }}</p>`,
		"Hello {{ .Subscriber.Attribs.city }}")
	for _, dt := range []*directTemplate{tmpl.subjectDirect, tmpl.htmlDirect, tmpl.textDirect} {
		breakDirect(t, dt)
	}
	want := Rendered{Subject: "Hello Ana", HTML: "<p>Hello Ana</p>", Text: "Hello Lyon"}
	data := subscriber(map[string]any{"city": "Lyon"})
	if got := mustRender(t, tmpl, data); got != want {
		t.Errorf("render = %#v, want text/template's %#v", got, want)
	}
	for part, dt := range directParts(tmpl) {
		if !dt.disabled.Load() {
			t.Errorf("the mismatch did not disable the %s program", part)
		}
		// After the switch, renders that are not checked use
		// text/template too.
		dt.checkFirst = 0
		dt.checkEvery = 1 << 62
	}
	if got := mustRender(t, tmpl, data); got != want {
		t.Errorf("render after the switch = %#v, want %#v", got, want)
	}
}

// Without the check, the broken program above would be visible, which shows
// that the fallback test exercises the check.
func TestDirectUncheckedRenderUsesProgram(t *testing.T) {
	tmpl := mustCompile(t, "Hello {{ .Subscriber.Name }}", `<p>Hello {{ .Subscriber.Name }}</p>`,
		"Hello {{ .Subscriber.Attribs.city }}")
	for _, dt := range directParts(tmpl) {
		breakDirect(t, dt)
		dt.checkFirst = 0
		dt.checkEvery = 1 << 62
	}
	want := Rendered{Subject: "Bye Ana", HTML: "<p>Bye Ana</p>", Text: "Bye Lyon"}
	if got := mustRender(t, tmpl, subscriber(map[string]any{"city": "Lyon"})); got != want {
		t.Errorf("render = %#v, want the broken program's %#v", got, want)
	}
}

// The fast text template's program is guarded as well, and its mismatch
// leaves the fast text path itself on.
func TestDirectFastTextFallbackOnMismatch(t *testing.T) {
	tmpl := mustCompile(t, "Hi", `<p>Hello {{ .Subscriber.Name }}</p>`, "")
	dt := tmpl.fast.events
	if dt.prog == nil {
		t.Fatal("the fast text template has no program")
	}
	// Replace the value function by one that drops the value.
	dt.prog.steps[0].escapers = []escaper{appendNothing}
	if got := mustRender(t, tmpl, subscriber(nil)).Text; got != "Hello Ana\n" {
		t.Errorf("text = %q, want %q", got, "Hello Ana\n")
	}
	if !dt.disabled.Load() {
		t.Error("the mismatch did not disable the program")
	}
	if tmpl.fast.disabled.Load() {
		t.Error("the program's mismatch disabled the fast text path")
	}
}

// A value the program does not convert is rendered by text/template for
// that render only.
func TestDirectUnsupportedValueUsesTextTemplate(t *testing.T) {
	tmpl := mustCompile(t, "{{ .Subscriber.Attribs.v }}", `<p>{{ .Subscriber.Attribs.v }}</p>`, "{{ .Subscriber.Attribs.v }}")
	s := "<pointer>"
	tests := []struct {
		v    any
		want Rendered
	}{
		{json.Number("12.50"), Rendered{"12.50", "<p>12.50</p>", "12.50"}},
		{&s, Rendered{"<pointer>", "<p>&lt;pointer&gt;</p>", "<pointer>"}},
		{htmltemplate.HTML("<b>x</b>"), Rendered{"<b>x</b>", "<p><b>x</b></p>", "<b>x</b>"}},
		{float32(0.1), Rendered{"0.1", "<p>0.1</p>", "0.1"}},
	}
	for _, tt := range tests {
		data := subscriber(map[string]any{"v": tt.v})
		for part, dt := range directParts(tmpl) {
			var b bytes.Buffer
			if err := dt.prog.run(&b, &data); !errors.Is(err, errDirectFallback) {
				t.Errorf("%s program with %#v: error %v, want errDirectFallback", part, tt.v, err)
			}
		}
		if got := mustRender(t, tmpl, data); got != tt.want {
			t.Errorf("render of %#v = %#v, want %#v", tt.v, got, tt.want)
		}
	}
	for part, dt := range directParts(tmpl) {
		if dt.disabled.Load() {
			t.Errorf("an unsupported value disabled the %s program", part)
		}
	}
}

// text/template prints a nil value as "<no value>" where no pacerValue
// follows it. Compile always adds pacerValue, so this tree is parsed without
// the rewrite.
func TestDirectNilWithoutPacerValue(t *testing.T) {
	raw := texttemplate.Must(texttemplate.New("raw").Parse("[{{ .Subscriber.Attribs.gone }}]"))
	dt := newDirectTemplate(raw, raw.Tree, nil)
	if dt.prog == nil {
		t.Fatal("no program")
	}
	var b bytes.Buffer
	data := subscriber(map[string]any{"null": nil})
	if err := dt.execute(&b, &data); err != nil {
		t.Fatal(err)
	}
	if want := "[<no value>]"; b.String() != want {
		t.Errorf("output = %q, want text/template's %q", b.String(), want)
	}
	if dt.disabled.Load() {
		t.Error("a nil value disabled the program")
	}
}

func FuzzDirect(f *testing.F) {
	f.Add(`<p>Hi {{ .Subscriber.Name }}</p>`, "Ana  Bo")
	f.Add(`<a href="{{ .UnsubscribeURL }}">{{ .Subscriber.Attribs.x }}</a>`, "javascript:x")
	f.Add(`<a href="/?q={{ .Subscriber.Attribs.x }}"><img alt="{{ .Subscriber.Name }}"></a>`, "a&b c\x00")
	f.Add(`<title>{{ .Subscriber.Attribs.l }}</title><!-- {{ .Subscriber.Email }} -->`, "<x>\xff")
	f.Add(`{{ .Subscriber.Attribs.m.k }} {{ .Subscriber.ID }} {{ .Campaign.Name }}`, "%41%zz+'\"")
	f.Fuzz(func(t *testing.T, src, value string) {
		tmpl, err := Compile(src, src, "")
		if err != nil {
			return
		}
		text, err := Compile(src, "", src)
		if err != nil {
			return
		}
		var number any = value
		if utf8.ValidString(value) && len(value) > 0 && value[0] >= '0' && value[0] <= '9' {
			number = float64(len(value)) / 3
		}
		d := subscriber(map[string]any{"x": value, "n": number, "l": []any{value, 1.5},
			"m": map[string]any{"k": value}})
		d.Subscriber.Name = value
		d.Subscriber.Email = value
		d.Campaign.Name = value
		d.UnsubscribeURL = value
		for _, c := range []*Template{tmpl, text} {
			for part, dt := range directParts(c) {
				if dt.prog != nil {
					compareDirect(t, part, dt, d)
				}
			}
		}
	})
}

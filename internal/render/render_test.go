package render

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func subscriber(attribs map[string]any) Data {
	return Data{
		Subscriber:     Subscriber{ID: 7, Email: "ana@example.com", Name: "Ana", Attribs: attribs},
		Campaign:       Campaign{ID: 3, Name: "Spring menu"},
		UnsubscribeURL: "https://news.example.org/u/3.7.abc",
	}
}

func mustCompile(t *testing.T, subject, html, text string) *Template {
	t.Helper()
	tmpl, err := Compile(subject, html, text)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return tmpl
}

func mustRender(t *testing.T, tmpl *Template, d Data) Rendered {
	t.Helper()
	r, err := tmpl.Render(d)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return r
}

// Merge values go into the subject unescaped, before the message
// package encodes the header.
func TestSubjectIsNeverHTMLEscaped(t *testing.T) {
	tmpl := mustCompile(t, "{{ .Subscriber.Attribs.venue }} – your table is ready 🍜",
		"<p>{{ .Subscriber.Attribs.venue }}</p>", "")
	tests := []struct{ venue, subject, html string }{
		{"Restaurant Komé", "Restaurant Komé – your table is ready 🍜", "<p>Restaurant Komé</p>"},
		{"M'eating", "M'eating – your table is ready 🍜", "<p>M&#39;eating</p>"},
		{`Fish & "Chips" <Bar>`, `Fish & "Chips" <Bar> – your table is ready 🍜`,
			"<p>Fish &amp; &#34;Chips&#34; &lt;Bar&gt;</p>"},
	}
	for _, tt := range tests {
		r := mustRender(t, tmpl, subscriber(map[string]any{"venue": tt.venue}))
		if r.Subject != tt.subject {
			t.Errorf("subject = %q, want %q", r.Subject, tt.subject)
		}
		if r.HTML != tt.html {
			t.Errorf("html = %q, want %q", r.HTML, tt.html)
		}
	}
}

func TestTextTemplateIsNotEscaped(t *testing.T) {
	tmpl := mustCompile(t, "Hi", "<p>x</p>", "Table at {{ .Subscriber.Attribs.venue }} & co")
	r := mustRender(t, tmpl, subscriber(map[string]any{"venue": "M'eating <b>"}))
	if want := "Table at M'eating <b> & co"; r.Text != want {
		t.Errorf("text = %q, want %q", r.Text, want)
	}
}

func TestMissingAttributesRenderEmpty(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"printed", "[{{ .Subscriber.Attribs.city }}]", "[]"},
		{"nested", "[{{ .Subscriber.Attribs.city.name }}]", "[]"},
		{"index", `[{{ index .Subscriber.Attribs "first-name" }}]`, "[]"},
		{"printf argument", `[{{ printf "%s" .Subscriber.Attribs.city }}]`, "[]"},
		{"piped", `[{{ .Subscriber.Attribs.city | printf "%q" }}]`, `[""]`},
		{"eq", `[{{ if eq .Subscriber.Attribs.plan "pro" }}pro{{ else }}free{{ end }}]`, "[free]"},
		{"if", `[{{ if .Subscriber.Attribs.vip }}vip{{ end }}]`, "[]"},
		{"with", `[{{ with .Subscriber.Attribs.city }}in {{ . }}{{ end }}]`, "[]"},
		{"variable", `[{{ $c := .Subscriber.Attribs.city }}{{ $c }}]`, "[]"},
		{"null", `[{{ .Subscriber.Attribs.gone }}]`, "[]"},
		{"range value", `[{{ range $k, $v := .Subscriber.Attribs }}{{ $v }}{{ end }}]`, "[1]"},
		{"defined", `[{{ .Subscriber.Name }}]`, "[Ana]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := mustCompile(t, "s "+tt.src, "<p>"+tt.src+"</p>", "t "+tt.src)
			r := mustRender(t, tmpl, subscriber(map[string]any{"other": 1, "gone": nil}))
			want := strings.ReplaceAll(tt.want, `"`, "&#34;")
			if r.Subject != "s "+tt.want || r.Text != "t "+tt.want || r.HTML != "<p>"+want+"</p>" {
				t.Errorf("got subject %q, text %q, html %q; want %q", r.Subject, r.Text, r.HTML, tt.want)
			}
			for _, s := range []string{r.Subject, r.HTML, r.Text} {
				if strings.Contains(s, "no value") || strings.Contains(s, "nil") {
					t.Errorf("rendered %q", s)
				}
			}
		})
	}
}

func TestPresentAttributesKeepTheirValue(t *testing.T) {
	tmpl := mustCompile(t, `{{ .Subscriber.Attribs.n }} {{ printf "%.1f" .Subscriber.Attribs.n }}`,
		`{{ if eq .Subscriber.Attribs.plan "pro" }}pro{{ end }}`, "")
	r := mustRender(t, tmpl, subscriber(map[string]any{"n": 42.0, "plan": "pro"}))
	if r.Subject != "42 42.0" || r.HTML != "pro" {
		t.Errorf("got %q and %q", r.Subject, r.HTML)
	}
}

func TestSubjectIsOneLine(t *testing.T) {
	tmpl := mustCompile(t, "  Hello\r\n{{ .Subscriber.Name }},\tnews  ", "<p>x</p>", "")
	d := subscriber(nil)
	d.Subscriber.Name = "Ana\r\nBcc: evil@example.net"
	if r := mustRender(t, tmpl, d); r.Subject != "Hello Ana Bcc: evil@example.net, news" {
		t.Errorf("subject = %q", r.Subject)
	}
}

func TestTextIsGeneratedWithoutTextTemplate(t *testing.T) {
	html := `<p>Hello {{ .Subscriber.Name }},</p><p><a href="{{ .UnsubscribeURL }}">Unsubscribe</a></p>`
	tmpl := mustCompile(t, "Hi", html, "")
	r := mustRender(t, tmpl, subscriber(nil))
	want := "Hello Ana,\n\nUnsubscribe (https://news.example.org/u/3.7.abc)\n"
	if r.Text != want {
		t.Errorf("text = %q, want %q", r.Text, want)
	}
}

func TestTextOnlyCampaign(t *testing.T) {
	tmpl := mustCompile(t, "Hi", "", "Hello {{ .Subscriber.Name }}")
	r := mustRender(t, tmpl, subscriber(nil))
	if r.HTML != "" || r.Text != "Hello Ana" || tmpl.HasHTML() {
		t.Errorf("got html %q, text %q", r.HTML, r.Text)
	}
}

func TestRenderToReusesBuffers(t *testing.T) {
	tmpl := mustCompile(t, "Hi {{ .Subscriber.Name }}", "<p>{{ .Subscriber.Email }}</p>", "")
	var b Buffers
	for _, name := range []string{"Ana", "Bo"} {
		d := subscriber(nil)
		d.Subscriber.Name = name
		if err := tmpl.RenderTo(&b, d); err != nil {
			t.Fatal(err)
		}
		if got := b.Subject.String(); got != "Hi "+name {
			t.Errorf("subject = %q", got)
		}
		if got := b.Text.String(); got != "ana@example.com\n" {
			t.Errorf("text = %q", got)
		}
	}
}

func TestRenderErrorDependsOnData(t *testing.T) {
	tmpl := mustCompile(t, "Hi", "<p>{{ .Subscriber.Attribs.city.name }}</p>", "")
	_, err := tmpl.Render(subscriber(map[string]any{"city": "Rome"}))
	if err == nil || !strings.Contains(err.Error(), "render: html template") {
		t.Errorf("Render error = %v, want one naming the html template", err)
	}
}

func TestRenderConcurrently(t *testing.T) {
	tmpl := mustCompile(t, "Hi {{ .Subscriber.Name }}", "<p>{{ .Subscriber.Attribs.city }}</p>", "")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			d := subscriber(map[string]any{"city": strings.Repeat("x", i)})
			r, err := tmpl.Render(d)
			if err != nil || r.HTML != "<p>"+strings.Repeat("x", i)+"</p>" {
				t.Errorf("render %d: %q, %v", i, r.HTML, err)
			}
		})
	}
	wg.Wait()
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, subject, html, text string
		part                      string
		line                      int
		fix                       string
	}{
		{"empty subject", " ", "<p>x</p>", "", PartSubject, 0, "write a subject"},
		{"no body", "Hi", "", "", PartHTML, 0, "write an HTML body"},
		{"misspelt field", "Hi", "<p>\n{{ .Subscriber.Nmae }}</p>", "", PartHTML, 2, ".Subscriber.Name"},
		{"lower-case field", "Hi {{ .subscriber.name }}", "<p></p>", "", PartSubject, 1, "capitals"},
		{"dash in key", "Hi", "<p></p>", "a\n\n{{ .Subscriber.Attribs.first-name }}", PartText, 3, "index"},
		{"unknown function", "{{ upper .Subscriber.Name }}", "<p></p>", "", PartSubject, 1, "built-in"},
		{"missing end", "Hi", "<p>\n{{ if .Subscriber.Name }}x</p>", "", PartHTML, 2, "{{ end }}"},
		{"extra end", "Hi", "<p></p>{{ end }}", "", PartHTML, 1, "remove the extra"},
		{"unclosed", "Hi {{ .Subscriber.Name", "<p></p>", "", PartSubject, 1, "}}"},
		{"one brace", "Hi", "<p></p>", "{{ .Subscriber.Name }", PartText, 1, "two braces"},
		{"html context", "Hi", "<p>\n<a href=\"x\" {{ if .Subscriber.Name }}title=\"{{ end }}\">", "",
			PartHTML, 2, "same HTML context"},
		{"unclosed script", "Hi", "<script>var x = '{{ .Subscriber.Name }}", "", PartHTML, 0, "close every"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.subject, tt.html, tt.text)
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile error = %v, want a *CompileError", err)
			}
			if ce.Part != tt.part || ce.Line != tt.line || !strings.Contains(ce.Fix, tt.fix) {
				t.Errorf("got part %q, line %d, fix %q; want %q, %d, fix with %q (%v)",
					ce.Part, ce.Line, ce.Fix, tt.part, tt.line, tt.fix, err)
			}
			if !strings.HasPrefix(err.Error(), "render: "+tt.part+" template") {
				t.Errorf("message %q does not name the template", err)
			}
		})
	}
}

func TestCompileAcceptsDataDependentTemplates(t *testing.T) {
	// gt fails for a subscriber without an age, which is not a template error.
	_, err := Compile("Hi", `{{ if gt .Subscriber.Attribs.age 30.0 }}x{{ end }}`, "")
	if err != nil {
		t.Errorf("Compile: %v", err)
	}
}

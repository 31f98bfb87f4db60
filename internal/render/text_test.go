package render

import "testing"

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, html, want string }{
		{"empty", "", ""},
		{"entities decoded once", "<p>Fish &amp; chips &amp;amp; caf&eacute;&nbsp;M&#39;eating &lt;3</p>",
			"Fish & chips &amp; café M'eating <3\n"},
		{"white space collapses", "<p>  one\n\t two   three </p>", "one two three\n"},
		{"paragraphs", "<p>One</p><p>Two</p><h2>Three</h2>Four", "One\n\nTwo\n\nThree\n\nFour\n"},
		{"line breaks", "a<br>b<br/><br>c", "a\nb\n\nc\n"},
		{"divs and rows", "<div>a</div><div>b</div><table><tr><td>c</td><td>d</td></tr><tr><td>e</td></tr></table>",
			"a\nb\n\nc d\ne\n"},
		{"link", `<p>Read <a href="https://example.com/a?b=1&amp;c=2">the post</a>.</p>`,
			"Read the post (https://example.com/a?b=1&c=2).\n"},
		{"link showing its url", `<a href="https://example.com/">https://example.com/</a>`, "https://example.com/\n"},
		{"link showing its host", `<a href="https://example.com">example.com</a>`, "example.com\n"},
		{"multi-line tag", "<a\n  href=\"https://example.com/x\"\n  style=\"color:red\"\n>X</a>",
			"X (https://example.com/x)\n"},
		{"image link", `<a href="https://example.com/"><img src="logo.png" alt="Logo"></a>`, "Logo (https://example.com/)\n"},
		{"image link without alt", `<a href="https://example.com/"><img src="logo.png"></a>`, "https://example.com/\n"},
		{"adjacent links", `<a href="https://a.example/"><img src="a.png"></a><a href="https://b.example/">B</a>`,
			"https://a.example/ B (https://b.example/)\n"},
		{"in-page link", `<a href="#top">Back to top</a>`, "Back to top\n"},
		{"lists", "<ul><li>One</li><li>Two</li></ul><ol><li>A<li>B</ol>", "- One\n- Two\n\n1. A\n2. B\n"},
		{"pre", "<p>x</p><pre>  a\n    b</pre><p>y</p>", "x\n\n  a\n    b\n\ny\n"},
		{"head, style and script", "<html><head><title>T</title><style>p{color:red}</style></head>" +
			"<body><script>var x = '<p>';</script><p>Body</p></body></html>", "Body\n"},
		{"hidden preheader", `<div style="display: none; max-height:0">Preview &zwnj;&nbsp;&zwnj;` +
			`<div>nested</div></div><p>Body</p>`,
			"Body\n"},
		{"invisible characters", "<p>a\u200bb\u00adc</p>", "abc\n"},
		{"unclosed tags", "<p>a<div>b", "a\nb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLToText(tt.html); got != tt.want {
				t.Errorf("HTMLToText(%q)\n got %q\nwant %q", tt.html, got, tt.want)
			}
		})
	}
}

// The text part shows non-web links exactly as their href, with entities
// decoded once.
func TestHTMLToTextKeepsNonWebLinks(t *testing.T) {
	src := `<a href="mailto:help@news.example.org?subject=Question%20about%20my%20order&amp;body=Hi%2C">Email us</a>
<a href="tel:+15555550100">Call</a>
<a href="sms:+15555550100">Text</a>
<a href="#top">Back to top</a>
<img src="cid:logo@news.example.org" alt="logo">
<a href="https://www.example.com/offer">Offer</a>`
	want := "Email us (mailto:help@news.example.org?subject=Question%20about%20my%20order&body=Hi%2C) " +
		"Call (tel:+15555550100) Text (sms:+15555550100) Back to top Offer (https://www.example.com/offer)\n"
	if got := HTMLToText(src); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

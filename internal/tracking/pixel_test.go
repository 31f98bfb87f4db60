package tracking

import (
	"bytes"
	"image/gif"
	"strings"
	"testing"
)

func TestPixelGIFIsOnePixel(t *testing.T) {
	img, err := gif.Decode(bytes.NewReader(PixelGIF))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1 || b.Dy() != 1 {
		t.Errorf("pixel is %dx%d", b.Dx(), b.Dy())
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("pixel alpha = %d, want transparent", a)
	}
}

func TestAddOpenPixel(t *testing.T) {
	tr := newTestTracker(t)
	img := `<img src="` + tr.OpenURL(testID) + `" width="1" height="1" alt=""`
	tests := []struct{ html, before string }{
		{"<html><body><p>x</p></body></html>", "</body></html>"},
		{"<p>x</p>\n</BODY >\n</HTML>", "</BODY >\n</HTML>"},
		{"<body>a</body><!-- </body> -->tail</body>", "</body>"},
		{"<p>no body</p>", ""},
		{"<p>almost</bodyx></p>", ""},
	}
	for _, tt := range tests {
		out := tr.AddOpenPixel(tt.html, testID)
		i := strings.Index(out, img)
		if i < 0 || strings.Count(out, "<img") != 1 {
			t.Fatalf("no single pixel in %q", out)
		}
		end := i + strings.Index(out[i:], ">") + 1
		if out[:i]+out[end:] != tt.html || out[end:] != tt.before {
			t.Errorf("AddOpenPixel(%q) = %q", tt.html, out)
		}
	}
}

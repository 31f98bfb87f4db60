package tracking

import (
	"strings"

	"github.com/pacer-email/pacer/internal/mailid"
)

// PixelGIF is the open pixel: a transparent 1x1 GIF of 43 bytes. Serve it
// with Content-Type image/gif and Cache-Control: no-store.
var PixelGIF = []byte{
	'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, // header, 1x1
	0x80, 0, 0, // global colour table of 2 entries
	0, 0, 0, 0xff, 0xff, 0xff, // black, white
	0x21, 0xf9, 4, 1, 0, 0, 0, 0, // graphic control: colour 0 is transparent
	0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, // image descriptor, 1x1
	2, 2, 0x44, 1, 0, // LZW data
	0x3b, // trailer
}

// AddOpenPixel returns html with the open pixel of message id inserted just
// before the last </body>, or appended when there is none.
func (t *Tracker) AddOpenPixel(html string, id mailid.ID) string {
	return string(t.AppendOpenPixel(make([]byte, 0, len(html)+160), html, id))
}

// AppendOpenPixel appends the result of [Tracker.AddOpenPixel] to dst.
func (t *Tracker) AppendOpenPixel(dst []byte, html string, id mailid.ID) []byte {
	at := lastBodyEnd(html)
	if at < 0 {
		at = len(html)
	}
	dst = append(dst, html[:at]...)
	dst = append(dst, `<img src="`...)
	dst = append(dst, t.base...)
	dst = append(dst, OpenPath...)
	dst = append(dst, t.signer.Token(id)...)
	dst = append(dst, openSuffix...)
	dst = append(dst, `" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">`...)
	return append(dst, html[at:]...)
}

// lastBodyEnd returns the index of the last </body> end tag in s, in any
// letter case, or -1.
func lastBodyEnd(s string) int {
	const tag = "</body"
	for i := len(s) - len(tag); i >= 0; i-- {
		if s[i] != '<' || !strings.EqualFold(s[i:i+len(tag)], tag) {
			continue
		}
		if j := i + len(tag); j == len(s) || isNameEnd(s[j]) {
			return i
		}
	}
	return -1
}

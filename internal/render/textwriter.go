package render

import (
	"bytes"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// textWriter collects the text version of an HTML body.
type textWriter struct {
	b        *bytes.Buffer
	start    int  // where this text began in b
	breaks   int  // line breaks owed before the next word (at most 2)
	space    bool // a space is owed before the next word
	skip     int  // depth inside skipTags
	pre      int  // depth inside <pre>
	hidden   int  // depth inside the display:none element hiddenTag
	hiddenAt string
	lists    []int // for each open list: -1 for <ul>, else the last <ol> number
	href     string
	linkAt   int // where the current link's text began in b; -1 outside links
	inLink   bool
	gluedURL bool // the last word was a link target: keep the next link apart
}

// text writes a run of character data, collapsing white space outside <pre>.
func (w *textWriter) text(s []byte) {
	if w.pre > 0 {
		w.flush()
		w.mark()
		w.b.Write(s) // the tokenizer has already turned CRLF into LF
		return
	}
	for len(s) > 0 {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRune(s[i:])
			if !isSpace(r) {
				break
			}
			i += n
			w.space = true
		}
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRune(s[j:])
			if isSpace(r) {
				break
			}
			j += n
		}
		if j > i {
			w.wordBytes(s[i:j])
		}
		s = s[j:]
	}
}

func (w *textWriter) word(s string) { w.wordBytes([]byte(s)) }

func (w *textWriter) wordBytes(s []byte) {
	s = dropInvisible(s)
	if len(s) == 0 {
		return
	}
	w.flush()
	w.mark()
	w.b.Write(s)
	w.gluedURL = false
}

// flush writes the line breaks or the space owed before a word.
func (w *textWriter) flush() {
	if w.b.Len() == w.start {
		w.breaks, w.space = 0, false
		return
	}
	if w.breaks > 0 {
		for range w.breaks {
			w.b.WriteByte('\n')
		}
		w.breaks, w.space = 0, false
		return
	}
	if w.space {
		w.b.WriteByte(' ')
		w.space = false
	}
}

// mark records where the text of the current link begins.
func (w *textWriter) mark() {
	if w.inLink && w.linkAt < 0 {
		w.linkAt = w.b.Len()
	}
}

func (w *textWriter) block(n int) {
	w.space = false
	if w.b.Len() > w.start && n > w.breaks {
		w.breaks = n
	}
}

func (w *textWriter) lineBreak() {
	w.space = false
	if w.breaks < 2 {
		w.breaks++
	}
	if w.b.Len() == w.start {
		w.breaks = 0
	}
}

func (w *textWriter) bullet() {
	marker := "-"
	if n := len(w.lists); n > 0 && w.lists[n-1] >= 0 {
		w.lists[n-1]++
		marker = strconv.Itoa(w.lists[n-1]) + "."
	}
	w.word(marker)
	w.space = true
}

func (w *textWriter) finish() {
	out := bytes.TrimRightFunc(w.b.Bytes()[w.start:], unicode.IsSpace)
	w.b.Truncate(w.start + len(out))
	if len(out) > 0 {
		w.b.WriteByte('\n')
	}
}

// isSpace reports white space, including the no-break space of &nbsp;.
func isSpace(r rune) bool { return unicode.IsSpace(r) }

// dropInvisible removes zero-width and soft-hyphen characters, which
// preheader padding and some editors scatter through the text.
func dropInvisible(s []byte) []byte {
	if bytes.IndexFunc(s, isInvisible) < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if !isInvisible(r) {
			out = append(out, s[:n]...)
		}
		s = s[n:]
	}
	return out
}

func isInvisible(r rune) bool {
	switch r {
	case 0x00AD, 0x034F, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF:
		return true
	}
	return false
}

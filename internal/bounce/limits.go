package bounce

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Default limits, used where Options leaves a field at zero or below.
const (
	DefaultMaxBytes = 10 << 20 // 10 MiB, the usual SIZE limit of an inbound MX
	DefaultMaxDepth = 10       // bounces nest 3 to 5 levels deep
	DefaultMaxParts = 100      // bounces have fewer than 10 MIME entities
)

// Internal bounds on the work and on the output.
const (
	maxHeaderFields = 1000     // header fields kept per entity; the rest are skipped
	maxHeaderValue  = 64 << 10 // bytes kept of one header or report field value
	maxScan         = 64 << 10 // bytes of notice text the text heuristics read
	maxVerdicts     = 1000     // verdicts per report; SMTP needs at most 100 recipients
	maxDiagnostic   = 2000     // bytes of a Diagnostic
	maxField        = 512      // bytes of any other string field
	maxReason       = 1000     // bytes of Report.Reason
)

// ErrTooLarge is returned for input larger than Options.MaxBytes. An SMTP
// server answers it with 552 (message exceeds storage allocation).
var ErrTooLarge = errors.New("bounce: message exceeds the size limit")

// Errors that turn a message into a report of kind unknown.
var (
	errTooDeep      = errors.New("MIME nesting exceeds the depth limit")
	errTooManyParts = errors.New("MIME entities exceed the part limit")
)

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxParts <= 0 {
		o.MaxParts = DefaultMaxParts
	}
	return o
}

// readLimited reads all of r, or fails with ErrTooLarge after max bytes.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > max {
		return nil, ErrTooLarge
	}
	return raw, nil
}

// normalizeNewlines turns CRLF into LF, so the rest of the package sees LF only.
func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}

// sanitize makes every string valid UTF-8 without control characters and cuts
// it to a bounded length, so a report can go to JSON and to the database as-is.
func (r *Report) sanitize() {
	r.Reason = Clean(r.Reason, maxReason)
	r.MessageID = Clean(r.MessageID, maxField)
	r.From = Clean(r.From, maxField)
	r.Subject = Clean(r.Subject, maxField)
	r.FeedbackType = Clean(r.FeedbackType, maxField)
	if len(r.Verdicts) > maxVerdicts {
		r.Verdicts = r.Verdicts[:maxVerdicts]
	}
	if r.Verdicts == nil {
		r.Verdicts = []Verdict{}
	}
	for i := range r.Verdicts {
		v := &r.Verdicts[i]
		v.Recipient = Clean(v.Recipient, maxField)
		v.Status = Clean(v.Status, maxField)
		v.Action = Clean(v.Action, maxField)
		v.Diagnostic = Clean(v.Diagnostic, maxDiagnostic)
		v.ReportingMTA = Clean(v.ReportingMTA, maxField)
		v.RemoteMTA = Clean(v.RemoteMTA, maxField)
		v.OriginalMessageID = Clean(v.OriginalMessageID, maxField)
		if v.MatchedBy == "" {
			v.MatchedBy = MatchNone
		}
	}
}

// Clean replaces invalid UTF-8 with U+FFFD, control characters with spaces,
// trims, and cuts s to at most max bytes on a rune boundary, so a value
// taken from a hostile message is safe to store and show.
func Clean(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	s = strings.TrimSpace(s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

func joinNotes(notes []string) string {
	seen := map[string]bool{}
	var out []string
	for _, n := range notes {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

package bounce

import (
	"fmt"
	"io"

	"github.com/pacer-email/pacer/internal/mailid"
)

// ReportKind says what kind of inbound message a report is.
type ReportKind string

// Report kinds, see the package documentation for how each is recognised.
const (
	ReportDSN         ReportKind = "dsn"         // RFC 3464 delivery status notification
	ReportBounce      ReportKind = "bounce"      // plain-text non-delivery report
	ReportDelay       ReportKind = "delay"       // delay warning: delivery is still being retried
	ReportComplaint   ReportKind = "complaint"   // RFC 5965 feedback report (spam complaint)
	ReportAutoReply   ReportKind = "auto_reply"  // out-of-office, challenge-response, read receipt
	ReportUnsubscribe ReportKind = "unsubscribe" // mail sent to our List-Unsubscribe address
	ReportUnknown     ReportKind = "unknown"     // not recognised or past a limit; see Reason
)

// VerdictKind is the outcome for one recipient.
type VerdictKind string

// Verdict kinds.
const (
	Hard        VerdictKind = "hard"        // the address is dead: suppress it
	Soft        VerdictKind = "soft"        // transient or not about the address: count, keep
	Complaint   VerdictKind = "complaint"   // the recipient reported the message as spam
	Unsubscribe VerdictKind = "unsubscribe" // the recipient asked to be unsubscribed
	Delayed     VerdictKind = "delayed"     // delivery is delayed, not failed
	NotBounce   VerdictKind = "not_bounce"  // auto-reply or success notice: no change
)

// MatchedBy says which identifier tied a verdict to a campaign and subscriber.
type MatchedBy string

// Identity sources, from the most to the least direct.
const (
	MatchReturnPath  MatchedBy = "return-path"         // our VERP return path
	MatchUnsubscribe MatchedBy = "unsubscribe-address" // our List-Unsubscribe mailto address
	MatchMessageID   MatchedBy = "message-id"          // our Message-ID of the returned message
	MatchHeader      MatchedBy = "header"              // our X-Pacer-ID header in the returned message
	MatchNone        MatchedBy = "none"                // no verified identifier: resolve Recipient
)

// Report is the result of parsing one inbound message. Its JSON form (snake
// case) is meant to be served as-is; Verdicts is never nil.
type Report struct {
	Kind         ReportKind `json:"kind"`
	Reason       string     `json:"reason,omitempty"`        // why unknown, or what was degraded
	MessageID    string     `json:"message_id,omitempty"`    // the report's own Message-ID, for de-duplication
	From         string     `json:"from,omitempty"`          // the report's From address
	Subject      string     `json:"subject,omitempty"`       // the report's decoded Subject
	FeedbackType string     `json:"feedback_type,omitempty"` // ARF Feedback-Type of a complaint
	Verdicts     []Verdict  `json:"verdicts"`
}

// Verdict is the outcome for one affected recipient.
type Verdict struct {
	Kind VerdictKind `json:"kind"`
	// Recipient is the address as reported (trimmed, "rfc822;" removed, case
	// kept). For complaints with a redacted address it is empty; for
	// auto-replies and unsubscribe requests it is the sender of the mail.
	Recipient    string `json:"recipient,omitempty"`
	Status       string `json:"status,omitempty"`     // enhanced status code, e.g. "5.1.351"
	Action       string `json:"action,omitempty"`     // DSN action: failed, delayed, delivered, ...
	Diagnostic   string `json:"diagnostic,omitempty"` // diagnostic text, unfolded
	ReportingMTA string `json:"reporting_mta,omitempty"`
	RemoteMTA    string `json:"remote_mta,omitempty"`
	// CampaignID and SubscriberID are 0 when unknown.
	CampaignID        int64     `json:"campaign_id"`
	SubscriberID      int64     `json:"subscriber_id"`
	MatchedBy         MatchedBy `json:"matched_by"`
	OriginalMessageID string    `json:"original_message_id,omitempty"` // without angle brackets
}

// Options are the limits and the identity signer. The zero value uses the
// defaults and does no identity matching.
type Options struct {
	MaxBytes int64          // largest message accepted; default DefaultMaxBytes
	MaxDepth int            // deepest MIME nesting; default DefaultMaxDepth
	MaxParts int            // most MIME entities; default DefaultMaxParts
	Signer   *mailid.Signer // verifies our identifiers; nil: no identity matching
}

// Parse classifies one raw message (LF or CRLF line endings). envelopeRcpt is
// the RCPT TO address of the inbound SMTP session and may be empty. The only
// error is [ErrTooLarge]; anything unparseable gives a report of kind unknown.
func Parse(raw []byte, envelopeRcpt string, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	if int64(len(raw)) > opts.MaxBytes {
		return nil, ErrTooLarge
	}
	return analyse(raw, envelopeRcpt, opts), nil
}

// ParseReader is [Parse] for a stream. It reads at most Options.MaxBytes+1
// bytes and returns [ErrTooLarge] past the limit, or the reader's error.
func ParseReader(r io.Reader, envelopeRcpt string, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	raw, err := readLimited(r, opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	return analyse(raw, envelopeRcpt, opts), nil
}

// analyse never panics: a bug on hostile input becomes an unknown report.
func analyse(raw []byte, envelopeRcpt string, opts Options) (rep *Report) {
	defer func() {
		if v := recover(); v != nil {
			rep = &Report{Kind: ReportUnknown, Reason: fmt.Sprintf("internal error: %v", v)}
		}
		rep.sanitize()
	}()
	top, notes, err := parseMIME(normalizeNewlines(raw), opts)
	if err != nil {
		return &Report{Kind: ReportUnknown, Reason: err.Error()}
	}
	top, forwarded := unwrapForwarded(top)
	if forwarded {
		notes = append(notes, "report forwarded as message/rfc822")
	}
	a := newAnalysis(top, envelopeRcpt, opts.Signer)
	a.notes = append(a.notes, notes...)
	return a.report()
}

// report runs the detectors in the documented order.
func (a *analysis) report() *Report {
	r := &Report{
		MessageID: trimMsgID(a.h.Get("Message-Id")),
		From:      firstAddress(a.h.Get("From")),
		Subject:   a.subject,
	}
	switch {
	case a.top.header.Len() == 0 && len(a.top.body) == 0 && len(a.top.children) == 0:
		r.Kind, r.Reason = ReportUnknown, "empty message"
	case a.unsubscribe(r):
		// the detector matched the identity from the unsubscribe address
	case a.complaint(r), a.dsn(r), a.delay(r), a.plainBounce(r), a.autoReply(r):
		a.applyIdentity(r)
	default:
		r.Kind = ReportUnknown
		a.notes = append([]string{"no delivery report, complaint, auto-reply or unsubscribe request recognised"}, a.notes...)
	}
	if len(a.notes) > 0 && r.Reason == "" {
		r.Reason = joinNotes(a.notes)
	}
	return r
}

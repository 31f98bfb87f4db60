package inbound

import (
	"errors"
	"fmt"

	"github.com/pacer-email/pacer/internal/bounce"
	"github.com/pacer-email/pacer/internal/store"
)

// Classify parses a stored inbound message according to its format and
// never fails. A message past the size limit, a notification that no longer
// parses or an SNS subscription confirmation gives a report of kind unknown
// whose Reason explains it, so the message is stored as unmatched.
func Classify(m store.InboundMessage, opts bounce.Options) *bounce.Report {
	switch m.Format {
	case store.FormatGeneric:
		g, err := ParseGeneric(m.Raw)
		if err != nil {
			return unknown("generic notification: %v", err)
		}
		return g.Report()
	case store.FormatSES:
		n, err := ParseSES(m.Raw, opts.Signer)
		switch {
		case err != nil:
			return unknown("SES notification: %v", err)
		case n.Type == SNSSubscriptionConfirmation:
			return unknown("SNS subscription confirmation for topic %s: pacer does not fetch URLs; "+
				"confirm it by opening %s", n.TopicARN, n.SubscribeURL)
		case n.Report == nil:
			return unknown("SNS %s, SES event %q: nothing to do", n.Type, n.Event)
		}
		return n.Report
	}
	rep, err := bounce.Parse(m.Raw, m.EnvelopeRecipient, opts)
	if errors.Is(err, bounce.ErrTooLarge) {
		return unknown("message of %d bytes exceeds the size limit", len(m.Raw))
	}
	if err != nil {
		return unknown("%v", err)
	}
	return rep
}

func unknown(format string, args ...any) *bounce.Report {
	r := &bounce.Report{Kind: bounce.ReportUnknown, Reason: fmt.Sprintf(format, args...), Verdicts: []bounce.Verdict{}}
	sanitize(r)
	return r
}

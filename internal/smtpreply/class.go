package smtpreply

// Class is the outcome of one reply, or of a failure to get one, for the
// recipient and the sending account. The package documentation has the
// table of replies and classes.
type Class int

// Classes of outcome. The zero value, Unclassified, is never returned by
// [Classify] or [ClassifyError]; it marks an outcome not yet known.
const (
	Unclassified Class = iota

	// Delivered: the server took responsibility for the message (2xx).
	Delivered

	// Retry: a transient failure for this recipient (4xx). Send to this
	// recipient again later, with back-off, within the retry window.
	Retry

	// MailboxFull: a permanent reply that the mailbox is over quota
	// (X.2.2 with a 5xx code). A soft bounce: count it, do not retry within
	// this campaign, do not suppress the address on one occurrence.
	MailboxFull

	// Hard: the address does not exist or cannot receive mail (5.1.x,
	// 5.2.1, or a 5xx whose text states the user is unknown). Suppress the
	// address; never retry.
	Hard

	// Blocked: the server refused the message because of the sender, its
	// IP, its authentication or its content (5.7.x policy, spam,
	// blocklists, SPF/DKIM/DMARC). The message failed; the address is fine
	// and must not be suppressed.
	Blocked

	// Throttled: the server or relay asks the sending account or IP to
	// slow down. Re-queue the message and lower the send rate for the
	// destination or relay; nothing is recorded against the recipient.
	Throttled

	// QuotaExceeded: the sending account has used up its daily (or
	// monthly) quota. Pause the campaign; retrying will not help for hours.
	QuotaExceeded

	// Failed: any other permanent failure (5xx). Not retried, not
	// suppressed.
	Failed

	// ConnectionLost: the connection failed before the final "." was
	// sent, so the server cannot have accepted the message. Safe to retry;
	// not a bounce.
	ConnectionLost

	// Uncertain: the connection failed after the final "." was sent and
	// before the reply was read. The server may have accepted the message
	// (RFC 1047), so it must not be sent again within the campaign.
	Uncertain
)

var classNames = [...]string{
	Unclassified:   "unclassified",
	Delivered:      "delivered",
	Retry:          "retry",
	MailboxFull:    "mailbox_full",
	Hard:           "hard",
	Blocked:        "blocked",
	Throttled:      "throttled",
	QuotaExceeded:  "quota_exceeded",
	Failed:         "failed",
	ConnectionLost: "connection_lost",
	Uncertain:      "uncertain",
}

// String returns the snake_case name of c, as used in logs and the database.
func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return "unclassified"
	}
	return classNames[c]
}

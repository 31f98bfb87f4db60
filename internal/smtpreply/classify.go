package smtpreply

// Classify returns the class of reply r received at stage.
//
// The enhanced status code decides where it is specific. The basic code
// decides transient (4xx) against permanent (5xx), never the outcome on its
// own. The text decides where the codes are missing or too general, and
// distinguishes replies that share a code (see the package documentation).
// If the class digit of the enhanced code disagrees with the basic code,
// the basic code's class wins and the enhanced subject and detail are kept.
func Classify(stage Stage, r Reply) Class {
	switch r.Code / 100 {
	case 2:
		return Delivered
	case 4, 5:
	default:
		return Failed // 1xx and 3xx are not final replies to a command
	}

	e := replyEnhanced(r)
	s := readSignals(r.Text)
	// A mailbox over quota (X.2.2) is the recipient's quota, whatever the
	// text contains. A 5.7.x that mentions a quota is the sender's, unless
	// its text is about a mailbox.
	accountQuota := !e.is(2, 2) && (s.accountQuota || s.quota && e.subject == 7 && !s.mailbox)

	if accountQuota {
		return QuotaExceeded
	}
	if r.Code/100 == 4 {
		return classifyTransient(stage, r.Code, e, s)
	}
	return classifyPermanent(stage, r.Code, e, s)
}

// replyEnhanced returns the enhanced code of r, from its Enhanced field or
// the start of a line of its text. Its class is 0 when there is none.
func replyEnhanced(r Reply) enhanced {
	if e, ok := parseEnhanced(r.Enhanced); ok {
		return e
	}
	code, _ := splitEnhanced(r.Text)
	e, _ := parseEnhanced(code)
	return e
}

// classifyTransient classifies a 4xx reply. Every 4xx is retried; the
// question is whether the recipient is retried alone (Retry) or the sender
// must slow down (Throttled).
func classifyTransient(stage Stage, code int, e enhanced, s signals) Class {
	switch {
	case e.subject == 2:
		// X.2.x is the recipient's mailbox: full (4.2.2), or receiving
		// mail too fast (Gmail's 4.2.1), which is about that mailbox only.
		return Retry
	case s.greylist:
		return Retry
	case e.subject == 7:
		// 4.7.x defers on policy: the sender's rate, volume or reputation.
		return Throttled
	case s.throttle || s.deferral:
		return Throttled
	case code == 421 && stage.aboutSender():
		// 421 before any recipient closes the session on the sender.
		return Throttled
	}
	return Retry
}

// classifyPermanent classifies a 5xx reply that is not about the sending
// account's quota.
func classifyPermanent(stage Stage, code int, e enhanced, s signals) Class {
	switch {
	case e.is(2, 2) && !stage.aboutSender():
		// RFC 3463: mailbox full is a persistent transient condition,
		// even when a server sends it with a 5xx code.
		return MailboxFull
	case s.throttle:
		return Throttled
	case stage.aboutSender():
		return classifySenderRejection(stage, e, s)
	}

	switch e.subject {
	case 0:
		return classifyByText(code, s)
	case 1:
		// X.1.x is about an address. 5.1.7 and 5.1.8 are the sender's, and
		// so is any X.1.x whose text names the sender (Postfix checks the
		// sender at RCPT TO by default).
		if e.detail == 7 || e.detail == 8 || s.sender || e.detail == 0 && s.policy {
			return Blocked
		}
		return Hard
	case 2:
		switch e.detail {
		case 0:
			return classifyByText(code, s)
		case 1: // mailbox disabled, not accepting messages
			return Hard
		}
		return Failed // 5.2.3 message too big for the mailbox, 5.2.4 list expansion
	case 7:
		return Blocked
	}
	if e.detail == 0 {
		return classifyByText(code, s)
	}
	// 5.3.x (mail system), 5.4.x (routing, including Microsoft's 5.4.1
	// "Recipient address rejected: Access denied"), 5.5.x (protocol) and
	// 5.6.x (content) fail this message without saying the address is dead.
	return Failed
}

// classifySenderRejection classifies a 5xx received before any recipient was
// named: it can only be about the session, the sender or the message, so it
// is never Hard.
func classifySenderRejection(stage Stage, e enhanced, s signals) Class {
	switch {
	case stage == Auth:
		return Blocked // wrong credentials or mechanism: the sender's setup
	case e.subject == 1 || e.subject == 7:
		return Blocked // bad sender address, or policy
	case s.policy || s.sender:
		return Blocked
	}
	return Failed
}

// classifyByText classifies a 5xx at RCPT TO or later that has no enhanced
// code, or only a general one (X.0.0, X.2.0), by its basic code and text.
func classifyByText(code int, s signals) Class {
	switch {
	case s.mailboxFull:
		return MailboxFull
	case s.unknownUser && !s.sender:
		return Hard
	case s.policy || s.sender:
		return Blocked
	case code == 552 && !s.tooBig:
		// RFC 5321: 552 is "exceeded storage allocation".
		return MailboxFull
	}
	return Failed
}

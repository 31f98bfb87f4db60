// Package bounce classifies inbound mail that comes back to pacer: delivery
// status notifications, plain-text bounces, delay warnings, feedback-loop
// complaints, auto-replies and mailto unsubscribe requests.
//
// It is a pure library: [Parse] takes the raw message and the envelope
// recipient of the inbound SMTP session and returns a [Report] with one
// [Verdict] per affected recipient. It does no I/O; the caller stores the
// verdicts and decides what to suppress.
//
// # Report kinds
//
// The kinds are tried in this order; the first that fits wins:
//
//	unsubscribe  the mail was sent to our List-Unsubscribe mailto address (envelope
//	             recipient or To), or carries X-Apple-Unsubscribe: true. Checked
//	             first, because Apple Mail marks these Auto-Submitted: auto-replied.
//	complaint    RFC 5965 ARF: multipart/report; report-type=feedback-report, or a
//	             message/feedback-report part.
//	dsn          RFC 3464: a message/delivery-status part with per-recipient blocks.
//	             Every block gives its own verdict; a block without Diagnostic-Code
//	             takes the recipient's paragraph of the human-readable notice. A DSN
//	             whose blocks are all "Action: delayed" is reported as kind delay.
//	delay        a plain-text delay warning ("THIS IS A WARNING MESSAGE ONLY", a
//	             "(Delay)" subject from a mailer daemon, ...).
//	bounce       a plain-text non-delivery report: X-Failed-Recipients (Exim),
//	             Postfix, qmail, Sendmail, Exchange and Gmail wording.
//	auto_reply   RFC 3834 Auto-Submitted, X-Autoreply, Precedence: auto_reply,
//	             out-of-office subjects, challenge-response and read receipts.
//	unknown      none of the above, or a message past the limits; Reason says why.
//
// # Classification of a failed recipient
//
// The enhanced status code (RFC 3463, class.subject.detail, where subject
// and detail have one to three digits: 5.1.351 is kept whole) decides. The
// first digit of the basic reply code alone never decides, and neither does
// prose such as "permanent error".
//
//	code       RFC 3463 meaning                          verdict
//	2.x.x      success                                   not_bounce
//	4.x.x      persistent transient failure              soft (even with Action: failed)
//	5.1.x      addressing status: bad mailbox (5.1.1),   hard
//	           bad system (5.1.2), bad syntax (5.1.3),
//	           moved (5.1.6), null MX (5.1.10), vendor
//	           details such as Exchange's 5.1.351
//	5.1.7/8    bad sender's mailbox/system address       soft (about our sender, not the recipient)
//	5.1.x      with "sender address rejected" text       soft (same reason)
//	5.2.1      mailbox disabled, not accepting messages  hard when the text says the mailbox is
//	                                                     unknown, disabled, closed or does not
//	                                                     exist; soft otherwise (rate limits)
//	5.2.2      mailbox full                              soft (552 5.2.2 and 550 5.2.2 too)
//	5.2.x      other mailbox status (3 too long, ...)    soft
//	5.3.x      mail system status                        soft
//	5.4.x      network and routing status                soft
//	5.5.x      mail delivery protocol status             soft
//	5.6.x      message content or media status           soft
//	5.7.x      security or policy status (spam, blocked, soft: the message was refused, the
//	           authentication, reputation)               address is valid; never suppress
//	X.0.0      other or undefined status                 treated as no enhanced code
//
// Without an enhanced code (or with X.0.0, after looking for a more specific
// code in the diagnostic text) the basic reply code and the text decide: 2xx
// is not_bounce, 4xx is soft, and a 5xx or code-less failure is soft unless
// its text names a dead address ("user unknown", "no such user", "does not
// exist", qmail's "no mailbox here by that name", ...). Text about a full
// mailbox or about policy and spam is checked first and always stays soft.
// Delay warnings are delayed, never hard; complaints are complaint;
// auto-replies are not_bounce.
//
// # Identity
//
// The campaign and subscriber a report is about are recovered from the
// identifiers pacer puts into every message (package mailid), in this order:
// the envelope recipient (our VERP return path), the report's To,
// Delivered-To, X-Original-To or Envelope-To header, the returned message's
// Return-Path and the DSN's X-Postfix-Sender or ARF's Original-Mail-From
// (MatchedBy "return-path"); the returned message's Message-ID or the
// report's In-Reply-To/References ("message-id"); the X-Pacer-ID header
// of the returned message, from a message/rfc822 or text/rfc822-headers part
// or from headers pasted into the body after a "------ This is a copy of the
// message" line ("header"). Every identifier carries a MAC, so forged ones are
// ignored. Otherwise MatchedBy is "none" and the caller resolves the reported
// Recipient address itself. An unsubscribe request is matched by our
// unsubscribe address alone ("unsubscribe-address"); one to an address that
// does not verify keeps MatchedBy "none" and the sender as Recipient.
//
// A message has one subscriber, so when a report names several recipients the
// subscriber is given only to the verdict whose recipient is the returned
// message's To address; the others keep the campaign and MatchedBy "none".
//
// # Robustness
//
// Input is read up to Options.MaxBytes (default 10 MiB, [ErrTooLarge] past
// it: reply 552). MIME nesting deeper than Options.MaxDepth or with more than
// Options.MaxParts entities gives a report of kind unknown. Broken MIME
// (missing boundaries, bad base64, unknown charsets) falls back to scanning
// the raw text. Every string in a report is valid UTF-8 without control
// characters and of bounded length.
package bounce

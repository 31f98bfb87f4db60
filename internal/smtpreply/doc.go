// Package smtpreply classifies what the SMTP client hears while sending one
// message, so that the send activity can decide what happens to the
// recipient, the message and the sending account.
//
// [FromError] turns a go-smtp error into a [Reply]. [Classify] maps a reply
// and its [Stage] to a [Class]. [ClassifyError] does both, and also covers
// connections that broke or timed out, before or after the final ".".
//
// # How a reply is read
//
// The enhanced status code (RFC 3463, announced by ENHANCEDSTATUSCODES,
// RFC 2034) is read first: its subject names the topic of the reply (1
// addressing, 2 mailbox, 3 mail system, 4 routing, 5 protocol, 6 content, 7
// security and policy). Each part may have up to three digits, so 5.1.351
// is not 5.1.3. The basic code (RFC 5321 section 4.2) only distinguishes
// transient (4xx) from permanent (5xx). The text decides what the codes leave open. The
// stage matters too: before RCPT TO no recipient has been named, so a reply
// to the greeting, EHLO, AUTH or MAIL FROM is about the sender and never
// bounces an address.
//
// # Replies and classes
//
//	Reply                                   RFC 3463 / 5321 meaning              Class
//	2xx                                     success                              Delivered
//	450/451/452 4.x.x at RCPT or later      transient failure                    Retry
//	451 4.7.1 "greylisted"                  transient, try the same again        Retry
//	421 (no throttle wording) at RCPT+      service closing, transient           Retry
//	452 4.2.2, 450 4.2.1                    mailbox full / receiving too fast    Retry
//	552 5.2.2, 550 5.2.2                    mailbox full (persistent transient)  MailboxFull
//	552 without enhanced code               exceeded storage allocation          MailboxFull
//	550 5.1.1, 553 5.1.3, 550 5.1.10        bad mailbox, syntax, null MX         Hard
//	550 5.1.351 (Microsoft)                 other address status, unknown user   Hard
//	550 5.2.1                               mailbox disabled                     Hard
//	550/554 "user unknown", Yahoo "dd ..."  no enhanced code, address dead       Hard
//	550 5.1.0/5.1.x naming the sender       sender address rejected at RCPT      Blocked
//	554 5.7.1, 550 5.7.1 (Gmail spam)       security or policy                   Blocked
//	550 5.7.26, 550 5.7.606 (banned IP)     SPF/DKIM/DMARC, blocklisted IP       Blocked
//	535 5.7.8 at AUTH, 5.1.x/5.7.x before   authentication, sender rejected      Blocked
//	    RCPT
//	421 4.7.0 [TSS04], 421 4.7.28           policy deferral of the sending IP    Throttled
//	451 4.7.1 "rate limited", 4.7.x         policy deferral                      Throttled
//	421 at connect, greeting or MAIL FROM   session refused to the sender        Throttled
//	454 "Throttling failure: Maximum        SES sending-rate limit               Throttled
//	    sending rate exceeded"
//	4xx "too many connections", "rate       the relay or MX asks to slow down    Throttled
//	    limit", "temporarily deferred"
//	454 "... Daily message quota exceeded"  SES daily quota                      QuotaExceeded
//	550 5.4.5 "Daily user sending quota"    Gmail sending quota                  QuotaExceeded
//	5.7.x mentioning a quota, 554 5.2.0     account sending quota                QuotaExceeded
//	    "SubmissionQuotaExceeded"
//	550 5.4.1 "Recipient address            Microsoft directory-based edge       Failed
//	    rejected: Access denied"            blocking; see below
//	552 5.3.4, 554 5.6.x, other 5xx         message too big, content, other      Failed
//	connection lost before the final "."    nothing was accepted                 ConnectionLost
//	connection lost after the final "."     may have been accepted (RFC 1047)    Uncertain
//
// # Decisions
//
// Microsoft's 550 5.4.1 "Recipient address rejected: Access denied" is
// Failed, not Hard. Exchange Online sends it when the recipient is not in
// the tenant's directory, but also when a tenant's mail flow is
// misconfigured, and RFC 3463 gives X.4.1 a routing meaning ("no answer from
// host"). Suppressing on it could drop a whole company's subscribers at once;
// a caller that wants to suppress after repeated 5.4.1 replies can count
// Failed per address.
//
// A 421 with no throttle wording is Retry at RCPT TO and later (the
// recipient is tried again with back-off) but Throttled at connect, greeting,
// EHLO, AUTH or MAIL FROM, where no recipient is involved.
//
// Throttle wording in a 5xx ("550 Too many messages") is Throttled: the
// message failed only because of the rate. Wording about unusual volume
// ("unusual rate of unsolicited mail") counts only in a 4xx; in a 5xx it
// comes with a block.
//
// A reply to the final "." covers every recipient of the transaction. Pacer
// sends one recipient per message, so the class applies to that recipient.
package smtpreply

package smtpreply

import "strings"

// The phrase lists below are matched against the lower-cased reply text.
// They are the fallback where the enhanced status code is missing or too
// general (X.0.0) to decide, and the way to tell replies apart that share a
// code: 454 "Maximum sending rate exceeded" from 454 "Daily message quota
// exceeded", or 552 5.2.2 "mailbox full" from a sending-quota 5.7.x.

// accountQuotaPhrases name a quota of the sending account, which will not
// clear for hours: the campaign must pause.
var accountQuotaPhrases = []string{
	"daily message quota", "daily sending quota", "daily user sending quota",
	"daily quota", "sending quota", "submission quota", "submissionquota",
	"daily message limit", "daily sending limit", "daily limit",
	"messages per day", "emails per day", "monthly quota", "monthly limit",
	"credits exceeded", "out of credits",
}

// mailboxFullPhrases mean that the recipient's mailbox is full.
var mailboxFullPhrases = []string{
	"mailbox full", "mailbox is full", "mailbox quota", "mailbox size limit",
	"inbox is full", "inbox full", "over quota", "overquota", "quota exceeded",
	"exceeded storage", "storage allocation", "disk quota", "user is over",
	"account is full", "insufficient storage",
}

// mailboxPhrases name the recipient's mailbox or its storage. They keep a
// policy reply about a full mailbox from reading as the sender's quota.
var mailboxPhrases = []string{
	"mailbox", "inbox", "over quota", "overquota", "user is over", "storage",
	"disk quota", "account is full",
}

// throttlePhrases ask the sender to slow down, whatever the reply class.
var throttlePhrases = []string{
	"throttl", "rate limit", "rate-limit", "ratelimit", "sending rate",
	"rate exceeded", "too many messages", "too many connections",
	"too many concurrent", "too many requests", "too many emails",
	"too many mails", "too frequent", "per second", "per minute",
	"connection limit", "max connections", "maximum connections",
	"slow down", "too fast",
}

// deferPhrases also mean "slow down", but only in a transient (4xx) reply:
// in a 5xx the same words come with a block ("an unusual rate of
// unsolicited mail ... has been blocked").
var deferPhrases = []string{
	"temporarily deferred", "deferred due to", "unusual rate",
	"unexpected volume", "reached its limit", "limit exceeded",
	"concurrent", "try again in",
}

var greylistPhrases = []string{
	"greylist", "graylist", "grey-list", "gray-list", "grey list", "gray list",
}

// unknownUserPhrases mean that the recipient's address does not exist.
var unknownUserPhrases = []string{
	"user unknown", "unknown user", "unknown recipient", "recipient unknown",
	"unknown or illegal alias", "unknown address", "no such user",
	"no such mailbox", "no such recipient", "no such address",
	"user not found", "recipient not found", "recipientnotfound",
	"mailbox not found", "address not found", "does not exist",
	"doesn't exist", "user doesn't have a", "user does not have a",
	"invalid recipient", "invalid mailbox", "not a valid mailbox",
	"unrouteable address", "mailbox is disabled", "mailbox disabled",
	"account is disabled", "account has been disabled",
}

// senderPhrases show that a reply names the sender's address, even when it
// arrives at RCPT TO (Postfix checks the sender there by default).
var senderPhrases = []string{
	"sender address", "sender domain", "sender rejected", "sender verif",
	"unverified sender", "from address", "envelope sender", "mail from",
}

// policyPhrases blame the sender, its IP, its authentication or its content.
var policyPhrases = []string{
	"spam", "unsolicited", "blocked", "blacklist", "blocklist", "block list",
	"black list", "denylist", "spamhaus", "rbl", "reputation", "policy",
	"spf", "dkim", "dmarc", "authentication", "unauthenticated",
	"not authenticated", "relay", "banned", "not allowed to send",
	"not allowed to send mail", "you are not allowed", "not verified",
	"not authorized", "virus", "malware",
}

// tooBigPhrases mean that the message is larger than the server accepts.
var tooBigPhrases = []string{
	"too large", "too big", "message size", "size limit", "exceeds size",
	"maximum size",
}

// signals are the phrase classes found in one reply text.
type signals struct {
	quota, accountQuota, mailbox, mailboxFull, throttle, deferral, greylist bool
	unknownUser, sender, policy, tooBig                                     bool
}

func readSignals(text string) signals {
	t := strings.ToLower(text)
	return signals{
		quota:        strings.Contains(t, "quota"),
		accountQuota: containsAny(t, accountQuotaPhrases),
		mailbox:      containsAny(t, mailboxPhrases),
		mailboxFull:  containsAny(t, mailboxFullPhrases),
		throttle:     containsAny(t, throttlePhrases),
		deferral:     containsAny(t, deferPhrases),
		greylist:     containsAny(t, greylistPhrases),
		unknownUser:  containsAny(t, unknownUserPhrases),
		sender:       containsAny(t, senderPhrases),
		policy:       containsAny(t, policyPhrases),
		tooBig:       containsAny(t, tooBigPhrases),
	}
}

func containsAny(s string, phrases []string) bool {
	for _, p := range phrases {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

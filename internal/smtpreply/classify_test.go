package smtpreply

import "testing"

type classifyCase struct {
	name  string
	stage Stage
	wire  string // the reply as the server sends it, lines joined with "\n"
	want  Class
}

func runClassifyCases(t *testing.T, cases []classifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.wire)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := Classify(tc.stage, r); got != tc.want {
				t.Errorf("Classify(%v, %q) = %v, want %v", tc.stage, tc.wire, got, tc.want)
			}
		})
	}
}

// TestClassifySenderThrottle covers case B01: a deferral of the sending IP,
// at MAIL FROM or later, is Throttled and never a recipient failure.
func TestClassifySenderThrottle(t *testing.T) {
	runClassifyCases(t, []classifyCase{
		{"B01 Yahoo TSS04 at MAIL FROM", Mail,
			"421 4.7.0 [TSS04] Messages from 192.0.2.192 temporarily deferred due to unexpected " +
				"volume or user complaints - 4.16.55.1; see " +
				"https://postmaster.yahooinc.com/error-codes", Throttled},
		{"B01 Yahoo TSS04 at RCPT TO", Rcpt,
			"421 4.7.0 [TSS04] Messages from 192.0.2.192 temporarily deferred", Throttled},
		{"B01 Gmail 421 4.7.28 multi-line at end of data", EndOfData,
			"421-4.7.28 [192.0.2.10 4] Our system has detected an unusual rate of\n" +
				"421-4.7.28 unsolicited mail originating from your IP address. To protect our\n" +
				"421-4.7.28 users from spam, mail sent from your IP address has been\n" +
				"421-4.7.28 temporarily rate limited. Please visit\n" +
				"421-4.7.28  https://support.google.com/mail/?p=UnsolicitedRateLimitError to\n" +
				"421 4.7.28 review our Bulk Email Senders Guidelines. - gsmtp", Throttled},
		{"Gmail 421 4.7.0 at EHLO", Hello,
			"421-4.7.0 Try again later, closing connection. (EHLO)\n" +
				"421 4.7.0 https://support.google.com/mail/answer/7040 - gsmtp", Throttled},
		{"421 at greeting, no enhanced code", Greeting,
			"421 mx.example.com Service not available, closing transmission channel", Throttled},
		{"421 at MAIL FROM, no enhanced code", Mail, "421 Service not available", Throttled},
		{"451 at greeting: reached its limit", Greeting,
			"451-The server has reached its limit for processing requests from your host.\n" +
				"451 Please try again later.", Throttled},
		{"421 too many connections at RCPT", Rcpt,
			"421 4.3.2 too many connections, please try again later", Throttled},
		{"421 connection rate limit", Rcpt, "421 4.3.2 Connection rate limit exceeded.", Throttled},
		{"421 without throttle meaning at RCPT is Retry", Rcpt,
			"421 4.3.0 Temporary System Problem.  Try again later (10). - gsmtp", Retry},
		{"421 without enhanced code at end of data is Retry", EndOfData,
			"421 Service not available, closing transmission channel", Retry},
		{"Microsoft 451 4.7.500 server busy", Rcpt,
			"451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (AS761)", Throttled},
		{"450 4.7.1 too many", Rcpt, "450 4.7.1 Too many messages, slow down", Throttled},
		{"450 4.7.1 try again later", Rcpt, "450 4.7.1 Please try again later", Throttled},
		{"451 4.7.1 rate limited", EndOfData,
			"451 4.7.1 Rate limited, please try again later", Throttled},
		{"mailcow ratelimit", EndOfData, `451 4.7.1 Ratelimit "user" exceeded`, Throttled},
	})
}

// TestClassifyPolicyBlock covers case B02: 5.7.x refuses the message for
// the sender's sake; the address stays.
func TestClassifyPolicyBlock(t *testing.T) {
	runClassifyCases(t, []classifyCase{
		{"B02 Gmail 550-5.7.1 unsolicited, multi-line", EndOfData,
			"550-5.7.1 [192.0.2.10 12] Our system has detected that this message is\n" +
				"550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n" +
				"550-5.7.1 this message has been blocked. Please visit\n" +
				"550-5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError\n" +
				"550 5.7.1 for more information. w28si1688632wra.157 - gsmtp", Blocked},
		{"Gmail 550 5.7.1 unusual rate, blocked", EndOfData,
			"550-5.7.1 Our system has detected an unusual rate of unsolicited mail\n" +
				"550 5.7.1 originating from your IP address. Mail sent from your IP address " +
				"has been blocked.", Blocked},
		{"Gmail 550 5.7.26 DMARC", EndOfData,
			"550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n" +
				"550 5.7.26 Gmail requires all senders to authenticate with either SPF or " +
				"DKIM.", Blocked},
		{"Microsoft 550 5.7.606 banned IP", Rcpt,
			"550 5.7.606 Access denied, banned sending IP [192.0.2.45]. To request removal " +
				"from this list " +
				"please visit https://sender.office.com/ and follow the directions. " +
				"AS(1430)", Blocked},
		{"Yahoo 553 5.7.2 TSS09", Mail,
			"553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; " +
				"Retrying will NOT succeed.", Blocked},
		{"554 5.7.1 relay access denied", Rcpt,
			"554 5.7.1 <wedge@example.com>: Relay access denied", Blocked},
		{"554 5.7.1 client host rejected at greeting", Greeting,
			"554 5.7.1 Client host rejected: blocked using zen.spamhaus.org", Blocked},
		{"550 not allowed, no enhanced code", Rcpt,
			"550 you are not allowed to send mail to <loretta@example.net>", Blocked},
		{"SES unverified identity", EndOfData,
			"554 Message rejected: Email address is not verified. The following identities " +
				"failed the check " +
				"in region US-EAST-1: news@example.org", Blocked},
		{"SendGrid unauthenticated", Mail, "550 Unauthenticated senders not allowed", Blocked},
		{"535 5.7.8 at AUTH", Auth,
			"535-5.7.8 Username and Password not accepted.\n535 5.7.8 " +
				"https://support.google.com/mail/?p=BadCredentials", Blocked},
		{"535 no enhanced code at AUTH", Auth, "535 Authentication failed", Blocked},
		{"530 5.7.0 at MAIL FROM", Mail, "530 5.7.0 Authentication Required", Blocked},
		{"553 5.1.8 sender domain at MAIL FROM", Mail,
			"553 5.1.8 <bounces@news.example.org>: Sender address rejected: Domain not " +
				"found", Blocked},
		{"550 5.1.1 at MAIL FROM is about the sender", Mail,
			"550 5.1.1 <bounces@news.example.org>: Sender unknown", Blocked},
		{"Postfix sender check at RCPT, 5.1.0 user unknown", Rcpt,
			"550 5.1.0 <bounces@news.example.org>: Sender address rejected: User unknown in " +
				"local recipient table", Blocked},
		{"Postfix sender domain at RCPT, 5.1.8", Rcpt,
			"553 5.1.8 <bounces@news.example.org>: Sender address rejected: Domain not " +
				"found", Blocked},
		{"sender domain does not exist, no enhanced code", Rcpt,
			"550 Sender domain does not exist", Blocked},
	})
}

// TestClassifyMailboxFull covers case B04: mailbox full is soft whatever the
// class digit. Only the enhanced code or the text distinguishes it from a
// hard bounce.
func TestClassifyMailboxFull(t *testing.T) {
	runClassifyCases(t, []classifyCase{
		{"B04 452 4.2.2 at RCPT", Rcpt,
			"452 4.2.2 The email account that you tried to reach is over quota.", Retry},
		{"A03 450 4.2.2", Rcpt, "450 4.2.2 <dave@example.com>... Mailbox Full (state 14)", Retry},
		{"B04 552 5.2.2 at end of data", EndOfData,
			"552 5.2.2 <sam@example.net> Quota exceeded (mailbox for user is full)", MailboxFull},
		{"B04 550 5.2.2 at RCPT", Rcpt, "550 5.2.2 <bob@example.com>... Mailbox Full", MailboxFull},
		{"5.2.2 with a sending-quota word stays mailbox", EndOfData,
			"552 5.2.2 Daily quota exceeded for this mailbox", MailboxFull},
		{"class digit disagrees: basic code wins", Rcpt, "550 4.2.2 mailbox full", MailboxFull},
		{"552 without enhanced code", EndOfData,
			"552 Requested mail action aborted: exceeded storage allocation", MailboxFull},
		{"552 without enhanced code, bare", EndOfData, "552 Sorry", MailboxFull},
		{"550 mailbox full text, no enhanced code", Rcpt, "550 Mailbox is full", MailboxFull},
		{"Gmail 450 4.2.1 receiving too fast", Rcpt,
			"450-4.2.1 The user you are trying to contact is receiving mail at a rate that\n" +
				"450-4.2.1 prevents additional messages from being delivered. Please\n" +
				"450 4.2.1 resend your message at a later time.", Retry},
		{"552 5.3.4 message too big", EndOfData,
			"552 5.3.4 Message size exceeds fixed maximum message size", Failed},
		{"552 message too big, no enhanced code", EndOfData,
			"552 Message size exceeds maximum permitted", Failed},
		{"552 5.3.4 at MAIL FROM (SIZE=)", Mail,
			"552 5.3.4 Message size exceeds fixed limit", Failed},
		{"452 4.3.1 insufficient storage", EndOfData,
			"452 4.3.1 Insufficient system storage", Retry},
		{"greylisting 451 4.7.1", Rcpt,
			"451 4.7.1 Greylisting in action, please come back later", Retry},
		{"postgrey 450 4.2.0", Rcpt,
			"450 4.2.0 <rita@example.com>: Recipient address rejected: Greylisted, see " +
				"http://postgrey.example.org/help.html", Retry},
		{"452 4.5.3 too many recipients", Rcpt, "452 4.5.3 Too many recipients", Retry},
		{"451 4.3.0 local problem", EndOfData,
			"451 4.3.0 Temporary local problem - please try later", Retry},
		{"450 4.1.1 recipient verification deferred", Rcpt,
			"450 4.1.1 <olivia@example.com>: Recipient address rejected: unverified address: " +
				"host not reachable", Retry},
	})
}

// TestClassifyHard covers case B05: a dead address at RCPT TO, and the other
// wordings of the same fact.
func TestClassifyHard(t *testing.T) {
	runClassifyCases(t, []classifyCase{
		{"B05 Gmail 550-5.1.1 multi-line", Rcpt,
			"550-5.1.1 The email account that you tried to reach does not exist. Please try\n" +
				"550-5.1.1 double-checking the recipient's email address for typos or\n" +
				"550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser",
			Hard},
		{"B05 250 2.1.5 at RCPT", Rcpt, "250 2.1.5 OK", Delivered},
		{"B05 250 2.0.0 at end of data", EndOfData, "250 2.0.0 OK", Delivered},
		{"A02 Exim alias", Rcpt, "550 5.1.1 unknown or illegal alias: carol@example.com", Hard},
		{"553 5.1.3 bad syntax", Rcpt,
			"553 5.1.3 The recipient address <bad@@example.com> is not a valid RFC 5321 " +
				"address.", Hard},
		{"Microsoft 550 5.1.10", Rcpt,
			"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP " +
				"address lookup", Hard},
		{"A05 Microsoft 5.1.351", EndOfData,
			"550 5.1.351 Remote server returned unknown recipient or mailbox unavailable -> " +
				"550 Unknown user frank@example.net", Hard},
		{"Gmail 550 5.2.1 disabled", Rcpt,
			"550 5.2.1 The email account that you tried to reach is disabled.", Hard},
		{"A01 550 5.2.1 user unknown", Rcpt, "550 5.2.1 <alice@example.com>... User Unknown", Hard},
		{"Yahoo 554 dd, no enhanced code", Rcpt,
			"554 delivery error: dd This user doesn't have a yahoo.com account " +
				"(nina@yahoo.example) [0] - mta1234.mail.ne1.yahoo.com", Hard},
		{"550 no such user, no enhanced code", Rcpt, "550 No such user here", Hard},
		{"550 5.0.0 user unknown", Rcpt, "550 5.0.0 <x@example.com>... User unknown", Hard},
		{"Postfix relay table, no enhanced code", Rcpt,
			"550 <x@example.com>: Recipient address rejected: User unknown in relay " +
				"recipient table", Hard},
		{"Postfix virtual table", Rcpt,
			"550 5.1.1 <x@example.com>: Recipient address rejected: User unknown in " +
				"virtual mailbox table", Hard},
		{"null MX 556 5.1.10", Rcpt, "556 5.1.10 Recipient address has null MX", Hard},
		{"550 5.1.1 at end of data", EndOfData,
			"550 5.1.1 <x@example.com>: Recipient address rejected: User unknown", Hard},
		{"Microsoft 550 5.4.1 access denied is not suppressed", Rcpt,
			"550 5.4.1 Recipient address rejected: Access denied. For more information see " +
				"https://aka.ms/EXOSmtpErrors [AM1PEPF000001.eurprd.prod.outlook.com]", Failed},
		{"550 mailbox unavailable is ambiguous", Rcpt,
			"550 Requested action not taken: mailbox unavailable", Failed},
		{"550 5.5.0 mailbox unavailable", Rcpt,
			"550 5.5.0 Requested action not taken: mailbox unavailable", Failed},
		{"554 5.6.0 content", EndOfData, "554 5.6.0 Message contains invalid header", Failed},
		{"554 transaction failed", EndOfData, "554 Transaction failed", Failed},
		{"501 5.5.4 at MAIL FROM", Mail, "501 5.5.4 Syntax error in parameters", Failed},
		{"554 no service at greeting", Greeting, "554 No SMTP service here", Failed},
	})
}

// TestClassifyAccountQuota covers case E04: rate limits and daily quotas of
// the sending account, distinguished from each other and from mailbox quotas.
func TestClassifyAccountQuota(t *testing.T) {
	runClassifyCases(t, []classifyCase{
		{"E04 SES rate at end of data", EndOfData,
			"454 Throttling failure: Maximum sending rate exceeded.", Throttled},
		{"E04 SES rate at MAIL FROM", Mail,
			"454 Throttling failure: Maximum sending rate exceeded.", Throttled},
		{"E04 SES rate at DATA", Data,
			"454 Throttling failure: Maximum sending rate exceeded.", Throttled},
		{"E04 SES daily quota at end of data", EndOfData,
			"454 Throttling failure: Daily message quota exceeded.", QuotaExceeded},
		{"E04 SES daily quota at MAIL FROM", Mail,
			"454 Throttling failure: Daily message quota exceeded.", QuotaExceeded},
		{"Gmail 550 5.4.5 sending quota", EndOfData,
			"550 5.4.5 Daily user sending quota exceeded. - gsmtp", QuotaExceeded},
		{"Microsoft submission quota", EndOfData,
			"554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed " +
				"to process " +
				"message due to a permanent exception with message Cannot submit " +
				"message.", QuotaExceeded},
		{"550 5.7.1 quota for the account", EndOfData,
			"550 5.7.1 Sending quota exceeded for this account", QuotaExceeded},
		{"550 5.7.0 quota exceeded", Mail, "550 5.7.0 Quota exceeded", QuotaExceeded},
		{"5.7.1 about a full mailbox is not the sender's quota", Rcpt,
			"550 5.7.1 <x@example.com>: Recipient address rejected: user over quota", Blocked},
		{"relay daily limit at MAIL FROM", Mail,
			"452 4.5.3 Daily message limit exceeded", QuotaExceeded},
		{"relay per-second limit at MAIL FROM", Mail,
			"452 4.4.5 Messages per second limit exceeded", Throttled},
		{"SendGrid credits", Mail,
			"451 Authentication failed: Maximum credits exceeded", QuotaExceeded},
		{"SendGrid deferral", Rcpt, "421 Message from (192.0.2.7) temporarily deferred", Throttled},
		{"SendGrid too frequent connects", Rcpt,
			"450 too frequent connects from 192.0.2.7, please try again later.", Throttled},
		{"Mailgun-style recipient limit", Mail,
			"421 Domain news.example.org is not allowed to send: recipient limit exceeded, " +
				"try again after 07:00 UTC", Throttled},
		{"550 too many messages at AUTH", Auth,
			"550 Too many messages. Try again in 92 seconds.", Throttled},
		{"550 5.7.1 rate limit", EndOfData,
			"550 5.7.1 Rate limit exceeded for this sender", Throttled},
		{"Gmail 454 4.7.0 login attempts at AUTH", Auth,
			"454 4.7.0 Too many login attempts, please try again later.", Throttled},
		{"454 temporary auth failure", Auth, "454 Temporary authentication failure", Retry},
	})
}

func TestClassifyOddCodes(t *testing.T) {
	tests := []struct {
		r    Reply
		want Class
	}{
		{Reply{Code: 354, Text: "Go ahead"}, Failed},
		{Reply{Code: 0}, Failed},
		{Reply{Code: 250, Enhanced: "5.1.1", Text: "OK"}, Delivered},
		// An Enhanced field left empty by hand is read from the text.
		{Reply{Code: 550, Text: "5.1.1 user unknown"}, Hard},
		{Reply{Code: 550, Enhanced: "5.2.2", Text: "Quota exceeded"}, MailboxFull},
	}
	for _, tc := range tests {
		if got := Classify(Rcpt, tc.r); got != tc.want {
			t.Errorf("Classify(Rcpt, %v) = %v, want %v", tc.r, got, tc.want)
		}
	}
}

func TestClassAndStageStrings(t *testing.T) {
	for c := Unclassified; c <= Uncertain; c++ {
		if s := c.String(); s == "" || (c != Unclassified && s == "unclassified") {
			t.Errorf("Class(%d).String() = %q", int(c), s)
		}
	}
	if got := Class(99).String(); got != "unclassified" {
		t.Errorf("Class(99).String() = %q", got)
	}
	if got := MailboxFull.String(); got != "mailbox_full" {
		t.Errorf("MailboxFull.String() = %q", got)
	}
	if got := EndOfData.String(); got != "end_of_data" {
		t.Errorf("EndOfData.String() = %q", got)
	}
	if got := Stage(-1).String(); got != "unknown" {
		t.Errorf("Stage(-1).String() = %q", got)
	}
}

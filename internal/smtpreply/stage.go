package smtpreply

// Stage is the point of the SMTP transaction at which a reply or error came.
// The same reply means different things at different stages: a 421 to MAIL
// FROM is about the sending account or IP, a 421 to RCPT TO about one
// recipient.
type Stage int

// Stages of one SMTP transaction, in protocol order.
const (
	Connect   Stage = iota // opening the TCP (or TLS) connection
	Greeting               // reading the server's 220 banner
	Hello                  // EHLO/HELO, and STARTTLS with the EHLO after it
	Auth                   // AUTH
	Mail                   // MAIL FROM
	Rcpt                   // RCPT TO
	Data                   // the DATA command and writing the message body
	EndOfData              // the reply to the final "." that ends the body
)

var stageNames = [...]string{
	Connect:   "connect",
	Greeting:  "greeting",
	Hello:     "hello",
	Auth:      "auth",
	Mail:      "mail",
	Rcpt:      "rcpt",
	Data:      "data",
	EndOfData: "end_of_data",
}

func (s Stage) String() string {
	if s < 0 || int(s) >= len(stageNames) {
		return "unknown"
	}
	return stageNames[s]
}

// aboutSender reports whether replies at s concern the session, the sending
// account or the sending IP rather than a recipient: no recipient has been
// named yet.
func (s Stage) aboutSender() bool {
	return s <= Mail
}

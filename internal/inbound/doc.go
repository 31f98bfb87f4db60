// Package inbound receives what comes back to pacer and stores it for the
// bounce processor: an SMTP server for the bounce domain (delivery status
// notifications, feedback-loop complaints, auto-replies and mailto
// unsubscribe requests), the parsers of provider notifications posted to the
// API (a generic JSON form and Amazon SES through SNS), and a sweeper that
// starts processing for rows whose workflow was never started and deletes
// rows past retention.
//
// # SMTP server
//
// [Server] accepts mail only for the bounce domain (and the return path
// domains of sending domains, see Config.Domains) and only for the local
// parts pacer hands out or that feedback loops are registered with:
// bounces and bounces+<token> (VERP return paths), unsubscribe+<token> (the
// List-Unsubscribe mailto address), postmaster, abuse and fbl, plus
// <postmaster> without a domain as RFC 5321 section 4.1.1.3 requires. Other
// recipients get 550 5.1.1. A message larger than Config.MaxMessageBytes
// gets 552 5.3.4 (announced with the SIZE extension, RFC 1870); the server
// holds at most that many bytes of it and discards the rest as it arrives.
//
// The server answers 250 only after the message is committed to
// PostgreSQL, and starts its workflow after answering. When the start fails
// (Temporal is down) the row stays received and [Sweeper] starts it later.
//
// Deliberate departures from a general-purpose MX: a message is stored once,
// with one envelope recipient (the first with a +token, else the first), so
// a message to several of our addresses is processed for one of them; and
// the server advertises neither STARTTLS nor AUTH, since it listens on
// loopback behind the MTA that receives the bounce domain's mail.
package inbound

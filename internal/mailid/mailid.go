// Package mailid encodes and verifies the identifiers pacer puts into every
// message it sends: the VERP return path, the Message-ID, the X-Pacer-ID
// header and the List-Unsubscribe mailto address.
//
// Each identifier names a campaign and a subscriber and carries a truncated
// HMAC-SHA256 over both, so a bounce or unsubscribe mail can be traced back to
// its recipient while a forged or altered identifier is rejected.
package mailid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
)

// Local-part prefixes of the addresses pacer generates.
const (
	BouncePrefix      = "bounces"
	UnsubscribePrefix = "unsubscribe"
)

// HeaderName is the header that carries the signed identifier in every message.
const HeaderName = "X-Pacer-ID"

// macLength is the number of base32 characters kept from the HMAC (80 bits).
const macLength = 16

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// ID names one message: the campaign and the subscriber it was sent to.
type ID struct {
	CampaignID   int64
	SubscriberID int64
}

// Signer signs and verifies identifiers with one secret key.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer for key, which must be at least 16 bytes long.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("mailid: signing key is %d bytes, need at least 16: set a longer secret", len(key))
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// MAC returns the lower-case base32 HMAC of the given parts.
func (s *Signer) MAC(parts ...string) string {
	h := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return strings.ToLower(encoding.EncodeToString(h.Sum(nil))[:macLength])
}

// VerifyMAC reports whether mac is the MAC of parts, in constant time.
func (s *Signer) VerifyMAC(mac string, parts ...string) bool {
	return hmac.Equal([]byte(strings.ToLower(mac)), []byte(s.MAC(parts...)))
}

// Token returns "<campaign>.<subscriber>.<mac>" for id.
func (s *Signer) Token(id ID) string {
	c := strconv.FormatInt(id.CampaignID, 10)
	sub := strconv.FormatInt(id.SubscriberID, 10)
	return c + "." + sub + "." + s.MAC("id", c, sub)
}

// ParseToken verifies a token made by [Signer.Token] and returns its ID.
func (s *Signer) ParseToken(token string) (ID, bool) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return ID{}, false
	}
	c, err1 := strconv.ParseInt(parts[0], 10, 64)
	sub, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || c <= 0 || sub <= 0 {
		return ID{}, false
	}
	if !s.VerifyMAC(parts[2], "id", parts[0], parts[1]) {
		return ID{}, false
	}
	return ID{CampaignID: c, SubscriberID: sub}, true
}

// ReturnPath returns the VERP envelope sender for id on domain, for example
// "bounces+12.345.abcdefghijklmnop@bounce.example.org".
func (s *Signer) ReturnPath(id ID, domain string) string {
	return BouncePrefix + "+" + s.Token(id) + "@" + domain
}

// UnsubscribeAddress returns the mailto address of the List-Unsubscribe header.
func (s *Signer) UnsubscribeAddress(id ID, domain string) string {
	return UnsubscribePrefix + "+" + s.Token(id) + "@" + domain
}

// MessageID returns the Message-ID for id, without angle brackets. It is the
// same for every attempt, so a message resent after an uncertain delivery is
// recognisable as the same message downstream.
func (s *Signer) MessageID(id ID, domain string) string {
	return "pacer." + s.Token(id) + "@" + domain
}

// Kind says which generated address an address is.
type Kind int

// Kinds of generated addresses.
const (
	KindNone Kind = iota
	KindBounce
	KindUnsubscribe
)

// ParseAddress recognises a return path or unsubscribe address made by this
// signer, in any letter case, with or without angle brackets.
func (s *Signer) ParseAddress(addr string) (ID, Kind, bool) {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ID{}, KindNone, false
	}
	local := strings.ToLower(addr[:at])
	prefix, token, ok := strings.Cut(local, "+")
	if !ok {
		return ID{}, KindNone, false
	}
	var kind Kind
	switch prefix {
	case BouncePrefix:
		kind = KindBounce
	case UnsubscribePrefix:
		kind = KindUnsubscribe
	default:
		return ID{}, KindNone, false
	}
	id, ok := s.ParseToken(token)
	if !ok {
		return ID{}, KindNone, false
	}
	return id, kind, true
}

// ParseMessageID recognises a Message-ID made by [Signer.MessageID].
func (s *Signer) ParseMessageID(messageID string) (ID, bool) {
	v := strings.Trim(strings.TrimSpace(messageID), "<>")
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		return ID{}, false
	}
	token, ok := strings.CutPrefix(strings.ToLower(v[:at]), "pacer.")
	if !ok {
		return ID{}, false
	}
	return s.ParseToken(token)
}

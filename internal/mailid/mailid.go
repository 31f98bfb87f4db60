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
	"hash"
	"strconv"
	"strings"
	"sync"
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

// macBytes is the number of HMAC bytes that macLength base32 characters
// encode. Base32 turns every 5 bytes into 8 characters on their own, so
// encoding these bytes gives the same characters as encoding the whole sum
// and keeping the first macLength.
const macBytes = macLength * 5 / 8

// encoding is standard base32 (RFC 4648) with a lower-case alphabet, so it
// produces what strings.ToLower makes of base32.StdEncoding's output.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ID names one message: the campaign and the subscriber it was sent to.
type ID struct {
	CampaignID   int64
	SubscriberID int64
}

// Signer signs and verifies identifiers with one secret key. It is safe for
// concurrent use.
type Signer struct {
	key []byte
	// macs contains *macState values, so that computing a MAC reuses a keyed
	// HMAC instead of setting up a new one.
	macs sync.Pool
}

// macState is one reusable HMAC computation.
type macState struct {
	h   hash.Hash // HMAC-SHA256 with the signer's key
	msg []byte    // the signed message, built before one Write
	sum []byte    // the HMAC
}

// NewSigner returns a Signer for key, which must be at least 16 bytes long.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("mailid: signing key is %d bytes, need at least 16: set a longer secret", len(key))
	}
	s := &Signer{key: append([]byte(nil), key...)}
	s.macs.New = func() any {
		return &macState{h: hmac.New(sha256.New, s.key), sum: make([]byte, 0, sha256.Size)}
	}
	return s, nil
}

// MAC returns the lower-case base32 HMAC of the given parts: the first 16
// characters of the HMAC-SHA256 of every part followed by a zero byte.
func (s *Signer) MAC(parts ...string) string {
	var buf [macLength]byte
	return string(s.AppendMAC(buf[:0], parts...))
}

// AppendMAC appends [Signer.MAC] of parts to dst.
func (s *Signer) AppendMAC(dst []byte, parts ...string) []byte {
	st := s.macs.Get().(*macState)
	msg := st.msg[:0]
	for _, p := range parts {
		msg = append(msg, p...)
		msg = append(msg, 0)
	}
	return s.appendSum(dst, st, msg)
}

// AppendMACBytes appends [Signer.MAC] of parts to dst, for parts held in
// byte slices. A part may be a slice of dst.
func (s *Signer) AppendMACBytes(dst []byte, parts ...[]byte) []byte {
	st := s.macs.Get().(*macState)
	// The parts are copied into the message before dst grows, which keeps
	// parts that alias dst intact.
	msg := st.msg[:0]
	for _, p := range parts {
		msg = append(msg, p...)
		msg = append(msg, 0)
	}
	return s.appendSum(dst, st, msg)
}

// appendSum appends the MAC of msg to dst and returns st, taken from s.macs,
// to the pool.
func (s *Signer) appendSum(dst []byte, st *macState, msg []byte) []byte {
	st.h.Reset()
	st.h.Write(msg)
	st.sum = st.h.Sum(st.sum[:0])
	dst = encoding.AppendEncode(dst, st.sum[:macBytes])
	st.msg = msg
	s.macs.Put(st)
	return dst
}

// VerifyMAC reports whether mac is the MAC of parts, in constant time.
func (s *Signer) VerifyMAC(mac string, parts ...string) bool {
	var buf [macLength]byte
	return hmac.Equal([]byte(strings.ToLower(mac)), s.AppendMAC(buf[:0], parts...))
}

// Token returns "<campaign>.<subscriber>.<mac>" for id.
func (s *Signer) Token(id ID) string {
	var buf [64]byte
	return string(s.AppendToken(buf[:0], id))
}

// AppendToken appends [Signer.Token] of id to dst.
func (s *Signer) AppendToken(dst []byte, id ID) []byte {
	var ids [2 * 20]byte // two int64 in decimal, with signs
	c := strconv.AppendInt(ids[:0], id.CampaignID, 10)
	sub := strconv.AppendInt(ids[len(c):len(c)], id.SubscriberID, 10)
	dst = append(dst, c...)
	dst = append(dst, '.')
	dst = append(dst, sub...)
	dst = append(dst, '.')
	return s.AppendMACBytes(dst, []byte(tokenMACLabel), c, sub)
}

// tokenMACLabel separates the MACs of tokens from other MACs of the signer.
const tokenMACLabel = "id"

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
	if !s.VerifyMAC(parts[2], tokenMACLabel, parts[0], parts[1]) {
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

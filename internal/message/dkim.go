package message

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
)

// SignedFields are the header fields a DKIM signature covers. A field the
// message lacks, such as Reply-To, is still listed, so that adding it later
// breaks the signature (RFC 6376, section 5.4).
var SignedFields = []string{
	"From", "Reply-To", "To", "Subject", "Date", "Message-ID", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding", "List-Unsubscribe", "List-Unsubscribe-Post",
}

// DKIMKey signs messages for one domain and selector with an RSA or Ed25519
// private key. It never shows the private key: String, GoString and every
// fmt verb print the domain, selector and algorithm only.
type DKIMKey struct {
	domain, selector string
	algorithm        string // "rsa" or "ed25519"
	record           string
	// sign holds the private key in its closure, where no fmt verb and no
	// reflection reaches it, even when a DKIMKey is an unexported field.
	sign func(msg []byte) (string, error)
}

// NewDKIMKey returns the key for domain and selector. The signer must be an
// RSA key of at least 2048 bits or an Ed25519 key, as [GenerateKey] and
// [ParsePrivateKey] return.
func NewDKIMKey(domain, selector string, signer crypto.Signer) (*DKIMKey, error) {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	selector = strings.ToLower(strings.TrimSpace(selector))
	if domain == "" || selector == "" || checkToken("DKIM domain", domain) != nil ||
		checkToken("DKIM selector", selector) != nil || strings.ContainsAny(selector+domain, ";=") {
		return nil, fmt.Errorf("message: DKIM domain %q and selector %q: want DNS names", domain, selector)
	}
	var algorithm, p string
	switch pub := signer.Public().(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("message: DKIM RSA key has %d bits, want at least 2048", pub.N.BitLen())
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("message: DKIM public key: %w", err)
		}
		algorithm, p = "rsa", base64.StdEncoding.EncodeToString(der)
	case ed25519.PublicKey:
		algorithm, p = "ed25519", base64.StdEncoding.EncodeToString(pub) // RFC 8463: the raw key
	default:
		return nil, fmt.Errorf("message: DKIM key of type %T: want RSA or Ed25519", pub)
	}
	options := &dkim.SignOptions{
		Domain:                 domain,
		Selector:               selector,
		Signer:                 signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             SignedFields,
	}
	return &DKIMKey{
		domain: domain, selector: selector, algorithm: algorithm,
		record: "v=DKIM1; k=" + algorithm + "; p=" + p,
		sign:   func(msg []byte) (string, error) { return sign(options, msg) },
	}, nil
}

// Domain returns the signing domain, the d= tag.
func (k *DKIMKey) Domain() string { return k.domain }

// Selector returns the selector, the s= tag.
func (k *DKIMKey) Selector() string { return k.selector }

// Algorithm returns "rsa" or "ed25519".
func (k *DKIMKey) Algorithm() string { return k.algorithm }

// DNSName returns the name of the TXT record that publishes the public key,
// <selector>._domainkey.<domain>.
func (k *DKIMKey) DNSName() string { return k.selector + "._domainkey." + k.domain }

// DNSRecord returns the TXT record's value, "v=DKIM1; k=rsa; p=...". An RSA
// record is longer than the 255 octets of one DNS string: enter it as several
// quoted strings, which resolvers join, if the DNS provider does not split it.
func (k *DKIMKey) DNSRecord() string { return k.record }

// String describes the key without its secret part.
func (k DKIMKey) String() string {
	return "DKIMKey(" + k.algorithm + ", " + k.selector + "._domainkey." + k.domain + ", private key redacted)"
}

// GoString is String, for %#v.
func (k DKIMKey) GoString() string { return k.String() }

// Format prints String for every verb, so that no verb shows the key.
func (k DKIMKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// sign returns the DKIM-Signature field, with its CRLF, for msg.
func sign(options *dkim.SignOptions, msg []byte) (string, error) {
	s, err := dkim.NewSigner(options)
	if err != nil {
		return "", fmt.Errorf("message: DKIM: %w", err)
	}
	if _, err := s.Write(msg); err != nil {
		s.Close()
		return "", fmt.Errorf("message: DKIM: %w", err)
	}
	if err := s.Close(); err != nil {
		return "", fmt.Errorf("message: DKIM: %w", err)
	}
	return s.Signature(), nil
}

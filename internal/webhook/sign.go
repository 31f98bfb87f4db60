package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Request headers of every delivery.
const (
	HeaderEventID   = "X-Pacer-Event-Id"
	HeaderEventType = "X-Pacer-Event-Type"
	HeaderTimestamp = "X-Pacer-Timestamp"
	HeaderSignature = "X-Pacer-Signature"
)

// signatureVersion prefixes the hex digest, so the scheme can change
// without receivers mistaking one digest for another.
const signatureVersion = "v1="

// Sign returns the X-Pacer-Signature value of body sent at unix time ts:
// "v1=" followed by the hex HMAC-SHA256, keyed with secret, of the decimal
// timestamp, a dot and the body.
func Sign(secret string, ts int64, body []byte) string {
	return signatureVersion + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of [Verify].
var (
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrStale        = errors.New("webhook: timestamp outside the tolerance")
)

// Verify checks the X-Pacer-Timestamp and X-Pacer-Signature header values
// of a received body, as a receiver does. The signature header may list
// several comma-separated values; one matching v1 value is enough. A
// positive tolerance also rejects timestamps further than it from now.
func Verify(secret string, body []byte, timestamp, signature string, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: timestamp %q is not unix seconds", timestamp)
	}
	if tolerance > 0 {
		if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
			return ErrStale
		}
	}
	want := mac(secret, ts, body)
	for _, s := range strings.Split(signature, ",") {
		digest, ok := strings.CutPrefix(strings.TrimSpace(s), signatureVersion)
		if !ok {
			continue
		}
		got, err := hex.DecodeString(digest)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// NewSecret returns a random signing secret: "whsec_" and 64 hex digits.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: new secret: %w", err)
	}
	return "whsec_" + hex.EncodeToString(b), nil
}

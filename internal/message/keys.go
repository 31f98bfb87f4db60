package message

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// GenerateKey makes a new DKIM private key: "rsa" for RSA 2048, which every
// receiver verifies, or "ed25519" (RFC 8463), which is small and fast but not
// verified everywhere yet, so publish it next to an RSA key.
func GenerateKey(algorithm string) (crypto.Signer, error) {
	switch algorithm {
	case "rsa":
		return rsa.GenerateKey(rand.Reader, 2048)
	case "ed25519":
		_, key, err := ed25519.GenerateKey(rand.Reader)
		return key, err
	}
	return nil, fmt.Errorf("message: DKIM algorithm %q: want \"rsa\" or \"ed25519\"", algorithm)
}

// ParsePrivateKey reads a PEM private key: PKCS#1 ("RSA PRIVATE KEY") or
// PKCS#8 ("PRIVATE KEY") holding RSA or Ed25519.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("message: DKIM key: no PEM block found")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("message: DKIM key: %w", err)
		}
		return key, nil
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("message: DKIM key: %w", err)
		}
		switch key := key.(type) {
		case *rsa.PrivateKey:
			return key, nil
		case ed25519.PrivateKey:
			return key, nil
		default:
			return nil, fmt.Errorf("message: DKIM key of type %T: want RSA or Ed25519", key)
		}
	}
	return nil, fmt.Errorf("message: DKIM key: PEM block %q: want \"PRIVATE KEY\" or \"RSA PRIVATE KEY\"", block.Type)
}

// MarshalPrivateKey returns key as a PKCS#8 PEM block, for storage.
func MarshalPrivateKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("message: DKIM key of type %T: %w", key, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

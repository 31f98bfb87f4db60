package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// tokenPrefix marks pacer API tokens so they are easy to spot in secret scanners.
const tokenPrefix = "pcr_"

// CreateAPIToken creates a bearer token and returns it. Only its SHA-256 is
// stored, so the token is shown once.
func (db *DB) CreateAPIToken(ctx context.Context, name string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := tokenPrefix + hex.EncodeToString(b)
	_, err := db.pool.Exec(ctx, `INSERT INTO api_tokens (name, token_hash) VALUES ($1, $2)`, name, hashToken(token))
	if err != nil {
		return "", fmt.Errorf("store: create api token %q: %w", name, err)
	}
	return token, nil
}

// CheckAPIToken reports whether token is a valid API token.
func (db *DB) CheckAPIToken(ctx context.Context, token string) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM api_tokens WHERE token_hash = $1)`, hashToken(token)).Scan(&ok)
	return ok, err
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SendingDomain is a domain campaigns send From, with the DKIM key that
// signs their mail. The private key is never serialised or printed.
type SendingDomain struct {
	ID            int64  `json:"id"`
	Domain        string `json:"domain"`
	DKIMSelector  string `json:"dkim_selector"`
	DKIMAlgorithm string `json:"dkim_algorithm"`
	// DKIMPrivateKey is the PKCS#8 PEM of the key.
	DKIMPrivateKey Secret `json:"-"`
	// SPFInclude and SendingHost are what the SPF check looks for.
	SPFInclude  string `json:"spf_include"`
	SendingHost string `json:"sending_host"`
	// ReturnPathDomain is the envelope sender's domain; empty means the
	// global bounce domain.
	ReturnPathDomain string    `json:"return_path_domain"`
	CreatedAt        time.Time `json:"created_at"`
}

// Secret is a string that fmt (any verb, also inside a struct), zap and
// JSON never show. Convert it with string() where the value is needed.
type Secret string

const redacted = "[redacted]"

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON writes "[redacted]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText writes "[redacted]", for encoders that prefer text.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// ErrDomainExists is returned when a sending domain is added twice.
var ErrDomainExists = errors.New("sending domain already exists")

const domainColumns = `id, domain, dkim_selector, dkim_algorithm, dkim_private_key, spf_include,
	sending_host, return_path_domain, created_at`

func scanDomain(row interface{ Scan(...any) error }) (SendingDomain, error) {
	var d SendingDomain
	var key string
	err := row.Scan(&d.ID, &d.Domain, &d.DKIMSelector, &d.DKIMAlgorithm, &key, &d.SPFInclude,
		&d.SendingHost, &d.ReturnPathDomain, &d.CreatedAt)
	d.DKIMPrivateKey = Secret(key)
	return d, err
}

// CreateSendingDomain inserts a sending domain; ErrDomainExists when the
// domain is already there.
func (db *DB) CreateSendingDomain(ctx context.Context, d SendingDomain) (SendingDomain, error) {
	row := db.pool.QueryRow(ctx, `
		INSERT INTO sending_domains (domain, dkim_selector, dkim_algorithm, dkim_private_key,
			spf_include, sending_host, return_path_domain)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+domainColumns,
		d.Domain, d.DKIMSelector, d.DKIMAlgorithm, string(d.DKIMPrivateKey), d.SPFInclude,
		d.SendingHost, d.ReturnPathDomain)
	out, err := scanDomain(row)
	if isUniqueViolation(err) {
		return SendingDomain{}, fmt.Errorf("%s: %w", d.Domain, ErrDomainExists)
	}
	if err != nil {
		return SendingDomain{}, fmt.Errorf("store: create sending domain %q: %w", d.Domain, err)
	}
	return out, nil
}

// GetSendingDomain returns one sending domain.
func (db *DB) GetSendingDomain(ctx context.Context, id int64) (SendingDomain, error) {
	row := db.pool.QueryRow(ctx, `SELECT `+domainColumns+` FROM sending_domains WHERE id = $1`, id)
	d, err := scanDomain(row)
	if err != nil {
		return SendingDomain{}, notFound(err, "sending domain", id)
	}
	return d, nil
}

// ListSendingDomains returns every sending domain in name order.
func (db *DB) ListSendingDomains(ctx context.Context) ([]SendingDomain, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+domainColumns+` FROM sending_domains ORDER BY domain`)
	if err != nil {
		return nil, fmt.Errorf("store: list sending domains: %w", err)
	}
	defer rows.Close()
	out := []SendingDomain{}
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// SendingDomainFor returns the sending domain that signs mail From domain:
// the domain itself, or else its closest parent that is a sending domain
// (DMARC relaxed alignment). ErrNotFound when there is none.
func (db *DB) SendingDomainFor(ctx context.Context, domain string) (SendingDomain, error) {
	// A parent matches when domain ends in "." + its name.
	d, err := scanDomain(db.pool.QueryRow(ctx, `
		SELECT `+domainColumns+` FROM sending_domains
		WHERE domain = $1 OR right($1, length(domain) + 1) = '.' || domain
		ORDER BY length(domain) DESC LIMIT 1`, domain))
	if errors.Is(err, pgx.ErrNoRows) {
		return SendingDomain{}, fmt.Errorf("sending domain for %q: %w", domain, ErrNotFound)
	}
	if err != nil {
		return SendingDomain{}, fmt.Errorf("store: sending domain for %q: %w", domain, err)
	}
	return d, nil
}

// Package store is pacer's PostgreSQL layer: one *DB with a method per query,
// grouped into one file per table or concern. Fixed queries are raw SQL;
// squirrel builds only the queries whose shape depends on input.
package store

import (
	"context"
	"errors"
	"fmt"

	sq "github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned when a row looked up by id does not exist.
var ErrNotFound = errors.New("not found")

// psql builds squirrel queries with $N placeholders.
var psql = sq.StatementBuilder.PlaceholderFormat(sq.Dollar)

// DB is the PostgreSQL connection pool with pacer's queries as methods.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to the database at url and checks that it answers.
func Open(ctx context.Context, url string, maxConns int32) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: invalid database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: database at %s:%d does not answer: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return &DB{pool: pool}, nil
}

// Close closes every connection of the pool.
func (db *DB) Close() { db.pool.Close() }

// Pool returns the underlying pool, for health checks and tests.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Transact runs fn in a transaction and commits it when fn returns nil. It
// retries fn up to three times on serialization failures and deadlocks.
func (db *DB) Transact(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for range 3 {
		err = pgx.BeginFunc(ctx, db.pool, fn)
		if !isRetryable(err) {
			return err
		}
	}
	return err
}

func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func notFound(err error, what string, id int64) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s %d: %w", what, id, ErrNotFound)
	}
	return err
}

// sqlNow is now() for squirrel's Set.
var sqlNow = sq.Expr("now()")

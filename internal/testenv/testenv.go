// Package testenv gives tests the real services `make test` starts: a fresh
// PostgreSQL database per test, the Temporal dev server and scripted SMTP
// servers. Without the services a test is skipped, unless
// PACER_TEST_REQUIRE=1 (set by scripts/test.sh) makes it fail instead.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"

	"github.com/pacer-email/pacer/internal/store"
)

func unavailable(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("PACER_TEST_REQUIRE") == "1" {
		t.Fatalf("%s is not configured; run the tests with `make test`", what)
	}
	t.Skipf("%s is not configured; `make test` starts it", what)
}

// RandomSuffix returns 8 random hex characters for unique names.
func RandomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// DatabaseURL creates an empty database for this test, drops it when the
// test ends, and returns its URL.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("PACER_TEST_DATABASE_URL")
	if admin == "" {
		unavailable(t, "PostgreSQL (PACER_TEST_DATABASE_URL)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer conn.Close(context.Background())
	name := "pacer_test_" + RandomSuffix()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("PACER_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// DB returns a migrated store on a fresh database.
func DB(t testing.TB) *store.DB {
	t.Helper()
	u := DatabaseURL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, u, 40)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// TemporalAddress returns the test Temporal server's host:port.
func TemporalAddress(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("PACER_TEST_TEMPORAL_ADDRESS")
	if addr == "" {
		unavailable(t, "Temporal (PACER_TEST_TEMPORAL_ADDRESS)")
	}
	return addr
}

// Temporal returns a client of the test Temporal server.
func Temporal(t testing.TB) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: TemporalAddress(t), Logger: quietLogger{}})
	if err != nil {
		t.Fatalf("connect to Temporal: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// TaskQueue returns a task queue name unique to this test.
func TaskQueue(t testing.TB, role string) string {
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return fmt.Sprintf("test-%s-%s-%s", name, role, RandomSuffix())
}

// quietLogger drops the SDK's logs, which would drown test output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

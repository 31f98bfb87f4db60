package inbound_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/inbound"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
)

const domain = "bounces.example.org"

// harness is an inbound server on 127.0.0.1 whose start function processes
// each stored message at once with the real activity, in place of a
// workflow.
type harness struct {
	t      *testing.T
	addr   string
	db     *store.DB
	signer *mailid.Signer
	done   chan int64
}

func newHarness(t *testing.T, cfg inbound.Config) *harness {
	t.Helper()
	db := testenv.DB(t)
	signer, err := mailid.NewSigner([]byte("inbound-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	acts := &activities.Activities{DB: db, Log: log, Signer: signer}
	h := &harness{t: t, db: db, signer: signer, done: make(chan int64, 100)}
	start := func(ctx context.Context, id int64) error {
		_, err := acts.ProcessInbound(ctx, activities.InboundInput{InboundID: id})
		h.done <- id
		return err
	}
	h.addr = serve(t, cfg, db, start)
	return h
}

// serve starts a server for the test and stops it at cleanup.
func serve(t *testing.T, cfg inbound.Config, db inbound.Saver, start inbound.StartFunc) string {
	t.Helper()
	cfg.Domain = domain
	srv, err := inbound.NewServer(cfg, db, start, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

// processed waits for the next processed message and returns its row.
func (h *harness) processed() store.InboundMessage {
	h.t.Helper()
	select {
	case id := <-h.done:
		m, err := h.db.GetInbound(context.Background(), id)
		if err != nil {
			h.t.Fatal(err)
		}
		return m
	case <-time.After(30 * time.Second):
		h.t.Fatal("no message was processed within 30s")
	}
	return store.InboundMessage{}
}

// send delivers data with the go-smtp client and returns the server's
// error, nil for 250.
func (h *harness) send(rcpt string, data []byte) error {
	return sendMail(h.addr, rcpt, data)
}

// sendMail is smtp.SendMail without its demand for STARTTLS, which the
// server does not offer on loopback.
func sendMail(addr, rcpt string, data []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail("", nil); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// subscribe adds subscribers, so the verdicts about them are matched.
func (h *harness) subscribe(emails ...string) {
	h.t.Helper()
	ctx := context.Background()
	list, err := h.db.CreateList(ctx, "inbound test")
	if err != nil {
		h.t.Fatal(err)
	}
	i := 0
	_, err = h.db.ImportSubscribers(ctx, list.ID, func() (store.ImportRow, bool, error) {
		if i == len(emails) {
			return store.ImportRow{}, false, nil
		}
		i++
		return store.ImportRow{Line: i, Email: emails[i-1], Key: strings.ToLower(emails[i-1])}, true, nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) count() int {
	h.t.Helper()
	var n int
	if err := h.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM inbound_messages`).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func wantSMTPError(t *testing.T, err error, code int, enhanced smtp.EnhancedCode) {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want SMTP %d %v", err, code, enhanced)
	}
	if se.Code != code || se.EnhancedCode != enhanced {
		t.Errorf("reply = %d %v %q, want %d %v", se.Code, se.EnhancedCode, se.Message, code, enhanced)
	}
}

func readCase(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "bounce", "testdata", "cases", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func crlf(raw []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

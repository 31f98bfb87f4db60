package inbound_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/pacer-email/pacer/internal/inbound"
	"github.com/pacer-email/pacer/internal/store"
)

func TestServerStoresThenProcesses(t *testing.T) {
	h := newHarness(t, inbound.Config{})
	h.subscribe("alice@example.com", "bob@example.com")
	raw := readCase(t, "A01.eml")
	if err := h.send("bounces@"+domain, raw); err != nil {
		t.Fatalf("delivery failed: %v", err)
	}
	m := h.processed()

	if m.Source != store.SourceSMTP || m.EnvelopeRecipient != "bounces@"+domain || m.EnvelopeSender != "" {
		t.Errorf("envelope = %s from %q to %q", m.Source, m.EnvelopeSender, m.EnvelopeRecipient)
	}
	if !bytes.Equal(m.Raw, crlf(raw)) || m.Size != len(m.Raw) {
		t.Errorf("stored %d bytes (size %d), want the %d bytes sent", len(m.Raw), m.Size, len(crlf(raw)))
	}
	if m.Status != store.InboundProcessed || m.ReportKind != "dsn" {
		t.Errorf("row = %s %s, want processed dsn", m.Status, m.ReportKind)
	}
}

func TestServerRecipients(t *testing.T) {
	h := newHarness(t, inbound.Config{})
	tests := []struct {
		rcpt string
		ok   bool
	}{
		{"bounces+12.345.abcdefghijklmnop@" + domain, true},
		{"Bounces+12.345.ABCDEFGHIJKLMNOP@Bounces.Example.ORG", true},
		{"bounces@" + domain, true},
		{"unsubscribe+12.345.abcdefghijklmnop@" + domain, true},
		{"postmaster@" + domain, true},
		{"postmaster", true}, // RFC 5321 section 4.1.1.3
		{"abuse@" + domain, true},
		{"fbl@" + domain, true},
		{"unsubscribe@" + domain, false},
		{"bounces+@" + domain, false},
		{"info@" + domain, false},
		{"bounces@example.org", false},
		{"bounces@sub." + domain, false},
		{"someone@example.com", false},
	}
	c, err := smtp.Dial(h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("", nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		err := c.Rcpt(tc.rcpt, nil)
		if tc.ok && err != nil {
			t.Errorf("RCPT %s: %v, want 250", tc.rcpt, err)
		}
		if !tc.ok {
			wantSMTPError(t, err, 550, smtp.EnhancedCode{5, 1, 1})
		}
		if err := c.Reset(); err != nil {
			t.Fatal(err)
		}
		if err := c.Mail("", nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServerReturnPathDomains(t *testing.T) {
	calls := 0
	addr := serve(t, inbound.Config{Domains: func(context.Context) ([]string, error) {
		calls++
		return []string{"Bounces.News.Example.ORG"}, nil
	}}, failingSaver{}, nil)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("bounces+1.2.abcdefghijklmnop@bounces.news.example.org", nil); err != nil {
		t.Errorf("RCPT to a return path domain: %v, want 250", err)
	}
	wantSMTPError(t, c.Rcpt("bounces@news.example.org", nil), 550, smtp.EnhancedCode{5, 1, 1})
	if calls != 1 {
		t.Errorf("the domain list was loaded %d times for two recipients, want 1", calls)
	}
}

func TestServerSizeLimit(t *testing.T) {
	h := newHarness(t, inbound.Config{MaxMessageBytes: 64 << 10})
	h.subscribe("carol@example.com")
	c, err := smtp.Dial(h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// An announced size over the limit is refused at MAIL FROM.
	wantSMTPError(t, c.Mail("", &smtp.MailOptions{Size: 100 << 10}), 552, smtp.EnhancedCode{5, 3, 4})

	big := append([]byte("Subject: big\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef\r\n"), 3000)...)
	if err := c.Mail("", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("bounces@"+domain, nil); err != nil {
		t.Fatal(err)
	}
	wantSMTPError(t, writeData(c, bytes.NewReader(big)), 552, smtp.EnhancedCode{5, 3, 4})
	if n := h.count(); n != 0 {
		t.Errorf("%d messages stored after the rejection, want 0", n)
	}

	// The session goes on.
	if err := c.Mail("", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("bounces@"+domain, nil); err != nil {
		t.Fatal(err)
	}
	if err := writeData(c, bytes.NewReader(readCase(t, "A02.eml"))); err != nil {
		t.Fatalf("small message after the rejection: %v", err)
	}
	if m := h.processed(); m.Status != store.InboundProcessed {
		t.Errorf("small message is %s, want processed", m.Status)
	}
}

func TestServerHugeBodyNotHeld(t *testing.T) {
	h := newHarness(t, inbound.Config{})
	c, err := smtp.Dial(h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("bounces@"+domain, nil); err != nil {
		t.Fatal(err)
	}
	const size = 100 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	body := io.MultiReader(strings.NewReader("Subject: huge\r\n\r\n"), &repeatReader{
		chunk: []byte(strings.Repeat("x", 998) + "\r\n"), left: size})
	err = writeData(c, body)
	runtime.ReadMemStats(&after)

	wantSMTPError(t, err, 552, smtp.EnhancedCode{5, 3, 4})
	// The server holds at most the 10 MiB limit, and its buffer, growing by
	// doubling, allocates about twice that. Reading 100 MB into memory
	// would allocate far more.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("sending %d MB allocated %d MB", size>>20, alloc>>20)
	}
	if n := h.count(); n != 0 {
		t.Errorf("%d messages stored, want 0", n)
	}
}

func TestServerHostileMessagesUnmatched(t *testing.T) {
	h := newHarness(t, inbound.Config{})
	h.subscribe("oscar@example.net")
	messages := map[string][]byte{
		"deep MIME bomb":    deepBomb(5000),
		"wide MIME bomb":    wideBomb(150000),
		"invalid UTF-8":     invalidUTF8(),
		"empty message":     []byte("\r\n"),
		"binary junk":       bytes.Repeat([]byte{0, 0xff, 0xfe, 0x1b, '\r', '\n'}, 10000),
		"unterminated MIME": []byte("Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n"),
	}
	for name, raw := range messages {
		if err := h.send("bounces@"+domain, raw); err != nil {
			t.Errorf("%s: delivery failed: %v", name, err)
			continue
		}
		m := h.processed()
		t.Logf("%s: %s, kind %s, reason %q", name, m.Status, m.ReportKind, m.Reason)
		if m.Status != store.InboundUnmatched {
			t.Errorf("%s: stored as %s (kind %q, reason %q), want unmatched", name, m.Status, m.ReportKind, m.Reason)
		}
		if m.ReportKind == "unknown" && m.Reason == "" {
			t.Errorf("%s: unknown report without a reason", name)
		}
		if len(m.Raw) == 0 && name != "empty message" {
			t.Errorf("%s: raw message not stored", name)
		}
	}
	// The server keeps serving.
	if err := h.send("bounces@"+domain, readCase(t, "B04.eml")); err != nil {
		t.Fatalf("delivery after hostile messages: %v", err)
	}
	if m := h.processed(); m.Status != store.InboundProcessed {
		t.Errorf("message after hostile ones is %s, want processed", m.Status)
	}
}

func TestServerConnectionLimit(t *testing.T) {
	addr := serve(t, inbound.Config{MaxConnections: 2}, failingSaver{}, nil)
	var open []net.Conn
	for range 2 {
		conn, line := dialGreeting(t, addr)
		if !strings.HasPrefix(line, "220 ") {
			t.Fatalf("greeting = %q, want 220", line)
		}
		open = append(open, conn)
	}
	conn, line := dialGreeting(t, addr)
	conn.Close()
	if !strings.HasPrefix(line, "421 4.7.0 ") {
		t.Errorf("third connection got %q, want 421 4.7.0", line)
	}
	// A closed connection frees its slot.
	open[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, line := dialGreeting(t, addr)
		conn.Close()
		if strings.HasPrefix(line, "220 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no slot freed after a close: %q", line)
		}
		time.Sleep(20 * time.Millisecond)
	}
	open[1].Close()
}

func TestServerSessionTimeout(t *testing.T) {
	addr := serve(t, inbound.Config{SessionTimeout: 300 * time.Millisecond}, failingSaver{}, nil)
	conn, _ := dialGreeting(t, addr)
	defer conn.Close()
	// A client that keeps the session busy is cut off all the same.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := fmt.Fprintf(conn, "NOOP\r\n"); err != nil {
			return
		}
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Error("the connection was still open after 5s, want closed after 300ms")
}

func TestServerStoreFailureIsTemporary(t *testing.T) {
	started := false
	addr := serve(t, inbound.Config{}, failingSaver{}, func(context.Context, int64) error {
		started = true
		return nil
	})
	err := sendMail(addr, "bounces@"+domain, []byte("Subject: x\r\n\r\nx\r\n"))
	wantSMTPError(t, err, 451, smtp.EnhancedCode{4, 3, 0})
	if started {
		t.Error("processing started for a message that was not stored")
	}
}

func TestServerStartFailureKeepsMessage(t *testing.T) {
	db := newHarness(t, inbound.Config{}).db
	addr := serve(t, inbound.Config{}, db, func(context.Context, int64) error {
		return errors.New("temporal is down")
	})
	if err := sendMail(addr, "bounces@"+domain, readCase(t, "A02.eml")); err != nil {
		t.Fatalf("delivery with Temporal down: %v, want 250", err)
	}
	rows, err := db.ListInbound(context.Background(), store.InboundFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Status != store.InboundReceived {
		t.Errorf("rows = %+v, want one left received for the sweeper", rows)
	}
}

func TestServerWithSwaks(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		if os.Getenv("PACER_TEST_REQUIRE") == "1" {
			t.Fatal("swaks is not installed; scripts/test.sh installs it")
		}
		t.Skip("swaks is not installed; `make test` installs it")
	}
	h := newHarness(t, inbound.Config{})
	h.subscribe("oscar@example.net")
	file := filepath.Join(t.TempDir(), "B04.eml")
	if err := os.WriteFile(file, readCase(t, "B04.eml"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(swaks, "--server", h.addr, "--from", "<>", "--to", "bounces@"+domain,
		"--data", "@"+file).CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	m := h.processed()
	if m.Status != store.InboundProcessed || m.ReportKind != "dsn" || !bytes.Contains(m.Verdicts, []byte("oscar@example.net")) {
		t.Errorf("row = %s %s %s, want a processed DSN for oscar", m.Status, m.ReportKind, m.Verdicts)
	}

	out, err = exec.Command(swaks, "--server", h.addr, "--from", "<>", "--to", "someone@example.com",
		"--quit-after", "RCPT").CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("550 5.1.1")) {
		t.Errorf("swaks to another domain: %v, want a 550 5.1.1 failure:\n%s", err, out)
	}
}

// writeData sends one message body and returns the reply to its end.
func writeData(c *smtp.Client, r io.Reader) error {
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		return err
	}
	return w.Close()
}

func dialGreeting(t *testing.T, addr string) (net.Conn, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return conn, line
}

// failingSaver stores nothing.
type failingSaver struct{}

func (failingSaver) SaveInbound(context.Context, store.InboundMessage) (int64, error) {
	return 0, errors.New("database is down")
}

// repeatReader yields left bytes of chunk, repeated, without holding them.
type repeatReader struct {
	chunk []byte
	left  int64
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:], r.chunk[r.off:])
		c = int(min(int64(c), r.left))
		n += c
		r.left -= int64(c)
		r.off = (r.off + c) % len(r.chunk)
	}
	return n, nil
}

// deepBomb nests depth multiparts, one in the other.
func deepBomb(depth int) []byte {
	var b bytes.Buffer
	b.WriteString("From: x@example.net\r\nSubject: deep\r\nMIME-Version: 1.0\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nUser unknown 550 5.1.1 <a@example.com>\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.Bytes()
}

// wideBomb is one multipart/report with parts entities.
func wideBomb(parts int) []byte {
	var b bytes.Buffer
	b.WriteString("From: x@example.net\r\nSubject: wide\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"w\"\r\n\r\n")
	for range parts {
		b.WriteString("--w\r\nContent-Type: text/plain\r\n\r\nx\r\n")
	}
	b.WriteString("--w--\r\n")
	return b.Bytes()
}

func invalidUTF8() []byte {
	return []byte("From: \xff\xfe <\xc3\x28@example.net>\r\nSubject: \xed\xa0\x80 \xf8\x88\x80\x80\x80\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n\xc3\x28\xa0\xa1 \xe2\x28\xa1 \xf0\x28\x8c\xbc\r\n")
}

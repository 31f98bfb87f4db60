package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pacer-email/pacer/internal/apiclient"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
	"github.com/pacer-email/pacer/internal/watch"
	"github.com/pacer-email/pacer/server/api"
	"github.com/pacer-email/pacer/workflows"
)

// process is a child process the fault test kills and restarts.
type process struct {
	t    *testing.T
	name string
	args []string
	env  []string
	log  string
	// cred, when set, runs the process as another user.
	cred *syscall.Credential
	cmd  *exec.Cmd
}

func (p *process) start() {
	p.t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	p.cmd = exec.Command(p.args[0], p.args[1:]...)
	p.cmd.Env = append(os.Environ(), p.env...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if p.cred != nil {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	go func() { _ = p.cmd.Wait(); f.Close() }()
}

func (p *process) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %s: %v", p.name, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if p.cmd.ProcessState != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("%s did not exit after %v", p.name, sig)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// TestFaultsSendEachRecipientOnce kills the worker with SIGKILL twice,
// restarts the Temporal server once and crashes PostgreSQL (SIGKILL, then
// crash recovery) once during a 10,000-recipient campaign.
// At the end no recipient has two messages, every delivered send is at
// the server exactly once, and a recipient without a message is one the
// campaign marked delivery-uncertain (killed between the final dot and
// recording the reply), never one it counts as delivered.
func TestFaultsSendEachRecipientOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs for about a minute")
	}
	temporalBin := os.Getenv("PACER_TEST_TEMPORAL_BIN")
	if temporalBin == "" {
		testenv.TemporalAddress(t) // skips or fails the same way
		t.Skip("PACER_TEST_TEMPORAL_BIN is not set")
	}
	testenv.DatabaseURL(t) // skips or fails the same way as every test on PostgreSQL
	dir := t.TempDir()
	ctx := context.Background()

	// A PostgreSQL cluster of this test's own, so it can be crashed.
	postgres, dbURL := privatePostgres(t, dir)
	postgres.start()
	defer func() { _ = postgres.cmd.Process.Kill() }()
	var db *store.DB
	waitFor(t, "PostgreSQL to start", time.Minute, func() bool {
		d, err := store.Open(ctx, dbURL, 10)
		if err != nil {
			return false
		}
		if err := d.Pool().Ping(ctx); err != nil {
			d.Close()
			return false
		}
		db = d
		return true
	})
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	// A Temporal dev server of this test's own, so it can be restarted.
	tport := freePort(t)
	taddr := fmt.Sprintf("127.0.0.1:%d", tport)
	temporal := &process{t: t, name: "temporal", log: filepath.Join(dir, "temporal.log"), args: []string{
		temporalBin, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", strconv.Itoa(tport),
		"--http-port", strconv.Itoa(freePort(t)), "--metrics-port", strconv.Itoa(freePort(t)),
		"--db-filename", filepath.Join(dir, "temporal.db"), "--log-level", "warn",
		"--search-attribute", "CampaignStatus=Keyword", "--search-attribute", "CampaignID=Keyword"}}
	temporal.start()
	defer func() { _ = temporal.cmd.Process.Kill() }()
	var tc client.Client
	waitFor(t, "Temporal to start", time.Minute, func() bool {
		c, err := client.Dial(client.Options{HostPort: taddr, Logger: testenvLogger{}})
		if err != nil {
			return false
		}
		if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			c.Close()
			return false
		}
		tc = c
		return true
	})
	defer tc.Close()

	workerBin := filepath.Join(dir, "worker")
	build := exec.Command("go", "build", "-o", workerBin, "./worker")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build worker: %v\n%s", err, out)
	}
	campaignQ, sendQ := testenv.TaskQueue(t, "campaigns"), testenv.TaskQueue(t, "send")
	cfgPath := filepath.Join(dir, "temporal.yaml")
	cfg := fmt.Sprintf("temporal:\n  task_queues:\n    campaigns: %s\n    send: [%s]\n", campaignQ, sendQ)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	secret := "fault-test-secret-0123456789"
	worker := &process{t: t, name: "worker", log: filepath.Join(dir, "worker.log"),
		args: []string{workerBin, "--config", cfgPath, "--listen", "", "--roles", "campaigns,send"},
		env:  []string{"PACER_DATABASE_URL=" + dbURL, "PACER_TEMPORAL_ADDRESS=" + taddr, "PACER_SECRET=" + secret}}
	worker.start()
	defer func() { _ = worker.cmd.Process.Kill() }()
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range []*process{worker, temporal, postgres} {
				if b, err := os.ReadFile(p.log); err == nil {
					t.Logf("%s log (tail):\n%s", p.name, tail(string(b), 3000))
				}
			}
		}
	})

	signer, _ := mailid.NewSigner([]byte(secret))
	opts := workflows.DefaultOptions()
	opts.CampaignQueue = campaignQ
	opts.StaleClaimAge = 5 * time.Second
	opts.Retry.InitialInterval = 200 * time.Millisecond
	srv := &api.Server{DB: db, Temporal: tc, Log: zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)),
		Signer: signer, Options: opts}
	s := &stacktest.Stack{T: t, DB: db, Options: opts, SendQueue: sendQ, Signer: signer, Server: srv}
	s.URL = serveHTTP(t, srv)
	token, err := db.CreateAPIToken(ctx, "fault")
	if err != nil {
		t.Fatal(err)
	}
	s.API = apiclient.New(s.URL, token)

	sink := testenv.NewSMTPServer(t, nil)
	sink.DataDelay = time.Millisecond
	const total = 10_000
	listID, _ := s.ImportList(stacktest.SubscribersCSV(total, "fault.example.com"))
	server := s.AddServer(sink.Port, 0, 8)
	id := s.CreateCampaign(listID, []int64{server}, 1000)
	s.Send(id)

	delivered := func(n int) func() bool { return func() bool { return len(sink.Messages()) >= n } }
	waitFor(t, "2,000 messages", 2*time.Minute, delivered(2000))
	worker.signal(syscall.SIGKILL)
	t.Logf("worker killed at %d messages", len(sink.Messages()))
	worker.start()

	waitFor(t, "4,500 messages", 3*time.Minute, delivered(4500))
	temporal.signal(syscall.SIGTERM)
	t.Logf("Temporal stopped at %d messages", len(sink.Messages()))
	temporal.start()

	waitFor(t, "5,500 messages", 3*time.Minute, delivered(5500))
	postgres.signal(syscall.SIGKILL)
	t.Logf("PostgreSQL killed at %d messages", len(sink.Messages()))
	time.Sleep(2 * time.Second)
	postgres.start()

	waitFor(t, "7,000 messages", 3*time.Minute, delivered(7000))
	worker.signal(syscall.SIGKILL)
	t.Logf("worker killed again at %d messages", len(sink.Messages()))
	worker.start()

	var c watch.Campaign
	waitFor(t, "the campaign to be Done", 5*time.Minute, func() bool {
		c = s.Campaign(id)
		return c.Status == "Done"
	})
	t.Logf("final counts: %+v", c.Counts)
	if c.Counts.Total != total {
		t.Errorf("total = %d, want %d", c.Counts.Total, total)
	}
	if sum := stacktest.SumCounts(c.Counts); sum != total {
		t.Errorf("terminal counts add up to %d, want %d", sum, total)
	}
	per := sink.CountByRecipient()
	for rcpt, n := range per {
		if n != 1 {
			t.Errorf("%s received %d messages", rcpt, n)
		}
	}
	uncertain := map[string]bool{}
	rows, err := db.Pool().Query(ctx, `SELECT lower(s.email), d.status, d.attempts FROM sends d
		JOIN subscribers s ON s.id = d.subscriber_id WHERE d.campaign_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var email, status string
		var attempts int
		if err := rows.Scan(&email, &status, &attempts); err != nil {
			t.Fatal(err)
		}
		switch status {
		case "delivered":
			if per[email] != 1 {
				t.Errorf("%s counted delivered, but the server holds %d messages", email, per[email])
			}
		case "uncertain":
			uncertain[email] = true
			if attempts < 1 {
				t.Errorf("%s is uncertain with %d attempts; the attempt that died counts", email, attempts)
			}
		default:
			t.Errorf("%s ended %s, want delivered or uncertain", email, status)
		}
	}
	missing := 0
	for i := range total {
		email := fmt.Sprintf("user%d@fault.example.com", i)
		if per[email] == 0 {
			missing++
			if !uncertain[email] {
				t.Errorf("%s got no message and is not marked uncertain", email)
			}
		}
	}
	t.Logf("%d sends uncertain after the kills, %d of them never reached the server", len(uncertain), missing)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

type testenvLogger struct{}

func (testenvLogger) Debug(string, ...any) {}
func (testenvLogger) Info(string, ...any)  {}
func (testenvLogger) Warn(string, ...any)  {}
func (testenvLogger) Error(string, ...any) {}

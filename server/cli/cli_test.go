package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "cli-test-token"

// fakeAPI mimics the API routes the commands call. Each campaign read
// returns the next of states, repeating the last one.
type fakeAPI struct {
	t *testing.T

	mu       sync.Mutex
	states   []string // statuses GET /api/campaigns/12 walks through
	reads    int
	requests []string
	bodies   map[string]string
}

func newFakeAPI(t *testing.T, states ...string) (*fakeAPI, string) {
	t.Helper()
	f := &fakeAPI{t: t, states: states, bodies: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	route := r.Method + " " + r.URL.Path
	f.requests = append(f.requests, route+"?"+r.URL.RawQuery)
	f.bodies[route] = string(body)
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid bearer token"})
		return
	}
	switch route {
	case "GET /api/campaigns":
		writeJSON(w, http.StatusOK, []map[string]any{
			{"id": 12, "name": "Spring sale", "status": "Sending", "total": 50000, "created_at": "2026-03-01T10:00:00Z"},
			{"id": 11, "name": "Winter letter", "status": "Done", "total": 800, "created_at": "2026-01-05T09:30:00Z"},
		})
	case "GET /api/campaigns/12":
		status := f.states[min(f.reads, len(f.states)-1)]
		f.reads++
		reason := ""
		if status == "Cancelled" {
			reason = "cancelled by request"
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": 12, "name": "Spring sale", "status": status, "status_reason": reason,
			"progress": map[string]any{"done": 500, "total": 1000, "percent": 50, "rate": 20, "text": "Delivered 500 / 1,000"},
		})
	case "POST /api/campaigns/12/send":
		writeJSON(w, http.StatusOK, map[string]any{"campaign_id": 12, "workflow_id": "campaign-12", "run_id": "r1"})
	case "POST /api/campaigns/13/send":
		writeJSON(w, http.StatusConflict, map[string]string{"error": "campaign 13 is Done: only a Draft campaign can be sent"})
	case "POST /api/campaigns/12/pause", "POST /api/campaigns/12/resume", "POST /api/campaigns/12/cancel":
		status := map[string]string{"pause": "Paused", "resume": "Sending", "cancel": "Cancelled"}[filepath.Base(r.URL.Path)]
		writeJSON(w, http.StatusOK, map[string]any{"campaign_id": 12, "status": status})
	case "GET /api/campaigns/12/failed":
		if q := r.URL.Query().Get("reason"); q != "" && q != "blocked" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "reason \"" + q + "\": use soft_bounce, blocked, ..."})
			return
		}
		writeJSON(w, http.StatusOK, []map[string]any{{
			"subscriber_id": 4, "email": "blocked-1@example.com", "reason": "blocked", "smtp_code": 554,
			"enhanced_code": "5.7.1", "reply": "policy rejection", "attempts": 1, "last_try_at": "2026-03-01T10:05:00Z",
		}})
	case "POST /api/campaigns/12/failed/redispatch":
		writeJSON(w, http.StatusOK, map[string]any{"campaign_id": 12, "redispatched": 3, "batches": []int{0, 2}})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no route " + route})
	}
}

func (f *fakeAPI) lastRequest() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

func (f *fakeAPI) body(route string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[route]
}

func (f *fakeAPI) campaignReads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// runCLI runs the CLI with the fake's URL and token and returns the exit code,
// stdout and stderr.
func runCLI(t *testing.T, url string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("PACER_TOKEN", testToken)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Run(ctx, append([]string{"--api-url", url}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunUsageErrors(t *testing.T) {
	_, url := newFakeAPI(t, "Sending")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"campaign"}, "missing command"},
		{"unknown group", []string{"campaignz", "list"}, `unknown command "campaignz"`},
		{"unknown subcommand", []string{"campaign", "explode", "1"}, `unknown command "campaign explode"`},
		{"missing id", []string{"campaign", "send"}, "needs exactly one campaign ID"},
		{"two ids", []string{"campaign", "pause", "1", "2"}, "needs exactly one campaign ID, got 2"},
		{"id not a number", []string{"campaign", "watch", "twelve"}, `campaign ID "twelve" is not a positive integer`},
		{"id zero", []string{"failed", "list", "0"}, `campaign ID "0" is not a positive integer`},
		{"list with argument", []string{"campaigns", "list", "7"}, "takes no arguments"},
		{"unknown flag", []string{"campaigns", "list", "--colour"}, "unknown flag: --colour"},
		{"reason on campaign", []string{"campaign", "send", "12", "--reason", "blocked"}, "--reason applies only"},
		{"bad api url", []string{"campaigns", "list", "--api-url", "127.0.0.1:8080"}, `--api-url "127.0.0.1:8080" is not an http or https URL`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, url, tc.args...)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d (usage error); stderr %q", code, ExitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tc.want)
			}
			if wantUsage := tc.name != "bad api url"; strings.Contains(stderr, "Usage:") != wantUsage {
				t.Errorf("stderr shows the usage text: %v, want %v: %q", !wantUsage, wantUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing on a usage error", stdout)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	code, stdout, _ := runCLI(t, "http://127.0.0.1:1", "campaign", "--help")
	if code != ExitOK {
		t.Errorf("exit code = %d, want 0", code)
	}
	for _, want := range []string{"server campaign watch ID", "--api-url", "--token-file", "--json", "Exit codes"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q: %q", want, stdout)
		}
	}
}

func TestCampaignsListJSON(t *testing.T) {
	_, url := newFakeAPI(t, "Sending")
	code, stdout, stderr := runCLI(t, url, "campaigns", "list", "--json")
	if code != ExitOK {
		t.Fatalf("exit code = %d, want 0; stderr %q", code, stderr)
	}
	var got []struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	if len(got) != 2 || got[0].ID != 12 || got[0].Status != "Sending" || got[1].ID != 11 {
		t.Errorf("--json output = %+v, want campaigns 12 (Sending) and 11", got)
	}
}

func TestCampaignsListTable(t *testing.T) {
	_, url := newFakeAPI(t, "Sending")
	code, stdout, stderr := runCLI(t, url, "campaigns", "list")
	if code != ExitOK {
		t.Fatalf("exit code = %d, want 0; stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want a header and 2 rows:\n%s", len(lines), stdout)
	}
	if f := strings.Fields(lines[0]); f[0] != "ID" || f[1] != "STATUS" {
		t.Errorf("header = %q, want ID STATUS ...", lines[0])
	}
	if f := strings.Fields(lines[1]); f[0] != "12" || f[1] != "Sending" || f[2] != "50000" || !strings.HasSuffix(lines[1], "Spring sale") {
		t.Errorf("first row = %q, want campaign 12, Sending, 50000 recipients, Spring sale", lines[1])
	}
}

func TestCampaignSend(t *testing.T) {
	f, url := newFakeAPI(t, "Sending")
	code, stdout, stderr := runCLI(t, url, "campaign", "send", "12")
	if code != ExitOK {
		t.Fatalf("exit code = %d, want 0; stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "campaign 12 started (workflow campaign-12)") {
		t.Errorf("stdout = %q, want the started workflow", stdout)
	}
	if got := f.lastRequest(); got != "POST /api/campaigns/12/send?" {
		t.Errorf("last request = %q, want POST /api/campaigns/12/send", got)
	}
}

func TestAPIErrorExit1(t *testing.T) {
	_, url := newFakeAPI(t, "Sending")
	code, stdout, stderr := runCLI(t, url, "campaign", "send", "13")
	if code != ExitAPI {
		t.Errorf("exit code = %d, want %d for an API error", code, ExitAPI)
	}
	if !strings.Contains(stderr, "send campaign 13: HTTP 409: campaign 13 is Done: only a Draft campaign can be sent") {
		t.Errorf("stderr = %q, want the API's error message", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
}

func TestNetworkErrorExit1(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	code, _, stderr := runCLI(t, url, "campaigns", "list")
	if code != ExitAPI {
		t.Errorf("exit code = %d, want %d for a network error", code, ExitAPI)
	}
	if !strings.Contains(stderr, "is the pacer server running at "+url) {
		t.Errorf("stderr = %q, want a hint that the server is not running", stderr)
	}
}

func TestCampaignControl(t *testing.T) {
	_, url := newFakeAPI(t, "Sending")
	for action, want := range map[string]string{"pause": "Paused", "resume": "Sending", "cancel": "Cancelled"} {
		code, stdout, stderr := runCLI(t, url, "campaign", action, "12")
		if code != ExitOK {
			t.Errorf("%s: exit code = %d, want 0; stderr %q", action, code, stderr)
		}
		if got := strings.TrimSpace(stdout); got != "campaign 12 is "+want {
			t.Errorf("%s: stdout = %q, want %q", action, got, "campaign 12 is "+want)
		}
	}
	code, stdout, _ := runCLI(t, url, "campaign", "pause", "12", "--json")
	var out struct {
		Status string `json:"status"`
	}
	if code != ExitOK || json.Unmarshal([]byte(stdout), &out) != nil || out.Status != "Paused" {
		t.Errorf("pause --json: exit %d, output %q, want JSON with status Paused", code, stdout)
	}
}

func TestWatchExitCodes(t *testing.T) {
	watchInterval = 10 * time.Millisecond
	t.Cleanup(func() { watchInterval = time.Second })
	cases := []struct {
		states   []string
		wantCode int
	}{
		{[]string{"Sending", "Sending", "Done"}, ExitOK},
		{[]string{"Sending", "Paused", "Cancelled"}, ExitCancelled},
	}
	for _, tc := range cases {
		final := tc.states[len(tc.states)-1]
		t.Run(final, func(t *testing.T) {
			f, url := newFakeAPI(t, tc.states...)
			code, stdout, stderr := runCLI(t, url, "campaign", "watch", "12")
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d; stderr %q", code, tc.wantCode, stderr)
			}
			if n := f.campaignReads(); n != len(tc.states) {
				t.Errorf("campaign read %d times, want %d (until it is %s)", n, len(tc.states), final)
			}
			if !strings.Contains(stdout, "Delivered 500 / 1,000") || !strings.Contains(stdout, "["+final+"]") {
				t.Errorf("stdout = %q, want the progress line ending [%s]", stdout, final)
			}
			if final == "Cancelled" && !strings.Contains(stderr, "campaign 12 ended Cancelled: cancelled by request") {
				t.Errorf("stderr = %q, want the cancellation and its reason", stderr)
			}
		})
	}
}

func TestWatchJSON(t *testing.T) {
	watchInterval = 10 * time.Millisecond
	t.Cleanup(func() { watchInterval = time.Second })
	_, url := newFakeAPI(t, "Sending", "Cancelled")
	code, stdout, _ := runCLI(t, url, "campaign", "watch", "12", "--json")
	if code != ExitCancelled {
		t.Errorf("exit code = %d, want %d", code, ExitCancelled)
	}
	var out struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("--json output is not one JSON object: %v\n%s", err, stdout)
	}
	if out.Status != "Cancelled" {
		t.Errorf("final status = %q, want Cancelled", out.Status)
	}
}

func TestFailedList(t *testing.T) {
	f, url := newFakeAPI(t, "Done")
	code, stdout, stderr := runCLI(t, url, "failed", "list", "12", "--reason", "blocked")
	if code != ExitOK {
		t.Fatalf("exit code = %d, want 0; stderr %q", code, stderr)
	}
	if got := f.lastRequest(); got != "GET /api/campaigns/12/failed?reason=blocked" {
		t.Errorf("request = %q, want the reason as a query parameter", got)
	}
	for _, want := range []string{"SUBSCRIBER", "blocked-1@example.com", "554 5.7.1 policy rejection"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}

	code, _, stderr = runCLI(t, url, "failed", "list", "12", "--reason", "bogus")
	if code != ExitAPI || !strings.Contains(stderr, `reason "bogus"`) {
		t.Errorf("bad reason: exit %d, stderr %q, want exit 1 with the API's message", code, stderr)
	}
}

func TestFailedRedispatch(t *testing.T) {
	f, url := newFakeAPI(t, "Done")
	code, stdout, stderr := runCLI(t, url, "failed", "redispatch", "12")
	if code != ExitOK {
		t.Fatalf("exit code = %d, want 0; stderr %q", code, stderr)
	}
	if got := f.body("POST /api/campaigns/12/failed/redispatch"); got != "{}" {
		t.Errorf("request body = %q, want {}", got)
	}
	if !strings.Contains(stdout, "re-dispatched 3 failed sends of campaign 12 in 2 batches") {
		t.Errorf("stdout = %q", stdout)
	}

	runCLI(t, url, "failed", "redispatch", "12", "--reason", "blocked")
	if got := f.body("POST /api/campaigns/12/failed/redispatch"); got != `{"reason":"blocked"}` {
		t.Errorf("request body with --reason = %q, want {\"reason\":\"blocked\"}", got)
	}
}

func TestTokenSources(t *testing.T) {
	_, url := newFakeAPI(t, "Done")
	dir := t.TempDir()
	good := filepath.Join(dir, "token")
	if err := os.WriteFile(good, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		envToken  string
		envFile   string
		args      []string
		wantCode  int
		wantInErr string
	}{
		{"flag file", "", "", []string{"--token-file", good}, ExitOK, ""},
		{"env file", "", good, nil, ExitOK, ""},
		{"env token", testToken, filepath.Join(dir, "missing"), nil, ExitOK, ""},
		{"flag beats env token", "wrong", "", []string{"--token-file", good}, ExitOK, ""},
		{"missing file", "", filepath.Join(dir, "missing"), nil, ExitUsage, "no API token"},
		{"empty file", "", empty, nil, ExitUsage, "is empty"},
		{"rejected token", "wrong", "", nil, ExitAPI, "HTTP 401: invalid bearer token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PACER_TOKEN", tc.envToken)
			t.Setenv("PACER_TOKEN_FILE", tc.envFile)
			var stdout, stderr bytes.Buffer
			args := append([]string{"campaigns", "list", "--api-url", url}, tc.args...)
			code := Run(context.Background(), args, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d; stderr %q", code, tc.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.wantInErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tc.wantInErr)
			}
		})
	}
}

func TestAPIURLFromEnv(t *testing.T) {
	_, url := newFakeAPI(t, "Done")
	t.Setenv("PACER_API_URL", url)
	t.Setenv("PACER_TOKEN", testToken)
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"campaigns", "list"}, &stdout, &stderr); code != ExitOK {
		t.Errorf("exit code = %d with PACER_API_URL set, want 0; stderr %q", code, stderr.String())
	}
}

func TestOneLineReply(t *testing.T) {
	cases := []struct {
		code           int
		enhanced, text string
		want           string
	}{
		{550, "5.7.1", "policy rejection", "550 5.7.1 policy rejection"},
		{550, "5.7.1", "550 5.7.1 [192.0.2.10 12] message\r\n550 5.7.1 refused", "550 5.7.1 [192.0.2.10 12] message 550 5.7.1 refused"},
		{421, "", "421 try later", "421 try later"},
		{0, "", "delivery uncertain: no reply\nafter the dot", "delivery uncertain: no reply after the dot"},
	}
	for _, c := range cases {
		if got := oneLineReply(c.code, c.enhanced, c.text); got != c.want {
			t.Errorf("oneLineReply(%d, %q, %q) = %q, want %q", c.code, c.enhanced, c.text, got, c.want)
		}
	}
}

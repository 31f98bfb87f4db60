package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/testenv"
)

func TestCommandsOnStack(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(300, "example.com"))
	fast := s.AddServer(sink.Port, 0, 4)
	slow := s.AddServer(sink.Port, 20, 1)
	done := s.CreateCampaign(listID, []int64{fast}, 100)
	cancelled := s.CreateCampaign(listID, []int64{slow}, 100)

	tokenFile := filepath.Join(t.TempDir(), "api-token")
	if err := os.WriteFile(tokenFile, []byte(s.API.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PACER_TOKEN", "")
	run := func(args ...string) (int, string, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var stdout, stderr bytes.Buffer
		code := Run(ctx, append([]string{"--api-url", s.URL, "--token-file", tokenFile}, args...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	doneID, cancelledID := strconv.FormatInt(done, 10), strconv.FormatInt(cancelled, 10)

	code, stdout, stderr := run("campaigns", "list", "--json")
	var listed []struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	if code != ExitOK || json.Unmarshal([]byte(stdout), &listed) != nil {
		t.Fatalf("campaigns list --json: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if len(listed) != 2 || listed[0].ID != cancelled || listed[0].Status != "Draft" {
		t.Errorf("campaigns = %+v, want 2 Draft campaigns, newest (%d) first", listed, cancelled)
	}

	if code, _, stderr := run("campaign", "send", doneID); code != ExitOK {
		t.Fatalf("campaign send: exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr = run("campaign", "watch", doneID)
	if code != ExitOK {
		t.Errorf("campaign watch: exit %d, want 0; stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "Delivered 300 / 300") || !strings.Contains(stdout, "[Done]") {
		t.Errorf("watch output = %q, want the final line Delivered 300 / 300 [Done]", stdout)
	}
	if code, _, stderr := run("campaign", "send", doneID); code != ExitAPI || !strings.Contains(stderr, "HTTP 409") {
		t.Errorf("send of a Done campaign: exit %d, stderr %q, want exit 1 with the API's 409", code, stderr)
	}
	if code, stdout, _ := run("failed", "list", doneID); code != ExitOK || !strings.Contains(stdout, "has no failed sends") {
		t.Errorf("failed list: exit %d, stdout %q, want no failed sends", code, stdout)
	}

	// 300 sends at 20 per second take 15 s, so the cancel lands mid-send.
	if code, _, stderr := run("campaign", "send", cancelledID); code != ExitOK {
		t.Fatalf("campaign send: exit %d, stderr %q", code, stderr)
	}
	s.WaitStatus(cancelled, "Sending", 30*time.Second)
	if code, stdout, stderr := run("campaign", "cancel", cancelledID); code != ExitOK || !strings.Contains(stdout, "Cancelled") {
		t.Errorf("campaign cancel: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = run("campaign", "watch", cancelledID)
	if code != ExitCancelled {
		t.Errorf("watch of a cancelled campaign: exit %d, want %d; stdout %q, stderr %q", code, ExitCancelled, stdout, stderr)
	}
	if !strings.Contains(stderr, "ended Cancelled") {
		t.Errorf("stderr = %q, want it to say the campaign ended Cancelled", stderr)
	}
}

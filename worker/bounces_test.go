package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pacer-email/pacer/internal/bounce"
	"github.com/pacer-email/pacer/internal/mailid"
)

func TestClassifyCommand(t *testing.T) {
	t.Setenv("PACER_SECRET", "classify-test-secret-0123456789")
	signer, err := mailid.NewSigner([]byte("classify-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "internal", "bounce", "testdata", "cases", "B04.eml"))
	if err != nil {
		t.Fatal(err)
	}
	rcpt := signer.ReturnPath(mailid.ID{CampaignID: 3, SubscriberID: 8}, "bounces.example.org")
	var stdout, stderr bytes.Buffer
	args := []string{"-", "--envelope-rcpt", rcpt, "--config", filepath.Join(t.TempDir(), "none.yaml")}
	err = runClassify(args, bytes.NewReader(raw), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Fatalf("a missing --config file: %v, want an error naming it", err)
	}
	stdout.Reset()
	if err := runClassify(args[:3], bytes.NewReader(raw), &stdout, &stderr); err != nil {
		t.Fatalf("classify: %v (stderr %s)", err, stderr.String())
	}
	var rep bounce.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("output is not a JSON report: %v\n%s", err, stdout.String())
	}
	v := rep.Verdicts
	if rep.Kind != bounce.ReportDSN || len(v) != 1 || v[0].Kind != bounce.Soft || v[0].SubscriberID != 8 || v[0].MatchedBy != bounce.MatchReturnPath {
		t.Errorf("report = %+v", rep)
	}
}

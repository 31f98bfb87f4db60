package e2e

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/testenv"
)

func TestSendWholePath(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	csv := stacktest.SubscribersCSV(2500, "example.com") +
		"USER7@Example.com ,User Seven Again,City0\n" + // a case variant of line 9
		"not-an-address,Broken,Nowhere\n"
	listID, rep := s.ImportList(csv)
	if rep.Created != 2500 {
		t.Errorf("created = %d, want 2500", rep.Created)
	}
	if rep.Duplicates != 1 {
		t.Errorf("duplicates = %d, want 1", rep.Duplicates)
	}
	if rep.Invalid != 1 || len(rep.RowErrors) != 1 || rep.RowErrors[0].Line != 2503 {
		t.Errorf("invalid rows = %d %+v, want one on line 2503", rep.Invalid, rep.RowErrors)
	}
	server := s.AddServer(sink.Port, 0, 8)
	id := s.CreateCampaign(listID, []int64{server}, 500)
	s.Send(id)
	c := s.WaitStatus(id, "Done", 2*time.Minute)

	if c.Counts.Total != 2500 || c.Counts.Delivered != 2500 {
		t.Errorf("counts = %+v, want 2500 delivered of 2500", c.Counts)
	}
	if got := stacktest.SumCounts(c.Counts); got != c.Counts.Total {
		t.Errorf("terminal counts add up to %d, total is %d", got, c.Counts.Total)
	}
	// Operators find the campaign and its five batches by search attribute.
	tc := testenv.Temporal(t)
	query := fmt.Sprintf(`CampaignID="%d" AND CampaignStatus="Done"`, id)
	var done int64
	for range 50 {
		resp, err := tc.CountWorkflow(t.Context(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatalf("count workflows %s: %v", query, err)
		}
		if done = resp.GetCount(); done == 6 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if done != 6 {
		t.Errorf("%d workflows match %s, want the campaign and its 5 batches", done, query)
	}

	perRcpt := sink.CountByRecipient()
	if len(perRcpt) != 2500 {
		t.Errorf("server got mail for %d recipients, want 2500", len(perRcpt))
	}
	for rcpt, n := range perRcpt {
		if n != 1 {
			t.Errorf("%s got %d messages, want 1", rcpt, n)
		}
	}
	for _, m := range sink.Messages()[:20] {
		var i int
		if _, err := fmt.Sscanf(m.To, "user%d@example.com", &i); err != nil {
			t.Fatalf("unexpected recipient %q", m.To)
		}
		name := fmt.Sprintf("User %d", i)
		if i == 7 {
			name = "User Seven Again"
		}
		if !bytes.Contains(m.Data, []byte("Subject: Hello "+name+"\r\n")) {
			t.Errorf("message to %s lacks its personalised subject %q", m.To, "Hello "+name)
		}
		if !strings.HasPrefix(m.From, "bounces+") {
			t.Errorf("envelope sender %q is not a VERP return path", m.From)
		}
	}
}

// replyScript answers each recipient by the local part of its address:
// hard5xx-*, mailbox-full-*, blocked-*, greylist-* (451 twice, then 250),
// soft-* (451 always), throttle-* (421 4.7.0 once, then 250).
func replyScript(step, rcpt string, n int) error {
	local := strings.SplitN(rcpt, "@", 2)[0]
	switch {
	case step == "rcpt" && strings.HasPrefix(local, "hard"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "user unknown"}
	case step == "data" && strings.HasPrefix(local, "full"):
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "mailbox full"}
	case step == "data" && strings.HasPrefix(local, "blocked"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "message blocked as spam"}
	case step == "rcpt" && strings.HasPrefix(local, "grey") && n <= 2:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted, try again"}
	case step == "rcpt" && strings.HasPrefix(local, "soft"):
		return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "mailbox temporarily unavailable"}
	case step == "rcpt" && strings.HasPrefix(local, "throttle") && n == 1:
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "[TSS04] Messages temporarily deferred due to unexpected volume"}
	}
	return nil
}

func TestSendReplyClasses(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, replyScript)
	var csv strings.Builder
	csv.WriteString("email,name\n")
	kinds := []string{"ok", "hard", "full", "blocked", "grey", "soft", "throttle"}
	for _, k := range kinds {
		for i := range 5 {
			fmt.Fprintf(&csv, "%s-%d@example.net,%s %d\n", k, i, k, i)
		}
	}
	listID, _ := s.ImportList(csv.String())
	server := s.AddServer(sink.Port, 0, 4)
	id := s.CreateCampaign(listID, []int64{server}, 100)
	s.Send(id)
	c := s.WaitStatus(id, "Done", 2*time.Minute)

	n := c.Counts
	checks := []struct {
		name      string
		got, want int64
	}{
		{"delivered (ok, greylisted after 2 tries, throttled once)", n.Delivered, 15},
		{"hard_bounced", n.HardBounced, 5},
		{"soft_bounced (mailbox full)", n.SoftBounced, 5},
		{"failed (blocked, soft retries exhausted)", n.Failed, 10},
		{"total", n.Total, 35},
		{"sum of terminal counts", stacktest.SumCounts(n), 35},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %d, want %d", ch.name, ch.got, ch.want)
		}
	}
	var failed []struct {
		Email    string `json:"email"`
		Reason   string `json:"reason"`
		Attempts int    `json:"attempts"`
		Code     int    `json:"smtp_code"`
	}
	s.Do("GET", fmt.Sprintf("/api/campaigns/%d/failed", id), nil, &failed)
	reasons := map[string]int{}
	for _, f := range failed {
		reasons[f.Reason]++
		if strings.HasPrefix(f.Email, "soft") && f.Attempts != 3 {
			t.Errorf("%s failed after %d attempts, want 3", f.Email, f.Attempts)
		}
	}
	wantReasons := map[string]int{"blocked": 5, "retries_exhausted": 5, "soft_bounce": 5}
	for r, want := range wantReasons {
		if reasons[r] != want {
			t.Errorf("failed sends with reason %s = %d, want %d", r, reasons[r], want)
		}
	}
	// Hard bounces suppress the address; nothing else does.
	var sub struct {
		Status string `json:"status"`
	}
	st := map[string]string{}
	rows, err := s.DB.Pool().Query(t.Context(), "SELECT email, status FROM subscribers")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e, status string
		if err := rows.Scan(&e, &status); err != nil {
			t.Fatal(err)
		}
		st[e] = status
	}
	_ = sub
	for e, status := range st {
		want := "active"
		if strings.HasPrefix(e, "hard") {
			want = "bounced"
		}
		if status != want {
			t.Errorf("subscriber %s is %s, want %s", e, status, want)
		}
	}
	for rcpt, count := range sink.CountByRecipient() {
		if count != 1 {
			t.Errorf("%s received %d messages, want 1", rcpt, count)
		}
	}
}

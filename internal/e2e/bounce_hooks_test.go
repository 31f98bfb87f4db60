package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/apiclient"
	"github.com/pacer-email/pacer/internal/bounce"
	"github.com/pacer-email/pacer/internal/inbound"
	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/store"
)

// post sends body to path with the stack's token and returns the status
// code and the decoded JSON response.
func post(t *testing.T, s *stacktest.Stack, path, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+s.API.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: %d with a body that is not JSON: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

func waitStatus(t *testing.T, s *stacktest.Stack, email, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		sub, err := s.DB.FindSubscriberByKey(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s after 30s, want %s", email, sub.Status, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBounceClassifyIsDryRun(t *testing.T) {
	s := stacktest.New(t)
	s.ImportList("email\nalice@example.com\nbob@example.com\n")
	raw, err := os.ReadFile(filepath.Join(casesDir(t), "A01.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var rep bounce.Report
	if err := s.API.DoRaw(context.Background(), "POST", "/api/bounces/classify", "message/rfc822", bytes.NewReader(raw), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Kind != bounce.ReportDSN || len(rep.Verdicts) != 2 || rep.Verdicts[0].Kind != bounce.Hard {
		t.Errorf("report = %+v, want a DSN with a hard and a soft verdict", rep)
	}
	rows, err := s.DB.ListInbound(context.Background(), store.InboundFilter{})
	if err != nil || len(rows) != 0 {
		t.Errorf("classify stored %d messages (%v), want none", len(rows), err)
	}
	if sub, _ := s.DB.FindSubscriberByKey(context.Background(), "alice@example.com"); sub.Status != store.SubscriberActive {
		t.Errorf("alice is %s after a dry run, want active", sub.Status)
	}
	if status, _ := post(t, s, "/api/bounces/classify", "message/rfc822", nil); status != http.StatusBadRequest {
		t.Errorf("empty body: status %d, want 400", status)
	}
}

func TestBounceGenericHook(t *testing.T) {
	s := stacktest.New(t)
	s.StartBounces(inbound.Config{})
	listID, _ := s.ImportList("email\nann@example.com\nben@example.com\n")
	campaign := s.CreateCampaign(listID, []int64{s.AddServer(1, 0, 1)}, 100)

	body := fmt.Sprintf(`{"email":"ann@example.com","type":"hard","status":"5.1.1","diagnostic":"no such user","campaign_id":%d}`, campaign)
	status, out := post(t, s, "/hooks/bounces/generic", "application/json", []byte(body))
	if status != http.StatusAccepted || out["status"] != "received" {
		t.Fatalf("POST generic = %d %v, want 202 received", status, out)
	}
	waitStatus(t, s, "ann@example.com", store.SubscriberBounced)
	var rep store.Report
	s.Do("GET", fmt.Sprintf("/api/campaigns/%d/report", campaign), nil, &rep)
	if rep.Bounces.Hard != 1 {
		t.Errorf("report bounces = %+v, want hard 1", rep.Bounces)
	}

	bad := []struct {
		body, want string
		status     int
	}{
		{`{"email":"ann@example.com",`, "invalid JSON", http.StatusBadRequest},
		{`{"email":"ann@example.com","type":"sometimes"}`, `"type" "sometimes" is invalid`, http.StatusBadRequest},
		{`{"email":"ann@example.com","type":"hard","campaign_id":999999999999}`, "no such campaign", http.StatusBadRequest},
		{`{"email":"ann@example.com","type":"hard","diagnostic":"` + strings.Repeat("x", 70<<10) + `"}`, "exceeds", http.StatusRequestEntityTooLarge},
	}
	for _, b := range bad {
		status, out := post(t, s, "/hooks/bounces/generic", "application/json", []byte(b.body))
		if msg, _ := out["error"].(string); status != b.status || !strings.Contains(msg, b.want) {
			t.Errorf("POST generic %.60s = %d %q, want %d with %q", b.body, status, msg, b.status, b.want)
		}
	}
	resp, err := http.Post(s.URL+"/hooks/bounces/generic", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("generic hook without a bearer token: %d, want 401", resp.StatusCode)
	}
}

func TestBounceSESHook(t *testing.T) {
	s := stacktest.New(t)
	s.StartBounces(inbound.Config{})
	s.ImportList("email\ncid@example.com\n")
	var hooks struct {
		SESURL string `json:"ses_url"`
	}
	s.Do("GET", "/api/bounces/hooks", nil, &hooks)
	u, err := url.Parse(hooks.SESURL)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("ses_url = %q, want a URL with a token", hooks.SESURL)
	}
	path := u.Path + "?" + u.RawQuery

	confirm := []byte(`{"Type":"SubscriptionConfirmation","TopicArn":"arn:aws:sns:eu-west-1:1:ses",
		"SubscribeURL":"https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=t1"}`)
	if status, _ := post(t, s, "/hooks/bounces/ses", "text/plain", confirm); status != http.StatusForbidden {
		t.Errorf("SES hook without token: %d, want 403", status)
	}
	if status, _ := post(t, s, "/hooks/bounces/ses?token=wrong", "text/plain", confirm); status != http.StatusForbidden {
		t.Errorf("SES hook with a wrong token: %d, want 403", status)
	}
	status, out := post(t, s, path, "text/plain", confirm)
	if status != http.StatusOK || !strings.Contains(fmt.Sprint(out["subscribe_url"]), "ConfirmSubscription") {
		t.Errorf("subscription confirmation = %d %v, want the subscribe URL", status, out)
	}
	row := s.WaitInbound(30 * time.Second)
	if row.Status != store.InboundUnmatched || !strings.Contains(row.Reason, "ConfirmSubscription") {
		t.Errorf("confirmation row = %s %q, want unmatched with the subscribe URL", row.Status, row.Reason)
	}

	message, _ := json.Marshal(map[string]any{"notificationType": "Complaint",
		"complaint": map[string]any{"complaintFeedbackType": "abuse",
			"complainedRecipients": []any{map[string]any{"emailAddress": "CID@example.com"}}},
		"mail": map[string]any{"source": "news@example.org"}})
	notification, _ := json.Marshal(map[string]any{"Type": "Notification", "Message": string(message)})
	if status, out := post(t, s, path, "text/plain", notification); status != http.StatusAccepted || out["status"] != "received" {
		t.Errorf("complaint notification = %d %v, want 202 received", status, out)
	}
	waitStatus(t, s, "cid@example.com", store.SubscriberComplained)

	delivery, _ := json.Marshal(map[string]any{"Type": "Notification", "Message": `{"notificationType":"Delivery","mail":{}}`})
	if status, out := post(t, s, path, "text/plain", delivery); status != http.StatusOK || out["ignored"] == nil {
		t.Errorf("delivery notification = %d %v, want 200 ignored", status, out)
	}
	if status, out := post(t, s, path, "text/plain", []byte(`{"Type":`)); status != http.StatusBadRequest ||
		!strings.Contains(fmt.Sprint(out["error"]), "invalid JSON") {
		t.Errorf("malformed notification = %d %v, want 400 naming the JSON problem", status, out)
	}
}

func TestBounceListAPI(t *testing.T) {
	s := stacktest.New(t)
	for path, want := range map[string]int{
		"/api/bounces?status=bogus":             http.StatusBadRequest,
		"/api/bounces?limit=0":                  http.StatusBadRequest,
		"/api/bounces/abc":                      http.StatusBadRequest,
		"/api/bounces/999999":                   http.StatusNotFound,
		"/api/bounces/999999/raw":               http.StatusNotFound,
		"/api/bounces?status=failed":            http.StatusOK,
		"/api/bounces?before_id=-1":             http.StatusBadRequest,
		"/api/bounces?status=unmatched&limit=5": http.StatusOK,
	} {
		err := s.API.Do(context.Background(), "GET", path, nil, nil)
		status := http.StatusOK
		var apiErr *apiclient.Error
		if errors.As(err, &apiErr) {
			status = apiErr.Status
		}
		if status != want {
			t.Errorf("GET %s = %d (%v), want %d", path, status, err, want)
		}
	}
}

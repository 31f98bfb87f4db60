package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/gin-gonic/gin"

	"github.com/pacer-email/pacer/server/web"
)

const fakeToken = "fake-token-for-page-tests"

// fakeAPI mimics the part of pacer's JSON API the page reads, with one
// campaign (id 7), so page behaviour can be tested without the real stack.
type fakeAPI struct {
	mu       sync.Mutex
	campaign gin.H
	report   gin.H // nil makes the report endpoint return 404, like a server without it
	failed   []gin.H
	bodies   map[string]string // request bodies by method and path
}

func newFakeAPI() *fakeAPI {
	return &fakeAPI{bodies: map[string]string{}, campaign: gin.H{
		"id": 7, "name": "Spring sale", "subject": "Hello", "from_email": "news@example.org",
		"status": "Sending", "status_reason": "", "created_at": "2026-03-01T10:00:00Z",
		"counts": gin.H{"total": 50000, "queued": 29000, "retry": 12, "sending": 16, "delivered": 12300,
			"soft_bounced": 40, "hard_bounced": 25, "failed": 3, "uncertain": 1, "skipped": 7},
		"progress":  gin.H{"done": 20625, "total": 50000, "percent": 41.25, "rate": 187.5, "eta_seconds": 3750, "text": "Delivered 12,300 / 50,000"},
		"diagnosis": []string{"The sending server answers slowly: deliveries run at 40% of the set rate."},
	}}
}

func (f *fakeAPI) handler() http.Handler {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	web.Register(r)
	api := r.Group("/api", func(c *gin.Context) {
		if c.GetHeader("Authorization") != "Bearer "+fakeToken {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "invalid bearer token"})
			return
		}
		body, _ := io.ReadAll(c.Request.Body)
		f.mu.Lock()
		f.bodies[c.Request.Method+" "+c.Request.URL.Path] = string(body)
		f.mu.Unlock()
	})

	api.GET("/campaigns", func(c *gin.Context) {
		f.mu.Lock()
		defer f.mu.Unlock()
		older := gin.H{"id": 3, "name": "Winter letter", "status": "Done"}
		c.JSON(http.StatusOK, []gin.H{older, f.campaign})
	})
	api.GET("/campaigns/:id", func(c *gin.Context) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if c.Param("id") != "7" {
			c.JSON(http.StatusNotFound, gin.H{"error": "campaign not found"})
			return
		}
		c.JSON(http.StatusOK, f.campaign)
	})
	api.GET("/campaigns/:id/report", func(c *gin.Context) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.report == nil {
			c.String(http.StatusNotFound, "404 page not found")
			return
		}
		c.JSON(http.StatusOK, f.report)
	})

	api.GET("/campaigns/:id/failed", func(c *gin.Context) {
		f.mu.Lock()
		defer f.mu.Unlock()
		c.JSON(http.StatusOK, f.failed)
	})
	api.POST("/campaigns/:id/pause", func(c *gin.Context) {
		c.JSON(http.StatusConflict, gin.H{"error": "campaign 7 is already paused: resume it instead"})
	})
	api.POST("/campaigns/:id/failed/redispatch", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"campaign_id": 7, "redispatched": 2, "batches": []int{4}})
	})
	api.POST("/campaigns/:id/test", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"campaign_id": 7, "results": []gin.H{
			{"email": "ada@example.com", "ok": true, "reply": "250 2.0.0 queued"},
			{"email": "bob@example.com", "ok": false, "reply": "550 5.1.1 user unknown"},
		}})
	})

	api.GET("/lists", func(c *gin.Context) {
		c.JSON(http.StatusOK, []gin.H{{"id": 1, "name": "Customers", "subscribers": 1200}})
	})
	api.GET("/servers", func(c *gin.Context) {
		c.JSON(http.StatusOK, []gin.H{{"id": 2, "name": "relay", "host": "127.0.0.1", "port": 25, "rate_per_second": 50}})
	})
	return r
}

func (f *fakeAPI) body(route string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[route]
}

func (f *fakeAPI) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func sampleReport() gin.H {
	return gin.H{
		"campaign_id": 7, "sent": 20000, "delivered": 12300,
		"opens": gin.H{"unique": 4100, "total": 6500, "machine": 900},
		"clicks": gin.H{"unique": 820, "total": 1300, "machine": 40, "links": []gin.H{
			{"url": "https://example.com/shoes", "unique": 120, "total": 150},
			{"url": "https://example.com/sale?utm=spring", "unique": 700, "total": 1150},
		}},
		"bounces":      gin.H{"hard": 25, "soft": 40, "by_reason": []gin.H{{"reason": "user unknown", "count": 25}}},
		"unsubscribes": 31, "complaints": 2,
		"timeline": []gin.H{
			{"t": "2026-03-01T10:00:00Z", "sent": 9000, "opens": 100, "clicks": 5},
			{"t": "2026-03-01T10:01:00Z", "sent": 11000, "opens": 2500, "clicks": 300},
			{"t": "2026-03-01T10:02:00Z", "sent": 0, "opens": 3900, "clicks": 995},
		},
		"recent": gin.H{
			"bounces":      []gin.H{{"email": "gone@example.net", "type": "hard", "status": "5.1.1", "reason": "user unknown", "at": "2026-03-01T10:01:10Z"}},
			"unsubscribes": []gin.H{{"email": "bye@example.net", "at": "2026-03-01T10:02:00Z"}},
			"complaints":   []gin.H{{"email": "angry@example.net", "at": "2026-03-01T10:02:30Z"}},
		},
	}
}

func TestPageOverviewFromFragmentToken(t *testing.T) {
	api := newFakeAPI()
	api.report = sampleReport()
	url := api.start(t)
	b := newBrowser(t)
	b.open(url + "/#token=" + fakeToken)

	b.waitText("#progress-text", "Delivered 12,300 / 50,000", 10*time.Second)
	var href string
	b.eval(`location.href`, &href)
	if strings.Contains(href, fakeToken) {
		t.Errorf("address %q still holds the token; the page must drop the #token= fragment", href)
	}
	if !strings.HasSuffix(href, "#/campaigns/7") {
		t.Errorf("address = %q, want the newest campaign, #/campaigns/7", href)
	}
	if got := b.attr("#campaign-list li:first-child a", "data-id"); got != "7" {
		t.Errorf("first campaign in the list has id %q, want 7 (newest first)", got)
	}
	if got := b.text("#campaign-status"); got != "Sending" {
		t.Errorf("status badge = %q, want Sending", got)
	}
	if got := b.attr("#progress", "role"); got != "progressbar" {
		t.Errorf("progress bar role = %q, want progressbar", got)
	}
	if got := b.attr("#progress", "aria-valuenow"); got != "41.2" {
		t.Errorf("aria-valuenow = %q, want 41.2 (41.25 rounded down)", got)
	}
	if got := b.text("#progress-rate"); got != "188 per second" {
		t.Errorf("rate = %q, want %q", got, "188 per second")
	}
	if got := b.text("#progress-eta"); got != "1h 02m" {
		t.Errorf("ETA = %q, want %q for 3750 s", got, "1h 02m")
	}
	for id, want := range map[string]string{"delivered": "12,300", "soft_bounced": "40", "hard_bounced": "25",
		"failed": "3", "uncertain": "1", "skipped": "7", "queued": "29,000", "retry": "12"} {
		if got := b.text("#count-" + id); got != want {
			t.Errorf("count %s = %q, want %q", id, got, want)
		}
	}
	if got := b.text("#diagnosis-list"); !strings.Contains(got, "answers slowly") {
		t.Errorf("diagnosis box = %q, want the API's diagnosis sentence", got)
	}
	var hidden bool
	b.eval(`document.querySelector('#diagnosis').hidden`, &hidden)
	if hidden {
		t.Error("diagnosis box is hidden although the API sent a diagnosis")
	}

	var lines []int
	b.waitFor("chart drawn", `document.querySelectorAll('#timeline svg polyline').length === 3`, 10*time.Second)
	b.eval(`[...document.querySelectorAll('#timeline svg polyline')].map((l) => l.getAttribute('points').split(' ').length)`, &lines)
	for i, n := range lines {
		if n != 3 {
			t.Errorf("chart line %d has %d points, want 3 (one per timeline minute)", i, n)
		}
	}

	var unlabelled, lowContrast []string
	b.eval(unlabelledControls, &unlabelled)
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %v", unlabelled)
	}
	b.eval(lowContrastText, &lowContrast)
	if len(lowContrast) > 0 {
		t.Errorf("text below WCAG AA contrast (4.5:1): %v", lowContrast)
	}
}

func TestPageTabsKeyboard(t *testing.T) {
	api := newFakeAPI()
	api.report = sampleReport()
	url := api.start(t)
	b := newBrowser(t)
	b.open(url + "/#token=" + fakeToken)
	b.waitText("#progress-text", "Delivered", 10*time.Second)
	b.waitFor("report loaded", `document.querySelector('#timeline svg')`, 10*time.Second)

	b.do("focus the Overview tab", chromedp.Focus(chromedp.CSS("#tab-overview")))
	keys := map[string]string{"ArrowRight": kb.ArrowRight, "ArrowLeft": kb.ArrowLeft, "Home": kb.Home, "End": kb.End}
	steps := []struct {
		key, want string
	}{
		{"ArrowRight", "opens"},
		{"ArrowRight", "clicks"},
		{"ArrowLeft", "opens"},
		{"End", "failed"},
		{"ArrowRight", "overview"}, // wraps around
		{"ArrowLeft", "failed"},
		{"Home", "overview"},
	}
	for _, step := range steps {
		b.do("press "+step.key, chromedp.KeyEvent(keys[step.key]))
		var state struct {
			Focused  string   `json:"focused"`
			Selected []string `json:"selected"`
			Visible  []string `json:"visible"`
		}
		b.eval(`({
			focused: document.activeElement.id,
			selected: [...document.querySelectorAll('[role=tab][aria-selected=true]')].map((t) => t.id),
			visible: [...document.querySelectorAll('[role=tabpanel]')].filter((p) => !p.hidden).map((p) => p.id),
		})`, &state)
		if state.Focused != "tab-"+step.want {
			t.Errorf("after %q focus is on %q, want tab-%s", step.key, state.Focused, step.want)
		}
		if len(state.Selected) != 1 || state.Selected[0] != "tab-"+step.want {
			t.Errorf("after %q selected tabs = %v, want [tab-%s]", step.key, state.Selected, step.want)
		}
		if len(state.Visible) != 1 || state.Visible[0] != "panel-"+step.want {
			t.Errorf("after %q visible panels = %v, want [panel-%s]", step.key, state.Visible, step.want)
		}
	}

	b.click("#tab-clicks")
	clicks := b.text("#panel-clicks")
	for _, want := range []string{"https://example.com/sale?utm=spring", "https://example.com/shoes", "700", "1,150"} {
		if !strings.Contains(clicks, want) {
			t.Errorf("Clicks panel lacks %q: %q", want, clicks)
		}
	}
	var firstLink string
	b.eval(`document.querySelector('#panel-clicks tbody tr td').textContent`, &firstLink)
	if firstLink != "https://example.com/sale?utm=spring" {
		t.Errorf("first link row = %q, want the link with the most unique clicks first", firstLink)
	}
	b.click("#tab-bounces")
	if got := b.text("#panel-bounces"); !strings.Contains(got, "5.1.1") || !strings.Contains(got, "gone@example.net") {
		t.Errorf("Bounces panel lacks the recent bounce: %q", got)
	}
	b.click("#tab-opens")
	if got := b.text("#opens-unique"); got != "4,100" {
		t.Errorf("unique opens = %q, want 4,100", got)
	}
	b.click("#tab-complaints")
	if got := b.text("#panel-complaints"); !strings.Contains(got, "angry@example.net") {
		t.Errorf("Complaints panel lacks the recent complaint: %q", got)
	}
	b.click("#tab-unsubscribes")
	if got := b.text("#panel-unsubscribes"); !strings.Contains(got, "bye@example.net") {
		t.Errorf("Unsubscribes panel lacks the recent unsubscribe: %q", got)
	}
}

func TestPageWithoutReport(t *testing.T) {
	api := newFakeAPI()
	url := api.start(t)
	b := newBrowser(t)
	b.open(url + "/#token=" + fakeToken)
	b.waitText("#timeline", "No report yet", 10*time.Second)

	b.click("#tab-clicks")
	if got := b.text("#panel-clicks"); !strings.Contains(got, "No report yet") {
		t.Errorf("Clicks panel without a report = %q, want it to say No report yet", got)
	}
	if got := b.text("#alert"); got != "" {
		t.Errorf("a missing report raised an alert: %q", got)
	}
	// The page keeps polling the campaign after the 404.
	b.waitText("#progress-text", "Delivered 12,300 / 50,000", 5*time.Second)
	api.mu.Lock()
	api.campaign["progress"].(gin.H)["text"] = "Delivered 12,400 / 50,000"
	api.mu.Unlock()
	b.waitText("#progress-text", "Delivered 12,400 / 50,000", 5*time.Second)
}

func TestPageShowsAPIError(t *testing.T) {
	api := newFakeAPI()
	url := api.start(t)
	b := newBrowser(t)
	b.open(url + "/#token=" + fakeToken)
	b.waitFor("Pause enabled", `document.querySelector('#action-pause') && !document.querySelector('#action-pause').disabled`, 10*time.Second)

	b.click("#action-pause")
	b.waitText("#alert", "Pause failed: campaign 7 is already paused: resume it instead", 5*time.Second)
	if got := b.attr("#alert", "role"); got != "alert" {
		t.Errorf("error region role = %q, want alert", got)
	}
	b.click("#alert button")
	b.waitFor("alert dismissed", `document.querySelector('#alert').textContent === ''`, 5*time.Second)
}

func TestPageRejectsBadToken(t *testing.T) {
	api := newFakeAPI()
	url := api.start(t)
	b := newBrowser(t)
	b.open(url + "/")
	b.waitFor("login form", `!document.querySelector('#login').hidden`, 10*time.Second)

	b.typeText("#login-token", "not-the-token")
	b.click("#login-form button[type=submit]")
	b.waitText("#alert", "rejected the token", 5*time.Second)
	var appHidden bool
	b.eval(`document.querySelector('#app').hidden`, &appHidden)
	if !appHidden {
		t.Error("campaigns are shown after a rejected token")
	}
	var stored string
	b.eval(`sessionStorage.getItem('pacer.token') ?? ''`, &stored)
	if stored != "" {
		t.Errorf("rejected token %q stayed in sessionStorage", stored)
	}

	var left string
	b.eval(`document.querySelector('#login-token').value`, &left)
	if left != "" {
		t.Errorf("token field still holds %q after the rejection", left)
	}
	b.typeText("#login-token", fakeToken)
	b.click("#login-form button[type=submit]")
	b.waitText("#progress-text", "Delivered 12,300 / 50,000", 10*time.Second)
}

func TestPageFormsLabelled(t *testing.T) {
	api := newFakeAPI()
	url := api.start(t)
	b := newBrowser(t)
	b.open(url + "/#token=" + fakeToken)
	b.waitText("#progress-text", "Delivered", 10*time.Second)

	for _, route := range []string{"#/new", "#/import"} {
		b.do("go to "+route, chromedp.Evaluate[chromedp.Void](`location.hash = `+jsString(route)))
		b.waitFor(route+" form", `document.querySelector('#view form')`, 10*time.Second)
		var unlabelled, lowContrast []string
		b.eval(unlabelledControls, &unlabelled)
		if len(unlabelled) > 0 {
			t.Errorf("%s: controls without a label: %v", route, unlabelled)
		}
		b.eval(lowContrastText, &lowContrast)
		if len(lowContrast) > 0 {
			t.Errorf("%s: text below WCAG AA contrast (4.5:1): %v", route, lowContrast)
		}
		if route != "#/new" {
			continue
		}
		if got := b.text("#list-group"); !strings.Contains(got, "Customers (1,200 subscribers)") {
			t.Errorf("list choices = %q, want the lists from GET /api/lists", got)
		}
		if got := b.text("#server-group"); !strings.Contains(got, "relay: 127.0.0.1:25, 50 per second") {
			t.Errorf("server choices = %q, want the servers from GET /api/servers", got)
		}
	}
}

func TestPageControlsAndFailedSends(t *testing.T) {
	api := newFakeAPI()
	api.failed = []gin.H{{"subscriber_id": 4, "email": "blocked-1@example.com", "reason": "blocked",
		"smtp_code": 554, "enhanced_code": "5.7.1", "reply": "policy rejection", "attempts": 2}}
	url := api.start(t)
	b := newBrowser(t)
	b.open(url + "/#token=" + fakeToken)
	b.waitFor("Re-dispatch enabled", `document.querySelector('#action-redispatch') && !document.querySelector('#action-redispatch').disabled`, 10*time.Second)

	b.click("#tab-failed")
	b.waitText("#failed-table", "blocked-1@example.com", 5*time.Second)
	if got := b.text("#failed-table tbody"); !strings.Contains(got, "554 5.7.1 policy rejection") {
		t.Errorf("failed sends table = %q, want the SMTP reply 554 5.7.1 policy rejection", got)
	}

	b.click("#action-redispatch")
	b.waitText("#announcer", "2 failed sends re-dispatched.", 5*time.Second)
	if got := api.body("POST /api/campaigns/7/failed/redispatch"); got != "{}" {
		t.Errorf("re-dispatch request body = %q, want {}", got)
	}

	b.typeText("#test-emails", "ada@example.com, bob@example.com")
	b.click("#action-test")
	b.waitText("#test-results", "bob@example.com: rejected (550 5.1.1 user unknown)", 5*time.Second)
	if got := b.text("#test-results"); !strings.Contains(got, "ada@example.com: accepted (250 2.0.0 queued)") {
		t.Errorf("test results = %q, want ada@example.com accepted", got)
	}
	if got := api.body("POST /api/campaigns/7/test"); got != `{"emails":["ada@example.com","bob@example.com"]}` {
		t.Errorf("test message request body = %q, want both addresses", got)
	}
	for _, id := range []string{"send", "resume"} {
		var disabled bool
		b.eval(`document.querySelector('#action-`+id+`').disabled`, &disabled)
		if !disabled {
			t.Errorf("%s button is enabled for a Sending campaign", id)
		}
	}
}

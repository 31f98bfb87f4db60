package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/pacer-email/pacer/server/web"
)

func get(t *testing.T, r http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

func TestRegisterServesPageAndAssets(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	web.Register(r)

	cases := []struct {
		path, contentType, body string
	}{
		{"/", "text/html", `<script type="module" src="/ui/js/main.js">`},
		{"/ui/app.css", "text/css", "--primary"},
		{"/ui/js/main.js", "text/javascript", "import { CampaignView }"},
		{"/ui/js/chart.js", "text/javascript", "export function timelineChart"},
	}
	for _, tc := range cases {
		resp := get(t, r, tc.path)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", tc.path, resp.StatusCode)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
			t.Errorf("GET %s Content-Type = %q, want %s", tc.path, ct, tc.contentType)
		}
		if !strings.Contains(string(body), tc.body) {
			t.Errorf("GET %s body lacks %q", tc.path, tc.body)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s Content-Security-Policy = %q, want scripts from this origin only", tc.path, csp)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s X-Content-Type-Options = %q, want nosniff", tc.path, got)
		}
	}
}

func TestRegisterRejectsListingsAndMissingFiles(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	web.Register(r)
	for _, path := range []string{"/ui/", "/ui/js/", "/ui/missing.js", "/ui/../web.go"} {
		if resp := get(t, r, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404 (no directory listing, nothing outside the assets)", path, resp.StatusCode)
		}
	}
}

// TestPageUsesNoExternalResources keeps the page self-contained: every
// src and href in the HTML and every import in the scripts is a local path.
func TestPageUsesNoExternalResources(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	web.Register(r)
	for _, path := range []string{"/", "/ui/app.css", "/ui/js/main.js", "/ui/js/campaign.js", "/ui/js/forms.js",
		"/ui/js/report.js", "/ui/js/chart.js", "/ui/js/api.js", "/ui/js/dom.js", "/ui/js/tabs.js", "/ui/js/notify.js"} {
		resp := get(t, r, path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		for _, marker := range []string{"http://", "https://", "//cdn", "@import", "url(http"} {
			for _, line := range strings.Split(string(body), "\n") {
				if !strings.Contains(line, marker) || allowedURL(line) {
					continue
				}
				t.Errorf("%s loads an external resource (%q): %s", path, marker, strings.TrimSpace(line))
			}
		}
	}
}

// allowedURL reports whether a line names an absolute URL without loading
// it: the SVG namespace and sample links shown as text.
func allowedURL(line string) bool {
	return strings.Contains(line, "http://www.w3.org/2000/svg")
}

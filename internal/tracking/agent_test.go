package tracking

import (
	"strings"
	"testing"
	"time"
)

const iPhoneAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 " +
	"(KHTML, like Gecko) Mobile/15E148"

func TestClassifyAgent(t *testing.T) {
	const (
		chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " +
			"Chrome/124.0.0.0 Safari/537.36"
		iphone  = iPhoneAgent
		outlook = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)"
		minute  = time.Minute
	)
	tests := []struct {
		ua, ip string
		since  time.Duration
		reason string // "" for a person
	}{
		{chrome, "203.0.113.7", minute, ""},
		{iphone, "203.0.113.7:51234", minute, ""},
		{outlook, "203.0.113.7", minute, ""},
		{"Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36", "", 0, ""},
		{chrome, "", 0, ""}, // nothing known about the timing
		{"Mozilla/5.0", "17.58.1.1", minute, ReasonProxy + ": Apple"},
		{"Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
			"66.249.84.1", minute, ReasonProxy + ": Gmail"},
		{"YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html", "", minute, ReasonProxy + ": Yahoo"},
		{chrome, "66.249.66.1", minute, ReasonProxy + ": Google network"},
		{chrome, "::ffff:66.102.8.1", minute, ReasonProxy + ": Google network"},
		{"Mozilla/5.0 (compatible; Barracuda Sentinel)", "", minute, ReasonScanner + ": Barracuda"},
		{"Mimecast/1.0", "", minute, ReasonScanner + ": Mimecast"},
		{"Mozilla/5.0 (Proofpoint URL Defense)", "", minute, ReasonScanner + ": Proofpoint"},
		{"Microsoft Office Existence Discovery", "", minute, ReasonScanner + ": Microsoft Office"},
		{"Mozilla/4.0 (compatible; ms-office; MSOffice 16)", "", minute, ReasonScanner + ": Microsoft Office"},
		{"Mozilla/5.0 (Windows NT 10.0) SafeLinks", "", minute, ReasonScanner + ": Microsoft Safe Links"},
		{"curl/8.5.0", "", minute, ReasonTool + ": curl"},
		{"Wget/1.21", "", minute, ReasonTool + ": Wget"},
		{"python-requests/2.31", "", minute, ReasonTool + ": python-requests"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
			"", minute, ReasonTool + ": headless"},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "", minute, ReasonTool + ": bot"},
		{"", "203.0.113.7", minute, ReasonNoAgent},
		{chrome, "203.0.113.7", 2 * time.Second, ReasonTooSoon},
	}
	for _, tt := range tests {
		machine, reason := ClassifyAgent(tt.ua, tt.ip, tt.since)
		if machine != (tt.reason != "") || !strings.HasPrefix(reason, tt.reason) {
			t.Errorf("ClassifyAgent(%q, %q, %v) = %v, %q; want reason %q", tt.ua, tt.ip, tt.since, machine, reason, tt.reason)
		}
	}
}

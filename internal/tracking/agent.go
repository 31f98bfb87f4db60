package tracking

import (
	"net/netip"
	"strings"
	"time"
)

// MinHumanDelay is the shortest time after delivery at which an open or a
// click is taken to come from a person. Security gateways fetch every link of
// a message within seconds of accepting it, before anyone could read it.
const MinHumanDelay = 5 * time.Second

// Reason prefixes of [ClassifyAgent]. A reason is a prefix, a colon and the
// name of the proxy, scanner or tool, such as "scanner: Mimecast".
const (
	// ReasonProxy is a mailbox provider's image proxy. Apple's fetches
	// every image when a message is downloaded, read or not, so its fetch
	// is no sign of a reader. Gmail's and Yahoo's fetch when the message
	// is displayed and cache afterwards: the first such fetch does follow
	// an open, but its address and agent are the proxy's. Count those as
	// opens of unknown place and device if you count them at all.
	ReasonProxy = "proxy"
	// ReasonScanner is a security gateway or link scanner following links
	// to check them.
	ReasonScanner = "scanner"
	// ReasonTool is a crawler, an HTTP library or a headless browser.
	ReasonTool = "tool"
	// ReasonTooSoon is activity less than MinHumanDelay after delivery.
	ReasonTooSoon = "too soon after delivery"
	// ReasonNoAgent is a request without a User-Agent, which browsers and
	// mail clients always send.
	ReasonNoAgent = "no user agent"
)

// agentSignature is a fragment of a User-Agent, in lower case, and what it
// shows, unless the agent also contains the fragment unless.
type agentSignature struct{ fragment, unless, reason string }

// agentSignatures are checked in order; the first match wins.
//
// Evidence, from the user-agent databases of ua-parser and browscap, ESP
// documentation and Microsoft's description of Office's link checks:
//   - Apple Mail Privacy Protection has fetched with the agent "Mozilla/5.0"
//     and nothing else since September 2021 (matched exactly in
//     ClassifyAgent).
//   - Gmail's proxy sends "... (via ggpht.com GoogleImageProxy)" and Yahoo's
//     sends "YahooMailProxy".
//   - Some security gateways name their vendor in the agent. Many pose as a
//     browser, and only the timing check catches those.
//   - Office apps check a link before the browser opens it, as "Microsoft
//     Office Existence Discovery", "Microsoft Office Protocol Discovery" or
//     an agent with "ms-office"; Safe Links checks carry "SafeLinks".
//   - Crawlers carry "bot/", "crawler", "spider" or a "+http" contact URL.
//     The match is on "bot/" and not "bot", so that phones such as the
//     CUBOT P30 pass.
//
// NOTE: Outlook for Windows is thought to load images with an agent that
// starts "Microsoft Office/16.0" and also names "Microsoft Outlook", so that
// agent passes as a reader; this was not checked against a current build.
var agentSignatures = []agentSignature{
	{"googleimageproxy", "", ReasonProxy + ": Gmail image proxy"},
	{"via ggpht.com", "", ReasonProxy + ": Gmail image proxy"},
	{"yahoomailproxy", "", ReasonProxy + ": Yahoo Mail image proxy"},
	{"barracuda", "", ReasonScanner + ": Barracuda"},
	{"mimecast", "", ReasonScanner + ": Mimecast"},
	{"proofpoint", "", ReasonScanner + ": Proofpoint"},
	{"safelinks", "", ReasonScanner + ": Microsoft Safe Links"},
	{"microsoft office", "microsoft outlook", ReasonScanner + ": Microsoft Office link check"},
	{"ms-office", "", ReasonScanner + ": Microsoft Office link check"},
	{"ironport", "", ReasonScanner + ": Cisco IronPort"},
	{"trendmicro", "", ReasonScanner + ": Trend Micro"},
	{"trend micro", "", ReasonScanner + ": Trend Micro"},
	{"symantec", "", ReasonScanner + ": Symantec"},
	{"forcepoint", "", ReasonScanner + ": Forcepoint"},
	{"fortiguard", "", ReasonScanner + ": Fortinet"},
	{"sophos", "", ReasonScanner + ": Sophos"},
	{"headlesschrome", "", ReasonTool + ": headless Chrome"},
	{"phantomjs", "", ReasonTool + ": PhantomJS"},
	{"curl/", "", ReasonTool + ": curl"},
	{"wget/", "", ReasonTool + ": Wget"},
	{"python-requests", "", ReasonTool + ": python-requests"},
	{"python-urllib", "", ReasonTool + ": Python urllib"},
	{"aiohttp", "", ReasonTool + ": aiohttp"},
	{"go-http-client", "", ReasonTool + ": Go net/http"},
	{"java/", "", ReasonTool + ": Java"},
	{"apache-httpclient", "", ReasonTool + ": Apache HttpClient"},
	{"libwww-perl", "", ReasonTool + ": libwww-perl"},
	{"facebookexternalhit", "", ReasonTool + ": Facebook link preview"},
	{"bot/", "", ReasonTool + ": bot"},
	{"bot;", "", ReasonTool + ": bot"},
	{"crawler", "", ReasonTool + ": crawler"},
	{"spider", "", ReasonTool + ": crawler"},
	{"+http", "", ReasonTool + ": bot"},
}

// machineNetworks are address ranges that only machines fetch from:
// Google's crawler and image proxy hosts, whose reverse names are
// crawl-66-249-*.googlebot.com and google-proxy-66-*.google.com.
var machineNetworks = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("66.249.64.0/19"), ReasonProxy + ": Google network"},
	{netip.MustParsePrefix("66.102.0.0/20"), ReasonProxy + ": Google network"},
}

// ClassifyAgent reports whether an open or click comes from a machine
// rather than a person, and why. The reason starts with one of the Reason
// constants, and a person's request gets false and "".
//
// userAgent is the request's User-Agent. remoteIP is the client address, as
// a bare IP or host:port, or empty if unknown. sinceDelivery is the time
// from the SMTP server accepting the message to the request, or zero if
// unknown.
func ClassifyAgent(userAgent, remoteIP string, sinceDelivery time.Duration) (machine bool, reason string) {
	ua := strings.TrimSpace(userAgent)
	switch {
	case ua == "":
		return true, ReasonNoAgent
	case ua == "Mozilla/5.0":
		return true, ReasonProxy + ": Apple Mail Privacy Protection"
	}
	lower := strings.ToLower(ua)
	for _, s := range agentSignatures {
		if strings.Contains(lower, s.fragment) && (s.unless == "" || !strings.Contains(lower, s.unless)) {
			return true, s.reason
		}
	}
	if addr, ok := parseIP(remoteIP); ok {
		for _, n := range machineNetworks {
			if n.prefix.Contains(addr) {
				return true, n.reason
			}
		}
	}
	if sinceDelivery != 0 && sinceDelivery < MinHumanDelay {
		return true, ReasonTooSoon
	}
	return false, ""
}

func parseIP(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

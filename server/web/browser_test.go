package web_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium tab driven by a test.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu         sync.Mutex
	exceptions []string
}

// chromiumPath returns the Chromium binary. When it is missing, the test is
// skipped, or fails under PACER_TEST_REQUIRE=1, which requires every test to run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PACER_TEST_REQUIRE") == "1" {
		t.Fatal("chromium is not installed: run `apt-get install -y chromium` (scripts/test.sh does)")
	}
	t.Skip("chromium is not installed; `apt-get install -y chromium` or scripts/test.sh installs it")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile. The flags that
// turn off background networking keep Chromium from dialling hosts other
// than the test server. Uncaught page exceptions fail the test.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	b := &browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.exceptions {
			t.Errorf("uncaught exception in the page: %s", e)
		}
	})
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			text := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				text += " " + ev.ExceptionDetails.Exception.Description
			}
			b.mu.Lock()
			b.exceptions = append(b.exceptions, text)
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs actions and fails the test on an error.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// open loads url and waits until the page's body is ready.
func (b *browser) open(url string) {
	b.t.Helper()
	b.do("open "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// click clicks the element the CSS selector finds first, once visible.
func (b *browser) click(selector string) {
	b.t.Helper()
	b.do("click "+selector, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
}

// typeText types text into the input the CSS selector finds.
func (b *browser) typeText(selector, text string) {
	b.t.Helper()
	b.do("type into "+selector, chromedp.SendKeys(chromedp.CSS(selector), text, chromedp.NodeVisible))
}

// eval evaluates a JavaScript expression and decodes its value into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("evaluate %s: decode %s: %v", expr, raw, err)
	}
}

// text returns the text content of the element the CSS selector finds, or
// "" when there is none.
func (b *browser) text(selector string) string {
	b.t.Helper()
	var s string
	b.eval(`(document.querySelector(`+jsString(selector)+`) || {textContent: ""}).textContent`, &s)
	return strings.TrimSpace(s)
}

// attr returns an attribute of the element the CSS selector finds, or "".
func (b *browser) attr(selector, name string) string {
	b.t.Helper()
	var s string
	b.eval(`(document.querySelector(`+jsString(selector)+`)?.getAttribute(`+jsString(name)+`)) ?? ""`, &s)
	return s
}

// waitFor polls a JavaScript condition every 50 ms until it is true. After
// timeout it fails the test, naming the expectation and the alert region's text.
func (b *browser) waitFor(expectation, cond string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		b.eval(`Boolean(`+cond+`)`, &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not seen after %s (condition %s); alert region: %q", expectation, timeout, cond, b.text("#alert"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitText waits until the element's text contains want.
func (b *browser) waitText(selector, want string, timeout time.Duration) {
	b.t.Helper()
	b.waitFor(selector+" shows "+want,
		`(document.querySelector(`+jsString(selector)+`)?.textContent || "").includes(`+jsString(want)+`)`, timeout)
}

// screenshot returns a PNG of the whole page.
func (b *browser) screenshot() []byte {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	return png
}

func jsString(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}

// unlabelledControls returns the ids (or tag names) of inputs, selects and
// text areas that have neither a <label> nor an aria-label.
const unlabelledControls = `[...document.querySelectorAll('input, select, textarea')]
	.filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
	.filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
	.map((el) => el.id || el.outerHTML.slice(0, 60))`

// lowContrastText returns visible text whose colour has a contrast ratio
// under 4.5:1 against the first opaque background behind it (WCAG 2.1
// success criterion 1.4.3, normal-size text), as "ratio: text" strings.
const lowContrastText = `(() => {
	const parse = (c) => (c.match(/[\d.]+/g) || []).map(Number);
	const lum = ([r, g, b]) => {
		const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
		return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
	};
	const background = (el) => {
		for (let e = el; e; e = e.parentElement) {
			const c = parse(getComputedStyle(e).backgroundColor);
			if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
		}
		return [255, 255, 255];
	};
	const out = [];
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let node = walker.nextNode(); node; node = walker.nextNode()) {
		const el = node.parentElement;
		if (!node.textContent.trim() || !el || el.closest('svg, [hidden], .visually-hidden, .skip-link')) continue;
		if (el.getClientRects().length === 0) continue;
		const fg = lum(parse(getComputedStyle(el).color));
		const bg = lum(background(el));
		const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
		if (ratio < 4.5) out.push(ratio.toFixed(2) + ': ' + node.textContent.trim().slice(0, 40));
	}
	return out;
})()`

package api

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/events"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/tracking"
)

// The tracking and unsubscribe endpoints sit outside /api and take no
// bearer token: the signed token in the path is the only credential.
//
//	GET  /t/o/<token>.gif   open pixel: the GIF at once, then an open event
//	GET  /t/c/<token>       click: 302 to the link's target, then a click event
//	GET  /u/<token>         unsubscribe page with a button; changes nothing
//	POST /u/<token>         unsubscribe at once (RFC 8058 one-click)
//
// Link scanners and prefetchers GET every URL of a message, so a GET never
// unsubscribes. A mailbox provider's one-click POST carries no cookie and no
// CSRF token and gets no confirmation step: the signed token is enough, and
// the POST changes the subscriber before it is answered.
//
// # Who counted
//
// [tracking.ClassifyAgent] looks at the User-Agent and the client address
// (gin's ClientIP: X-Forwarded-For from any proxy, as gin trusts them all by
// default; a forged header only changes how its sender's own hits count).
// The time since delivery, its third signal, is applied per batch by
// [events.Writer], which reads sends.done_at once per batch instead of once
// per hit. The verdicts, stored in the events' machine column:
//
//   - "proxy:" on an open (Gmail's, Yahoo's and Apple's image proxies, and
//     Google's network): counted as an open, because these proxies fetch
//     the pixel when the message is opened, or, for Apple, downloaded; the
//     reason stays in detail.agent and detail.proxy is true, so a report can
//     leave them out.
//   - "proxy:" on a click: machine. Image proxies do not follow links; a
//     click from their networks is a crawler.
//   - "scanner:", "tool:", no User-Agent, and "too soon after delivery":
//     machine, with the reason in detail.agent.
//
// Unsubscribes are never machine traffic: a GET cannot cause one.
//
// NOTE: campaigns do not store registered link lists yet, so every click
// token carries its target; a genuine token with a link index answers 404.

//go:embed tracking.html
var trackingPageHTML string

var trackingPage = template.Must(template.New("tracking").Parse(trackingPageHTML))

// pageSecurityPolicy lets the unsubscribe page use its inline style sheet
// and post its form to itself, and nothing else.
const pageSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; " +
	"base-uri 'none'; frame-ancestors 'none'"

// trackingHandlers serves the tracking and unsubscribe endpoints.
type trackingHandlers struct {
	s       *Server
	tracker *tracking.Tracker
	links   *tracking.LinkCache
}

// trackingRoutes adds the tracking and unsubscribe endpoints to r.
func (s *Server) trackingRoutes(r *gin.Engine) {
	// Tokens are checked with the signer alone; the base URL only matters
	// for making URLs, which the worker does with Config.PublicURL.
	tracker, err := tracking.New(s.Signer, "http://localhost")
	if err != nil {
		s.Log.Error("tracking endpoints not served", zap.Error(err))
		return
	}
	h := &trackingHandlers{s: s, tracker: tracker,
		links: tracking.NewLinkCache(func(context.Context, int64) ([]string, error) { return nil, nil })}
	r.GET(tracking.OpenPath+":token", h.open)
	r.HEAD(tracking.OpenPath+":token", h.open)
	r.GET(tracking.ClickPath+":token", h.click)
	r.HEAD(tracking.ClickPath+":token", h.click)
	r.GET(tracking.UnsubscribePath+":token", h.unsubscribePage)
	r.POST(tracking.UnsubscribePath+":token", h.unsubscribe)
}

// open answers the pixel to any request, so that a message whose token no
// longer verifies shows no broken image, and records an open for a genuine
// token once the answer is sent. HEAD requests record nothing.
func (h *trackingHandlers) open(c *gin.Context) {
	at := time.Now()
	hd := c.Writer.Header()
	hd.Set("Content-Type", "image/gif")
	hd.Set("Content-Length", strconv.Itoa(len(tracking.PixelGIF)))
	hd.Set("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0")
	hd.Set("Pragma", "no-cache")
	hd.Set("Expires", "0")
	c.Status(http.StatusOK)
	if c.Request.Method == http.MethodHead {
		return
	}
	_, _ = c.Writer.Write(tracking.PixelGIF)
	c.Writer.Flush()

	id, ok := h.tracker.ParseOpen(c.Param("token"))
	if !ok {
		return
	}
	machine, detail := classifyHit(store.EventOpen, c.Request.UserAgent(), c.ClientIP())
	h.record(c, store.Event{CampaignID: id.CampaignID, SubscriberID: id.SubscriberID,
		Kind: store.EventOpen, Machine: machine, Detail: detail, CreatedAt: at})
}

// click redirects a genuine token to its target and records the click. A
// forged or altered token gets 404 and no Location: never an open redirect.
func (h *trackingHandlers) click(c *gin.Context) {
	at := time.Now()
	click, ok := h.tracker.ParseClick(c.Param("token"))
	if !ok {
		h.page(c, http.StatusNotFound, notFoundPage)
		return
	}
	target, err := h.links.Target(c.Request.Context(), click)
	if err != nil || !isWebURL(target) {
		h.page(c, http.StatusNotFound, notFoundPage)
		return
	}
	hd := c.Writer.Header()
	hd.Set("Location", tracking.LocationHeader(target))
	hd.Set("Content-Length", "0")
	hd.Set("Cache-Control", "no-store")
	// The tracking URL names the subscriber; keep it from the target site.
	hd.Set("Referrer-Policy", "no-referrer")
	c.Status(http.StatusFound)
	c.Writer.WriteHeaderNow()
	if c.Request.Method == http.MethodHead {
		return
	}
	c.Writer.Flush()

	machine, detail := classifyHit(store.EventClick, c.Request.UserAgent(), c.ClientIP())
	if detail == nil {
		detail = map[string]any{}
	}
	detail["url"] = target
	h.record(c, store.Event{CampaignID: click.ID.CampaignID, SubscriberID: click.ID.SubscriberID,
		Kind: store.EventClick, Machine: machine, Detail: detail, CreatedAt: at})
}

// unsubscribePage shows the unsubscribe button. It changes nothing.
func (h *trackingHandlers) unsubscribePage(c *gin.Context) {
	if _, ok := h.tracker.ParseUnsubscribe(c.Param("token")); !ok {
		h.page(c, http.StatusNotFound, notFoundPage)
		return
	}
	h.page(c, http.StatusOK, confirmPage)
}

// unsubscribe unsubscribes the token's subscriber at once, whatever the
// body; RFC 8058 providers send List-Unsubscribe=One-Click. Repeating it
// changes nothing more and answers 200 again. The unsubscribe event is
// recorded only by the request that changed the subscriber.
func (h *trackingHandlers) unsubscribe(c *gin.Context) {
	at := time.Now()
	id, ok := h.tracker.ParseUnsubscribe(c.Param("token"))
	if !ok {
		h.page(c, http.StatusNotFound, notFoundPage)
		return
	}
	method := "page"
	if c.PostForm("List-Unsubscribe") == "One-Click" {
		method = "one-click"
	}
	ctx := c.Request.Context()
	reason := fmt.Sprintf("unsubscribed from campaign %d (%s)", id.CampaignID, method)
	changed, err := h.s.DB.SetSubscriberStatus(ctx, id.SubscriberID, "unsubscribed", reason)
	if err != nil {
		h.s.Log.Error("unsubscribe failed", zap.Int64("campaign_id", id.CampaignID),
			zap.Int64("subscriber_id", id.SubscriberID), zap.Error(err))
		h.page(c, http.StatusServiceUnavailable, failedPage)
		return
	}
	if !changed {
		// Already unsubscribed, bounced or complained: none is mailed, so
		// the answer is true. Only a subscriber deleted since is an error.
		if _, err := h.s.DB.GetSubscriber(ctx, id.SubscriberID); errors.Is(err, store.ErrNotFound) {
			h.page(c, http.StatusNotFound, notFoundPage)
			return
		}
		h.page(c, http.StatusOK, donePage)
		return
	}
	h.page(c, http.StatusOK, donePage)
	h.record(c, store.Event{CampaignID: id.CampaignID, SubscriberID: id.SubscriberID,
		Kind: store.EventUnsubscribe, Detail: map[string]any{"method": method}, CreatedAt: at})
}

// classifyHit decides whether an open or click counts as a person's, and
// returns the event detail that records why not; see the comment at the top
// of this file. A nil detail means a person, subject to the delivery-time
// check of the events writer.
func classifyHit(kind, userAgent, clientIP string) (machine bool, detail map[string]any) {
	isMachine, reason := tracking.ClassifyAgent(userAgent, clientIP, 0)
	if !isMachine {
		return false, nil
	}
	detail = map[string]any{events.DetailAgent: reason}
	if kind == store.EventOpen && strings.HasPrefix(reason, tracking.ReasonProxy+":") {
		detail[events.DetailProxy] = true
		return false, detail
	}
	return true, detail
}

// record queues an event once the request is answered. The client may be
// gone by then, so the request's cancellation does not stop it.
func (h *trackingHandlers) record(c *gin.Context, e store.Event) {
	ctx := context.WithoutCancel(c.Request.Context())
	if h.s.Events != nil {
		// A failure is a drop, which the writer counts and logs.
		_ = h.s.Events.Add(ctx, e)
		return
	}
	// Without a writer, as in tests that build a Server by hand, write now.
	if err := h.s.DB.AddEvents(ctx, []store.Event{e}); err != nil {
		h.s.Log.Error("event not recorded", zap.String("kind", e.Kind), zap.Error(err))
	}
}

// isWebURL reports whether target is an absolute http or https URL, the
// only kind a click token may redirect to.
func isWebURL(target string) bool {
	lower := strings.ToLower(target)
	return strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://")
}

// trackingPageData fills tracking.html.
type trackingPageData struct {
	Title, Heading, Message string
	// Form shows the unsubscribe button.
	Form bool
}

var (
	confirmPage = trackingPageData{Title: "Unsubscribe", Heading: "Unsubscribe from this mailing list?",
		Message: "Press the button to stop receiving these emails.", Form: true}
	donePage = trackingPageData{Title: "Unsubscribed", Heading: "You are unsubscribed",
		Message: "You will not receive further emails from this mailing list."}
	notFoundPage = trackingPageData{Title: "Link not valid", Heading: "This link is not valid",
		Message: "The link may be incomplete. Try copying the whole link from the email."}
	failedPage = trackingPageData{Title: "Please try again", Heading: "Something went wrong",
		Message: "You are not unsubscribed yet. Please try again in a few minutes."}
)

// page answers with tracking.html.
func (h *trackingHandlers) page(c *gin.Context, status int, data trackingPageData) {
	var buf bytes.Buffer
	if err := trackingPage.Execute(&buf, data); err != nil {
		h.s.Log.Error("render tracking page", zap.Error(err))
		c.String(http.StatusInternalServerError, "internal error\n")
		return
	}
	hd := c.Writer.Header()
	hd.Set("Content-Security-Policy", pageSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	// The URL carries the subscriber's token.
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Robots-Tag", "noindex")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

package api

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/bounce"
	"github.com/pacer-email/pacer/internal/inbound"
	"github.com/pacer-email/pacer/internal/store"
)

// Body limits of the bounce endpoints. An SNS message is at most 256 KiB;
// its JSON escaping inside the SNS envelope can make it longer.
const (
	maxClassifyBody = bounce.DefaultMaxBytes
	maxSESBody      = 1 << 20
	maxGenericBody  = 64 << 10
)

// registerBounces adds the bounce processor's routes: inbound messages and
// a dry-run classifier under /api, provider notifications under /hooks.
//
// The SES hook cannot use the bearer token, since SNS sends no headers of
// ours, and it does not verify SNS signatures: that needs the signing
// certificate from SigningCertURL, and pacer sends no traffic beyond
// loopback. It requires instead a token in the URL query, derived from the
// signing secret; GET /api/bounces/hooks shows the URL to subscribe. For
// the same reason pacer never fetches SubscribeURL: the stored row, the
// response and the log contain it, for an operator to open.
func (s *Server) registerBounces(r *gin.Engine) {
	api := r.Group("/api", s.auth())
	api.POST("/bounces/classify", s.bounceHandler(s.classifyBounce))
	api.GET("/bounces", s.handle(s.listBounces))
	api.GET("/bounces/hooks", s.handle(s.bounceHooks))
	api.GET("/bounces/:id", s.handle(s.getBounce))
	api.GET("/bounces/:id/raw", s.rawBounce)

	hooks := r.Group("/hooks/bounces")
	hooks.POST("/generic", s.auth(), s.bounceHandler(s.genericHook))
	hooks.POST("/ses", s.bounceHandler(s.sesHook))
}

// tooLargeError is a request body past its limit; it maps to 413.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("request body exceeds %d bytes", e.limit)
}

// bounceHandler adapts a handler that chooses its own success status.
func (s *Server) bounceHandler(fn func(c *gin.Context) (int, any, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		status, body, err := fn(c)
		var tooLarge *tooLargeError
		switch {
		case errors.As(err, &tooLarge):
			c.JSON(http.StatusRequestEntityTooLarge, gin.H{"error": err.Error()})
		case err != nil:
			s.writeError(c, err)
		default:
			c.JSON(status, body)
		}
	}
}

// readBody reads at most limit bytes of the request body.
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return nil, &tooLargeError{limit: limit}
	}
	if err != nil {
		return nil, invalid("reading the request body failed: %v", err)
	}
	return body, nil
}

// classifyBounce classifies a raw message (the request body) as the bounce
// processor would, and changes nothing. The optional envelope_rcpt query
// parameter is the RCPT TO address, such as a VERP return path.
func (s *Server) classifyBounce(c *gin.Context) (int, any, error) {
	raw, err := readBody(c, maxClassifyBody)
	if err != nil {
		return 0, nil, err
	}
	if len(raw) == 0 {
		return 0, nil, invalid("the body is empty: post the raw message, headers included")
	}
	rep, err := bounce.Parse(raw, c.Query("envelope_rcpt"), bounce.Options{Signer: s.Signer})
	if err != nil {
		return 0, nil, invalid("%v", err)
	}
	return http.StatusOK, rep, nil
}

var inboundStatuses = map[string]bool{
	store.InboundReceived: true, store.InboundProcessed: true, store.InboundUnmatched: true, store.InboundFailed: true,
}

// listBounces lists inbound messages newest first, optionally by status;
// before_id pages back.
func (s *Server) listBounces(c *gin.Context) (any, error) {
	f := store.InboundFilter{Status: c.Query("status")}
	if f.Status != "" && !inboundStatuses[f.Status] {
		return nil, invalid("status %q is invalid: use received, processed, unmatched or failed", f.Status)
	}
	if v := c.Query("before_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, invalid("before_id %q is not a positive integer id", v)
		}
		f.BeforeID = n
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 || n > 1000 {
			return nil, invalid("limit %q: use 1 to 1000", v)
		}
		f.Limit = n
	}
	return s.DB.ListInbound(c.Request.Context(), f)
}

// getBounce returns one inbound message with its verdicts.
func (s *Server) getBounce(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	m, err := s.DB.GetInbound(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// rawBounce serves the stored bytes: message/rfc822 for mail, JSON for a
// provider notification.
func (s *Server) rawBounce(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	m, err := s.DB.GetInbound(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	ctype := "message/rfc822"
	if m.Format != store.FormatMessage {
		ctype = "application/json"
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Disposition", fmt.Sprintf(`inline; filename="inbound-%d.eml"`, id))
	c.Data(http.StatusOK, ctype, m.Raw)
}

// bounceHooks shows the URLs providers post to, with the SES token.
func (s *Server) bounceHooks(c *gin.Context) (any, error) {
	scheme := "http"
	if c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	base := scheme + "://" + c.Request.Host
	return gin.H{
		"generic_url":  base + "/hooks/bounces/generic",
		"generic_auth": "Authorization: Bearer <API token>",
		"ses_url":      base + "/hooks/bounces/ses?token=" + s.sesToken(),
		"ses_note": "subscribe this URL to the SNS topic of your SES bounce and complaint notifications; " +
			"pacer does not fetch the SubscribeURL, so open it from GET /api/bounces?status=unmatched or the server log",
	}, nil
}

// sesToken is the secret of the SES hook URL, derived from the signing
// secret so that every server of a deployment accepts the same URL.
func (s *Server) sesToken() string { return s.Signer.MAC("bounce-hook", "ses") }

// genericHook stores one bounce or complaint reported as JSON (see
// inbound.Generic); the worker's sweeper starts its processing.
func (s *Server) genericHook(c *gin.Context) (int, any, error) {
	body, err := readBody(c, maxGenericBody)
	if err != nil {
		return 0, nil, err
	}
	g, err := inbound.ParseGeneric(body)
	if err != nil {
		s.Log.Info("generic bounce notification rejected", zap.Error(err))
		return 0, nil, invalid("%v", err)
	}
	if g.CampaignID != 0 {
		if _, err := s.DB.GetCampaign(c.Request.Context(), g.CampaignID); errors.Is(err, store.ErrNotFound) {
			return 0, nil, invalid(`"campaign_id" %d: no such campaign`, g.CampaignID)
		} else if err != nil {
			return 0, nil, err
		}
	}
	id, err := s.DB.SaveInbound(c.Request.Context(), store.InboundMessage{
		Source: store.SourceHTTP, Format: store.FormatGeneric, Raw: body})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, gin.H{"id": id, "status": store.InboundReceived}, nil
}

// sesHook takes Amazon SNS messages with SES bounce and complaint
// notifications; see registerBounces for how it is authenticated.
func (s *Server) sesHook(c *gin.Context) (int, any, error) {
	token := c.Query("token")
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.sesToken())) != 1 {
		s.Log.Warn("SES notification rejected: missing or invalid token in the URL",
			zap.String("remote", c.ClientIP()))
		return http.StatusForbidden, gin.H{
			"error": "missing or invalid token: subscribe the URL that GET /api/bounces/hooks shows"}, nil
	}
	body, err := readBody(c, maxSESBody)
	if err != nil {
		return 0, nil, err
	}
	n, err := inbound.ParseSES(body, s.Signer)
	if err != nil {
		s.Log.Info("SES notification rejected", zap.Error(err))
		return 0, nil, invalid("%v", err)
	}
	switch {
	case n.Type == inbound.SNSUnsubscribeConfirmation:
		s.Log.Warn("SNS unsubscribed this endpoint from a topic", zap.String("topic", n.TopicARN))
		return http.StatusOK, gin.H{"ignored": n.Type}, nil
	case n.Type == inbound.SNSNotification && n.Report == nil:
		return http.StatusOK, gin.H{"ignored": "SES " + n.Event + " notification"}, nil
	}
	id, err := s.DB.SaveInbound(c.Request.Context(), store.InboundMessage{
		Source: store.SourceHTTP, Format: store.FormatSES, Raw: body})
	if err != nil {
		return 0, nil, err
	}
	if n.Type == inbound.SNSSubscriptionConfirmation {
		s.Log.Warn("SNS subscription waits for confirmation: open the subscribe URL",
			zap.Int64("inbound_id", id), zap.String("topic", n.TopicARN), zap.String("subscribe_url", n.SubscribeURL))
		return http.StatusOK, gin.H{"id": id, "subscribe_url": n.SubscribeURL,
			"note": "pacer does not fetch URLs: open subscribe_url to confirm the subscription"}, nil
	}
	return http.StatusAccepted, gin.H{"id": id, "status": store.InboundReceived}, nil
}

// Package api is pacer's HTTP API, served by Gin: lists, subscriber
// imports, sending servers, campaigns and their control (send, pause,
// resume, cancel, failed sends). Handlers return errors; one function maps
// them to a status code and a JSON body.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/events"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/metrics"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/server/web"
	"github.com/pacer-email/pacer/workflows"
)

// Server holds the API's dependencies.
type Server struct {
	DB       *store.DB
	Temporal client.Client
	Log      *zap.Logger
	Signer   *mailid.Signer
	// Options are the workflow options new campaign runs start with.
	Options workflows.Options
	// BatchSize is the batch size of campaigns created without one
	// (campaign.batch_size); 0 means 5000.
	BatchSize int
	// Metrics counts requests and serves /metrics; nil disables both.
	Metrics *metrics.Server
	// Events buffers the open, click and unsubscribe events of the
	// tracking endpoints; nil writes each one at once.
	Events *events.Writer
	// DNSResolver is the host:port the sending-domain checks ask; empty
	// means the system's resolver.
	DNSResolver string
	// AllowPrivateWebhooks accepts webhook URLs on loopback, private and
	// link-local addresses (webhooks.allow_private).
	AllowPrivateWebhooks bool

	progress progressTracker
	counts   countsCache
}

// Handler returns the Gin engine with every route.
func (s *Server) Handler() *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery(), s.accessLog())
	r.NoRoute(func(c *gin.Context) {
		c.JSON(http.StatusNotFound, gin.H{"error": fmt.Sprintf("no route %s %s: see the API table in the README", c.Request.Method, c.Request.URL.Path)})
	})
	r.GET("/healthz", s.health)
	r.GET("/readyz", s.ready)
	if s.Metrics != nil {
		r.GET("/metrics", gin.WrapH(s.Metrics.Handler()))
	}
	s.trackingRoutes(r)

	api := r.Group("/api", s.auth())
	api.GET("/lists", s.handle(s.listLists))
	api.POST("/lists", s.handle(s.createList))
	api.GET("/lists/:id", s.handle(s.getList))
	api.POST("/lists/:id/import", s.handle(s.importCSV))
	api.GET("/subscribers/:id", s.handle(s.getSubscriber))
	s.domainRoutes(api)
	api.GET("/servers", s.handle(s.listServers))
	api.POST("/servers", s.handle(s.saveServer))
	api.PATCH("/servers/:id", s.handle(s.patchServer))
	api.GET("/campaigns", s.handle(s.listCampaigns))
	api.POST("/campaigns", s.handle(s.createCampaign))
	api.GET("/campaigns/:id", s.handle(s.getCampaign))
	api.POST("/campaigns/:id/send", s.handle(s.sendCampaign))
	api.POST("/campaigns/:id/pause", s.handle(s.control(workflows.UpdatePause)))
	api.POST("/campaigns/:id/resume", s.handle(s.control(workflows.UpdateResume)))
	api.POST("/campaigns/:id/cancel", s.handle(s.control(workflows.UpdateCancel)))
	api.GET("/campaigns/:id/report", s.handle(s.getReport))
	api.POST("/campaigns/:id/test", s.handle(s.sendTest))
	api.GET("/campaigns/:id/failed", s.handle(s.listFailed))
	api.POST("/campaigns/:id/failed/redispatch", s.handle(s.redispatch))
	s.webhookRoutes(api)
	web.Register(r)
	s.registerBounces(r)
	return r
}

// InvalidError is a request the client must fix; it maps to 400.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

func invalid(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// ConflictError is a request that does not fit the current state; 409.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string { return e.Msg }

// handle adapts a handler that returns (body, error) to Gin.
func (s *Server) handle(fn func(c *gin.Context) (any, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		body, err := fn(c)
		if err != nil {
			s.writeError(c, err)
			return
		}
		if cr, ok := body.(created); ok {
			c.JSON(http.StatusCreated, cr.v)
			return
		}
		c.JSON(http.StatusOK, body)
	}
}

// created marks a body that answers 201.
type created struct{ v any }

func (s *Server) writeError(c *gin.Context, err error) {
	var inv *InvalidError
	var conflict *ConflictError
	var notFoundSvc *serviceerror.NotFound
	status := http.StatusInternalServerError
	switch {
	case errors.As(err, &inv):
		status = http.StatusBadRequest
	case errors.As(err, &conflict):
		status = http.StatusConflict
	case errors.Is(err, store.ErrNotFound), errors.As(err, &notFoundSvc):
		status = http.StatusNotFound
	case errors.Is(err, context.DeadlineExceeded):
		status = http.StatusGatewayTimeout
	}
	if status >= 500 {
		s.Log.Error("request failed", zap.String("method", c.Request.Method), zap.String("path", c.FullPath()), zap.Error(err))
	}
	c.JSON(status, gin.H{"error": err.Error()})
}

func pathID(c *gin.Context, name string) (int64, error) {
	v := c.Param(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, invalid("%s %q in the path is not a positive integer id", name, v)
	}
	return id, nil
}

// bindJSON decodes the request body into dst. Unknown fields are an error,
// so a misspelt field such as "rate_per_sec" never silently keeps a default.
func bindJSON(c *gin.Context, dst any) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 16<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var when *time.ParseError
		switch {
		case errors.As(err, &when):
			return invalid("time %q is not RFC 3339: write it like 2026-12-24T09:00:00Z or "+
				"2026-12-24T10:00:00+01:00 (send_at takes this form)", when.Value)
		case errors.Is(err, io.EOF):
			return invalid("the request body is empty: send a JSON object")
		case errors.As(err, &syntax):
			return invalid("invalid JSON body at byte %d: %v", syntax.Offset, err)
		case errors.As(err, &typ):
			return invalid("field %q: got a JSON %s, want %s", typ.Field, typ.Value, typ.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return invalid("%s: check its spelling against the API table in the README", strings.TrimPrefix(err.Error(), "json: "))
		}
		return invalid("invalid JSON body: %v", err)
	}
	return nil
}

// auth checks the bearer token of every /api request.
func (s *Server) auth() gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || token == "" {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "missing bearer token: send Authorization: Bearer <token> (make demo prints where the token is)"})
			return
		}
		valid, err := s.DB.CheckAPIToken(c.Request.Context(), token)
		if err != nil {
			s.writeError(c, err)
			c.Abort()
			return
		}
		if !valid {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "invalid bearer token"})
			return
		}
		c.Next()
	}
}

// accessLog logs every request without its query string or headers, which
// may carry tokens.
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if s.Metrics != nil {
			s.Metrics.ObserveRequest(c.FullPath(), c.Writer.Status())
		}
		if c.Writer.Status() >= 500 || c.Request.URL.Path == "/healthz" {
			return
		}
		s.Log.Debug("request", zap.String("method", c.Request.Method), zap.String("path", c.FullPath()),
			zap.Int("status", c.Writer.Status()), zap.Duration("took", time.Since(start)))
	}
}

func (s *Server) health(c *gin.Context) { c.String(http.StatusOK, "ok\n") }

func (s *Server) ready(c *gin.Context) {
	if err := s.DB.Pool().Ping(c.Request.Context()); err != nil {
		c.String(http.StatusServiceUnavailable, "database: %v\n", err)
		return
	}
	if _, err := s.Temporal.CheckHealth(c.Request.Context(), &client.CheckHealthRequest{}); err != nil {
		c.String(http.StatusServiceUnavailable, "temporal: %v\n", err)
		return
	}
	c.String(http.StatusOK, "ready\n")
}

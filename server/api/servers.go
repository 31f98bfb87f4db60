package api

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/workflows"
)

// serverRequest is the body of POST /api/servers. Password is write-only.
type serverRequest struct {
	Name           string  `json:"name"`
	Host           string  `json:"host"`
	Port           int     `json:"port"`
	Username       string  `json:"username"`
	Password       string  `json:"password"`
	TLS            string  `json:"tls"`
	HeloName       string  `json:"helo_name"`
	RatePerSecond  float64 `json:"rate_per_second"`
	QuotaPerMinute int     `json:"quota_per_minute"`
	QuotaPerHour   int     `json:"quota_per_hour"`
	QuotaPerDay    int     `json:"quota_per_day"`
	MaxConnections int     `json:"max_connections"`
	Weight         *int    `json:"weight"`
	TaskQueue      string  `json:"task_queue"`
}

func (r serverRequest) validate() error {
	switch {
	case strings.TrimSpace(r.Name) == "":
		return invalid(`server name is empty: send {"name": "relay", "host": "127.0.0.1", "port": 1025}`)
	case strings.TrimSpace(r.Host) == "":
		return invalid("server %q: host is empty", r.Name)
	case r.Port < 1 || r.Port > 65535:
		return invalid("server %q: port %d: use 1 to 65535", r.Name, r.Port)
	case r.TLS != "" && r.TLS != "none" && r.TLS != "starttls" && r.TLS != "tls":
		return invalid("server %q: tls %q: use none, starttls or tls", r.Name, r.TLS)
	case r.RatePerSecond < 0:
		return invalid("server %q: rate_per_second %g: use 0 (no limit) or more", r.Name, r.RatePerSecond)
	case r.MaxConnections < 0 || r.MaxConnections > 1000:
		return invalid("server %q: max_connections %d: use 1 to 1000", r.Name, r.MaxConnections)
	case r.Weight != nil && *r.Weight < 0:
		return invalid("server %q: weight %d: use 0 or more", r.Name, *r.Weight)
	}
	return nil
}

func (s *Server) listServers(c *gin.Context) (any, error) {
	return s.DB.ListServers(c.Request.Context())
}

func (s *Server) saveServer(c *gin.Context) (any, error) {
	var req serverRequest
	if err := bindJSON(c, &req); err != nil {
		return nil, err
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	srv := store.Server{
		Name: strings.TrimSpace(req.Name), Host: req.Host, Port: req.Port, Username: req.Username,
		Password: req.Password, TLS: req.TLS, HeloName: req.HeloName, RatePerSecond: req.RatePerSecond,
		QuotaPerMinute: req.QuotaPerMinute, QuotaPerHour: req.QuotaPerHour, QuotaPerDay: req.QuotaPerDay,
		MaxConnections: req.MaxConnections, Weight: 1, TaskQueue: req.TaskQueue,
	}
	if srv.TLS == "" {
		srv.TLS = "none"
	}
	if srv.HeloName == "" {
		srv.HeloName = "localhost"
	}
	if srv.MaxConnections == 0 {
		srv.MaxConnections = 8
	}
	if req.Weight != nil {
		srv.Weight = *req.Weight
	}
	if srv.TaskQueue == "" {
		srv.TaskQueue = workflows.DefaultSendQueue
	}
	out, err := s.DB.UpsertServer(c.Request.Context(), srv)
	if err != nil {
		return nil, err
	}
	return created{out}, nil
}

// patchServer changes a server's rate while campaigns send: workers read it
// at their next token request, well within 5 seconds.
func (s *Server) patchServer(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	var req struct {
		RatePerSecond *float64 `json:"rate_per_second"`
		ResetThrottle bool     `json:"reset_throttle"`
	}
	if err := bindJSON(c, &req); err != nil {
		return nil, err
	}
	if req.RatePerSecond == nil && !req.ResetThrottle {
		return nil, invalid(`nothing to change: send {"rate_per_second": 50} or {"reset_throttle": true}`)
	}
	ctx := c.Request.Context()
	if req.RatePerSecond != nil {
		if *req.RatePerSecond < 0 {
			return nil, invalid("rate_per_second %g: use 0 (no limit) or more", *req.RatePerSecond)
		}
		if err := s.DB.SetServerRate(ctx, id, *req.RatePerSecond); err != nil {
			return nil, err
		}
	}
	if req.ResetThrottle {
		if err := s.DB.ResetThrottle(ctx, id); err != nil {
			return nil, err
		}
	}
	return s.DB.GetServer(ctx, id)
}

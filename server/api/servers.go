package api

import (
	"strings"
	"unicode"

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

// maxRate is the highest settable rate in messages per second; 0 (no
// limit) is the way to send as fast as the server takes.
const maxRate = 100000

func (r serverRequest) validate() error {
	switch {
	case strings.TrimSpace(r.Name) == "":
		return invalid(`server name is empty: send {"name": "relay", "host": "127.0.0.1", "port": 1025}`)
	case len(strings.TrimSpace(r.Name)) > maxNameBytes:
		return invalid("server name is %d bytes long: use at most %d", len(strings.TrimSpace(r.Name)), maxNameBytes)
	case strings.TrimSpace(r.Host) == "":
		return invalid("server %q: host is empty", r.Name)
	case strings.ContainsFunc(r.Host, unicode.IsSpace) || strings.ContainsAny(r.Host, "/@"):
		return invalid("server %q: host %q: give a host name or IP address, such as smtp.example.com or 127.0.0.1", r.Name, r.Host)
	case strings.ContainsFunc(r.TaskQueue, unicode.IsSpace):
		return invalid("server %q: task_queue %q: use a name without spaces, such as pacer-send-ses", r.Name, r.TaskQueue)
	case r.Port < 1 || r.Port > 65535:
		return invalid("server %q: port %d: use 1 to 65535", r.Name, r.Port)
	case r.TLS != "" && r.TLS != "none" && r.TLS != "starttls" && r.TLS != "tls":
		return invalid("server %q: tls %q: use none, starttls or tls", r.Name, r.TLS)
	case r.RatePerSecond < 0 || r.RatePerSecond > maxRate:
		return invalid("server %q: rate_per_second %g: use 0 (no limit) up to %d", r.Name, r.RatePerSecond, maxRate)
	case r.QuotaPerMinute < 0:
		return invalid("server %q: quota_per_minute %d: use 0 (no quota) or more", r.Name, r.QuotaPerMinute)
	case r.QuotaPerHour < 0:
		return invalid("server %q: quota_per_hour %d: use 0 (no quota) or more", r.Name, r.QuotaPerHour)
	case r.QuotaPerDay < 0:
		return invalid("server %q: quota_per_day %d: use 0 (no quota) or more", r.Name, r.QuotaPerDay)
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

// serverPatch is the body of PATCH /api/servers/{id}: only the fields it
// names change. Name is accepted only unchanged, since POST keys servers by
// name.
type serverPatch struct {
	Name           *string  `json:"name"`
	Host           *string  `json:"host"`
	Port           *int     `json:"port"`
	Username       *string  `json:"username"`
	Password       *string  `json:"password"`
	TLS            *string  `json:"tls"`
	HeloName       *string  `json:"helo_name"`
	RatePerSecond  *float64 `json:"rate_per_second"`
	QuotaPerMinute *int     `json:"quota_per_minute"`
	QuotaPerHour   *int     `json:"quota_per_hour"`
	QuotaPerDay    *int     `json:"quota_per_day"`
	MaxConnections *int     `json:"max_connections"`
	Weight         *int     `json:"weight"`
	TaskQueue      *string  `json:"task_queue"`
	ResetThrottle  bool     `json:"reset_throttle"`
}

// patchServer changes the named fields of a server while campaigns send.
// Workers read the rate at their next slot reservation and the other
// settings within 5 seconds.
func (s *Server) patchServer(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	var p serverPatch
	if err := bindJSON(c, &p); err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	cur, err := s.DB.GetServer(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Name != nil && strings.TrimSpace(*p.Name) != cur.Name {
		return nil, invalid("server %d: name %q cannot change (it is %q): create a server with the new name instead", id, *p.Name, cur.Name)
	}
	req := serverRequest{Name: cur.Name, Host: cur.Host, Port: cur.Port, Username: cur.Username,
		Password: cur.Password, TLS: cur.TLS, HeloName: cur.HeloName, RatePerSecond: cur.RatePerSecond,
		QuotaPerMinute: cur.QuotaPerMinute, QuotaPerHour: cur.QuotaPerHour, QuotaPerDay: cur.QuotaPerDay,
		MaxConnections: cur.MaxConnections, Weight: &cur.Weight, TaskQueue: cur.TaskQueue}
	changed := p.apply(&req)
	if !changed && !p.ResetThrottle {
		return nil, invalid(`nothing to change: send the fields to change, such as {"rate_per_second": 50}, {"max_connections": 4} or {"reset_throttle": true}`)
	}
	if req.TLS == "" {
		req.TLS = "none"
	}
	if req.TaskQueue == "" {
		req.TaskQueue = workflows.DefaultSendQueue
	}
	if changed {
		if err := req.validate(); err != nil {
			return nil, err
		}
		if req.MaxConnections == 0 {
			return nil, invalid("server %q: max_connections 0: use 1 to 1000", req.Name)
		}
		next := cur
		next.Host, next.Port, next.Username, next.Password = req.Host, req.Port, req.Username, req.Password
		next.TLS, next.HeloName, next.RatePerSecond = req.TLS, req.HeloName, req.RatePerSecond
		next.QuotaPerMinute, next.QuotaPerHour, next.QuotaPerDay = req.QuotaPerMinute, req.QuotaPerHour, req.QuotaPerDay
		next.MaxConnections, next.Weight, next.TaskQueue = req.MaxConnections, *req.Weight, req.TaskQueue
		if _, err := s.DB.UpsertServer(ctx, next); err != nil {
			return nil, err
		}
	}
	if p.ResetThrottle {
		if err := s.DB.ResetThrottle(ctx, id); err != nil {
			return nil, err
		}
	}
	return s.DB.GetServer(ctx, id)
}

// apply copies the named fields into r and reports whether any was named.
func (p serverPatch) apply(r *serverRequest) bool {
	changed := false
	set := func(dst *string, v *string) {
		if v != nil {
			*dst, changed = *v, true
		}
	}
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst, changed = *v, true
		}
	}
	set(&r.Host, p.Host)
	set(&r.Username, p.Username)
	set(&r.Password, p.Password)
	set(&r.TLS, p.TLS)
	set(&r.HeloName, p.HeloName)
	set(&r.TaskQueue, p.TaskQueue)
	setInt(&r.Port, p.Port)
	setInt(&r.QuotaPerMinute, p.QuotaPerMinute)
	setInt(&r.QuotaPerHour, p.QuotaPerHour)
	setInt(&r.QuotaPerDay, p.QuotaPerDay)
	setInt(&r.MaxConnections, p.MaxConnections)
	if p.RatePerSecond != nil {
		r.RatePerSecond, changed = *p.RatePerSecond, true
	}
	if p.Weight != nil {
		r.Weight, changed = p.Weight, true
	}
	return changed
}

package store

import "time"

// Subscriber statuses. Only active subscribers are queued by a campaign.
const (
	SubscriberActive       = "active"
	SubscriberUnsubscribed = "unsubscribed"
	SubscriberBounced      = "bounced"
	SubscriberComplained   = "complained"
)

// List is a named group of subscribers.
type List struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Subscribers int64     `json:"subscribers"`
	CreatedAt   time.Time `json:"created_at"`
}

// Subscriber is one person, identified by the lower-cased email address.
type Subscriber struct {
	ID           int64          `json:"id"`
	Email        string         `json:"email"`
	Name         string         `json:"name"`
	Attribs      map[string]any `json:"attribs"`
	Status       string         `json:"status"`
	StatusReason string         `json:"status_reason"`
	CreatedAt    time.Time      `json:"created_at"`
}

// Server is a sending SMTP server with its pace. The password is never
// serialised.
type Server struct {
	ID             int64   `json:"id"`
	Name           string  `json:"name"`
	Host           string  `json:"host"`
	Port           int     `json:"port"`
	Username       string  `json:"username,omitempty"`
	Password       string  `json:"-"`
	TLS            string  `json:"tls"`
	HeloName       string  `json:"helo_name"`
	RatePerSecond  float64 `json:"rate_per_second"`
	QuotaPerMinute int     `json:"quota_per_minute"`
	QuotaPerHour   int     `json:"quota_per_hour"`
	QuotaPerDay    int     `json:"quota_per_day"`
	MaxConnections int     `json:"max_connections"`
	Weight         int     `json:"weight"`
	TaskQueue      string  `json:"task_queue"`
	// ThrottleFactor is the share of the rate in use after throttle replies.
	ThrottleFactor float64 `json:"throttle_factor"`
}

// Campaign lifecycle statuses, stored in campaigns.status and in the
// CampaignStatus search attribute.
const (
	StatusDraft     = "Draft"
	StatusScheduled = "Scheduled"
	StatusQueuing   = "Queuing"
	StatusQueued    = "Queued"
	StatusSending   = "Sending"
	StatusPaused    = "Paused"
	StatusCancelled = "Cancelled"
	StatusDone      = "Done"
)

// Campaign is one mailing to one or more lists.
type Campaign struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Subject      string     `json:"subject"`
	FromName     string     `json:"from_name"`
	FromEmail    string     `json:"from_email"`
	ReplyTo      string     `json:"reply_to,omitempty"`
	HTMLBody     string     `json:"html_body"`
	TextBody     string     `json:"text_body"`
	ListIDs      []int64    `json:"list_ids"`
	ServerIDs    []int64    `json:"server_ids"`
	Track        bool       `json:"track"`
	Status       string     `json:"status"`
	StatusReason string     `json:"status_reason"`
	SendAt       *time.Time `json:"send_at,omitempty"`
	Total        int        `json:"total"`
	BatchSize    int        `json:"batch_size"`
	Batches      int        `json:"batches"`
	QueuedAt     *time.Time `json:"queued_at,omitempty"`
	StartedAt    *time.Time `json:"started_at,omitempty"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Send statuses: the state of one (campaign, subscriber) row. Every row ends
// in exactly one terminal status.
const (
	SendQueued      = "queued"
	SendRetry       = "retry"
	SendCommitting  = "committing"
	SendDelivered   = "delivered"
	SendSoftBounced = "soft_bounced"
	SendHardBounced = "hard_bounced"
	SendFailed      = "failed"
	SendUncertain   = "uncertain"
	SendSkipped     = "skipped"
	SendCancelled   = "cancelled"
)

// Counts is the number of sends of a campaign in each status.
type Counts struct {
	Total       int64 `json:"total"`
	Queued      int64 `json:"queued"`
	Retry       int64 `json:"retry"`
	Sending     int64 `json:"sending"`
	Delivered   int64 `json:"delivered"`
	SoftBounced int64 `json:"soft_bounced"`
	HardBounced int64 `json:"hard_bounced"`
	Failed      int64 `json:"failed"`
	Uncertain   int64 `json:"uncertain"`
	Skipped     int64 `json:"skipped"`
	Cancelled   int64 `json:"cancelled"`
}

// Sent returns the number of sends that left pacer with a final answer.
func (c Counts) Sent() int64 {
	return c.Delivered + c.SoftBounced + c.HardBounced + c.Failed + c.Uncertain
}

// Pending returns the number of sends not yet in a terminal status.
func (c Counts) Pending() int64 { return c.Queued + c.Retry + c.Sending }

func (c *Counts) add(status string, n int64) {
	switch status {
	case SendQueued:
		c.Queued += n
	case SendRetry:
		c.Retry += n
	case SendCommitting:
		c.Sending += n
	case SendDelivered:
		c.Delivered += n
	case SendSoftBounced:
		c.SoftBounced += n
	case SendHardBounced:
		c.HardBounced += n
	case SendFailed:
		c.Failed += n
	case SendUncertain:
		c.Uncertain += n
	case SendSkipped:
		c.Skipped += n
	case SendCancelled:
		c.Cancelled += n
	}
	c.Total += n
}

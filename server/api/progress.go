package api

import (
	"sync"
	"time"

	"github.com/pacer-email/pacer/internal/store"
)

// Progress is what a progress bar shows: how far a campaign is, its current
// rate and the estimated time left.
type Progress struct {
	Done    int64   `json:"done"`
	Total   int64   `json:"total"`
	Percent float64 `json:"percent"`
	// Rate is sends per second over the last rateWindow, or since the start
	// when fewer samples exist.
	Rate       float64 `json:"rate"`
	ETASeconds float64 `json:"eta_seconds,omitempty"`
	Text       string  `json:"text"`
}

// rateWindow is the span the current rate is measured over.
const rateWindow = 10 * time.Second

type sample struct {
	at   time.Time
	done int64
}

// progressTracker keeps recent samples of each campaign's done count, taken
// whenever the campaign is read, to measure its current rate.
type progressTracker struct {
	mu      sync.Mutex
	samples map[int64][]sample
}

func (p *progressTracker) observe(c store.Campaign, counts store.Counts, now time.Time) Progress {
	done := counts.Total - counts.Pending()
	pr := Progress{Done: done, Total: counts.Total}
	if counts.Total > 0 {
		pr.Percent = float64(done) * 100 / float64(counts.Total)
	}
	pr.Rate = p.rate(c, done, now)
	if pr.Rate > 0 && counts.Pending() > 0 {
		pr.ETASeconds = float64(counts.Pending()) / pr.Rate
	}
	pr.Text = progressText(counts)
	return pr
}

func (p *progressTracker) rate(c store.Campaign, done int64, now time.Time) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.samples == nil {
		p.samples = map[int64][]sample{}
	}
	s := append(p.samples[c.ID], sample{at: now, done: done})
	// Keep one window of samples, plus the one just before it.
	for len(s) > 2 && now.Sub(s[1].at) > rateWindow {
		s = s[1:]
	}
	if len(s) > 300 {
		s = s[len(s)-300:]
	}
	p.samples[c.ID] = s
	if len(s) >= 2 && now.Sub(s[0].at) >= time.Second {
		return float64(done-s[0].done) / now.Sub(s[0].at).Seconds()
	}
	if c.StartedAt != nil && c.FinishedAt == nil {
		if el := now.Sub(*c.StartedAt).Seconds(); el > 0 {
			return float64(done) / el
		}
	}
	return 0
}

// progressText returns "Delivered 12,300 / 50,000".
func progressText(c store.Counts) string {
	return "Delivered " + thousands(c.Delivered) + " / " + thousands(c.Total)
}

func thousands(n int64) string {
	s := []byte{}
	neg := n < 0
	if neg {
		n = -n
	}
	digits := 0
	for {
		if digits > 0 && digits%3 == 0 {
			s = append(s, ',')
		}
		s = append(s, byte('0'+n%10))
		n /= 10
		digits++
		if n == 0 {
			break
		}
	}
	if neg {
		s = append(s, '-')
	}
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return string(s)
}

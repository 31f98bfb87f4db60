package tracking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Links is a campaign's registered link list: distinct targets, each known
// by its index. The list is append-only: once stored, a target keeps its
// index, or tokens already sent would point elsewhere. A nil *Links is an
// empty list. Links is immutable and safe for concurrent use.
type Links struct {
	targets []string
	index   map[string]int
}

// NewLinks returns the list of targets in order. A repeated target keeps
// the index of its first appearance.
func NewLinks(targets []string) *Links {
	l := &Links{targets: slices.Clone(targets), index: make(map[string]int, len(targets))}
	for i, t := range targets {
		if _, dup := l.index[t]; !dup {
			l.index[t] = i
		}
	}
	return l
}

// Len returns the number of entries.
func (l *Links) Len() int {
	if l == nil {
		return 0
	}
	return len(l.targets)
}

// Target returns the target with index i.
func (l *Links) Target(i int) (string, bool) {
	if i < 0 || i >= l.Len() {
		return "", false
	}
	return l.targets[i], true
}

// Index returns the index of target.
func (l *Links) Index(target string) (int, bool) {
	if l == nil {
		return 0, false
	}
	i, ok := l.index[target]
	return i, ok
}

// Targets returns a copy of the list, for storing it.
func (l *Links) Targets() []string {
	if l == nil {
		return nil
	}
	return slices.Clone(l.targets)
}

// CollectLinks returns, in order of first appearance, the distinct targets
// that click tracking would rewrite in an HTML body and a text body of one
// message. Store them, in this order, as the campaign's link list.
func (t *Tracker) CollectLinks(html, text, unsubscribeURL string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(_, _ int, target string) {
		if !seen[target] {
			seen[target] = true
			out = append(out, target)
		}
	}
	t.eachHTMLLink(html, unsubscribeURL, add)
	t.eachTextLink(text, unsubscribeURL, add)
	return out
}

// ErrUnknownLink means that a click token is genuine but its link index is
// not in the campaign's link list. With an append-only list this does not
// happen. The redirector responds with 404.
var ErrUnknownLink = errors.New("tracking: link index not in the campaign's link list")

// LinkLoader loads a campaign's stored link list.
type LinkLoader func(ctx context.Context, campaignID int64) ([]string, error)

// LinkCache keeps the link lists of campaigns for the redirector, loading
// each one once. It never evicts: a list is a few kilobytes and campaigns
// number in the thousands at most. It is safe for concurrent use; two misses
// at once may both load.
type LinkCache struct {
	load LinkLoader
	mu   sync.RWMutex
	m    map[int64]*Links
}

// NewLinkCache returns an empty cache that loads lists with load.
func NewLinkCache(load LinkLoader) *LinkCache {
	return &LinkCache{load: load, m: map[int64]*Links{}}
}

// Target returns the target of a verified click.
func (c *LinkCache) Target(ctx context.Context, click Click) (string, error) {
	if click.Link < 0 {
		return click.Target, nil
	}
	c.mu.RLock()
	links := c.m[click.ID.CampaignID]
	c.mu.RUnlock()
	if target, ok := links.Target(click.Link); ok {
		return target, nil
	}
	// Not cached, or cached before the list grew.
	list, err := c.load(ctx, click.ID.CampaignID)
	if err != nil {
		return "", fmt.Errorf("tracking: load links of campaign %d: %w", click.ID.CampaignID, err)
	}
	links = NewLinks(list)
	c.mu.Lock()
	c.m[click.ID.CampaignID] = links
	c.mu.Unlock()
	if target, ok := links.Target(click.Link); ok {
		return target, nil
	}
	return "", ErrUnknownLink
}

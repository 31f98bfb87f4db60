package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pacer-email/pacer/internal/message"
	"github.com/pacer-email/pacer/internal/store"
)

// useSendingDomain signs c's messages with the DKIM key of the campaign's
// From domain, or of its closest parent that is a sending domain, so that
// d= aligns with From for DMARC. When that sending domain names a return
// path domain, c's envelope senders, Message-IDs and unsubscribe addresses
// move there, so that SPF aligns too. Without a sending domain, messages go
// unsigned from the global bounce domain.
func (a *Activities) useSendingDomain(ctx context.Context, c *composer) error {
	from := c.camp.FromEmail
	domain := strings.ToLower(from[strings.LastIndexByte(from, '@')+1:])
	d, err := a.DB.SendingDomainFor(ctx, domain)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	signer, err := message.ParsePrivateKey([]byte(d.DKIMPrivateKey))
	if err != nil {
		return fmt.Errorf("sending domain %s: %w", d.Domain, err)
	}
	if c.dkim, err = message.NewDKIMKey(d.Domain, d.DKIMSelector, signer); err != nil {
		return fmt.Errorf("sending domain %s: %w", d.Domain, err)
	}
	if d.ReturnPathDomain != "" {
		c.domain = d.ReturnPathDomain
	}
	return nil
}

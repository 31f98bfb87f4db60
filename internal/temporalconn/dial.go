// Package temporalconn opens the Temporal client that pacer's processes
// share, waiting for the server while it starts.
package temporalconn

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/logging"
)

// Dial connects to the Temporal frontend at address, retrying every second
// until ctx ends, so a worker started before the server simply waits.
func Dial(ctx context.Context, address, namespace string, log *zap.Logger, opts client.Options) (client.Client, error) {
	opts.HostPort = address
	opts.Namespace = namespace
	opts.Logger = logging.NewTemporal(log.Named("temporal"))
	for attempt := 1; ; attempt++ {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		if attempt == 1 || attempt%10 == 0 {
			log.Warn("temporal not reachable yet, retrying", zap.String("address", address), zap.Int("attempt", attempt), zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("temporal at %s: %w (is the Temporal server running? `make up` starts it)", address, err)
		case <-time.After(time.Second):
		}
	}
}

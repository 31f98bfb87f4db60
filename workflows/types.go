package workflows

import (
	"time"

	"github.com/pacer-email/pacer/activities"
)

// Options are the tunables of a campaign run, taken from configuration when
// the campaign is sent and carried in the workflow input, so a running
// campaign keeps the values it started with.
type Options struct {
	// CampaignQueue is the task queue of workflows and bookkeeping activities.
	CampaignQueue string
	// Window is how many batch children run at once.
	Window int
	// ContinueAsNewAfter is how many children one run starts before it
	// continues as new, to keep its history far below Temporal's limits.
	ContinueAsNewAfter int
	// Retry is the per-recipient retry policy for soft (4xx) failures.
	Retry RetryOptions
	// StaleClaimAge is how long a claimed send may lack an outcome before it
	// is marked delivery-uncertain.
	StaleClaimAge time.Duration
	// RetryConcurrency caps the per-recipient SendEmail activities a batch
	// runs at once.
	RetryConcurrency int
}

// RetryOptions is the per-recipient retry policy: MaxAttempts counts every
// attempt, the first bulk one included.
type RetryOptions struct {
	MaxAttempts        int
	InitialInterval    time.Duration
	BackoffCoefficient float64
	MaximumInterval    time.Duration
}

// DefaultOptions returns the defaults documented in temporal.yaml.
func DefaultOptions() Options {
	return Options{
		CampaignQueue:      DefaultCampaignQueue,
		Window:             4,
		ContinueAsNewAfter: 200,
		Retry: RetryOptions{
			MaxAttempts:        3,
			InitialInterval:    30 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Minute,
		},
		StaleClaimAge:    45 * time.Second,
		RetryConcurrency: 50,
	}
}

// CampaignInput starts or continues a campaign workflow.
type CampaignInput struct {
	CampaignID int64
	Options    Options
	// State is set when the workflow continues as new, or when failed sends
	// of a finished campaign are re-dispatched.
	State *CampaignState
}

// CampaignState is the part of a campaign run carried across
// continue-as-new.
type CampaignState struct {
	Status    string
	Reason    string
	Servers   []activities.ServerRef
	Batches   int
	NextBatch int
	// Rerun lists batches to run again: paused ones and re-dispatched ones.
	Rerun []int
}

// CampaignResult is returned when the campaign ends.
type CampaignResult struct {
	Status string
	Counts map[string]int64
}

// BatchInput starts a batch child.
type BatchInput struct {
	CampaignID int64
	BatchNo    int
	Servers    []activities.ServerRef
	Options    Options
}

// BatchResult is what a batch child reports to its campaign.
type BatchResult struct {
	// Stopped is the campaign status that stopped the batch early (Paused or
	// Cancelled), empty when the batch finished.
	Stopped string
	Reason  string
	Sent    int
	Retried int
}

// Package workflows holds pacer's Temporal workflows: the deterministic
// orchestration of a campaign and its recipient batches. Every side effect
// (PostgreSQL, SMTP) happens in package activities.
package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// Workflow type names, as registered by the worker and started by the server.
const (
	CampaignWorkflowName = "CampaignWorkflow"
	BatchWorkflowName    = "SendBatchWorkflow"
)

// Default task queues. temporal.yaml and flags override them.
const (
	DefaultCampaignQueue = "pacer-campaigns"
	DefaultSendQueue     = "pacer-send"
	DefaultBounceQueue   = "pacer-bounces"
	DefaultWebhookQueue  = "pacer-webhooks"
)

// Search attributes every campaign and batch workflow carries, so operators
// can filter by them in the Web UI: CampaignStatus="Sending".
var (
	CampaignStatusKey = temporal.NewSearchAttributeKeyKeyword("CampaignStatus")
	CampaignIDKey     = temporal.NewSearchAttributeKeyKeyword("CampaignID")
)

// Names of the campaign workflow's updates and queries.
const (
	UpdatePause      = "pause"
	UpdateResume     = "resume"
	UpdateCancel     = "cancel"
	UpdateSendNow    = "send-now"
	UpdateRedispatch = "redispatch"
	QueryState       = "state"
)

// CampaignWorkflowID returns the readable workflow id of a campaign.
func CampaignWorkflowID(campaignID int64) string {
	return fmt.Sprintf("campaign-%d", campaignID)
}

// BatchWorkflowID returns the readable workflow id of one batch child.
func BatchWorkflowID(campaignID int64, batchNo int) string {
	return fmt.Sprintf("campaign-%d-batch-%d", campaignID, batchNo)
}

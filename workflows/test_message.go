package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/pacer-email/pacer/activities"
)

// TestMessageWorkflowName is the registered name of TestMessageWorkflow.
const TestMessageWorkflowName = "TestMessageWorkflow"

// TestMessageInput asks for test copies of a campaign.
type TestMessageInput struct {
	CampaignID int64
	Server     activities.ServerRef
	Emails     []string
}

// TestMessageWorkflow sends test copies of a campaign through the send
// queue of its first server, where the SMTP connections live. It tries once:
// the person asking reads the replies at once.
func TestMessageWorkflow(ctx workflow.Context, in TestMessageInput) ([]activities.TestResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              in.Server.TaskQueue,
		ScheduleToStartTimeout: 30 * time.Second,
		StartToCloseTimeout:    time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var out []activities.TestResult
	err := workflow.ExecuteActivity(actx, (*activities.Activities).SendTestMessages,
		activities.TestMessageInput{CampaignID: in.CampaignID, ServerID: in.Server.ID, Emails: in.Emails}).Get(ctx, &out)
	return out, err
}

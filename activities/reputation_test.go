package activities

import (
	"strings"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/store"
)

func TestReputationBreach(t *testing.T) {
	limits := ReputationLimits{}.withDefaults()
	tests := []struct {
		name    string
		counts  store.ReputationCounts
		resumed bool
		want    string // "" for no pause
	}{
		{"too few sent", store.ReputationCounts{Sent: 999, HardBounces: 500, Complaints: 100}, false, ""},
		{"at the limits", store.ReputationCounts{Sent: 1000, HardBounces: 50, Complaints: 3}, false, ""},
		{"hard bounces", store.ReputationCounts{Sent: 1000, HardBounces: 51}, false,
			"51 hard bounces for 1000 messages sent (5.1%) pass the 5.0% limit"},
		{"complaints", store.ReputationCounts{Sent: 2000, Complaints: 7}, false,
			"7 spam complaints for 2000 messages sent (0.35%) pass the 0.30% limit"},
		{"complaints first", store.ReputationCounts{Sent: 1000, HardBounces: 90, Complaints: 9}, false, "spam complaints"},
		{"since resume", store.ReputationCounts{Sent: 1500, HardBounces: 100}, true, "sent since the campaign resumed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := limits.breach(tt.counts, tt.resumed)
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("breach(%+v) = %q, want %q", tt.counts, got, tt.want)
			}
		})
	}
}

func TestReputationLimitsDefaults(t *testing.T) {
	got := ReputationLimits{MaxHardBounceRate: 0.1}.withDefaults()
	want := ReputationLimits{MinSent: 1000, MaxComplaintRate: 0.003, MaxHardBounceRate: 0.1, CheckEvery: 5 * time.Second}
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
}

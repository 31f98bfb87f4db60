package inbound

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/pacer-email/pacer/internal/bounce"
	"github.com/pacer-email/pacer/internal/mailid"
)

// SNS message types (the x-amz-sns-message-type header and the Type field).
const (
	SNSSubscriptionConfirmation = "SubscriptionConfirmation"
	SNSNotification             = "Notification"
	SNSUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// snsEnvelope is the part of an Amazon SNS HTTP(S) message pacer reads.
type snsEnvelope struct {
	Type         string `json:"Type"`
	MessageID    string `json:"MessageId"`
	TopicARN     string `json:"TopicArn"`
	Message      string `json:"Message"`
	SubscribeURL string `json:"SubscribeURL"`
}

// sesNotification is an SES bounce or complaint notification, or an SES
// event (eventType instead of notificationType).
type sesNotification struct {
	NotificationType string        `json:"notificationType"`
	EventType        string        `json:"eventType"`
	Bounce           *sesBounce    `json:"bounce"`
	Complaint        *sesComplaint `json:"complaint"`
	Mail             sesMail       `json:"mail"`
}

type sesBounce struct {
	BounceType        string `json:"bounceType"` // Permanent, Transient or Undetermined
	BounceSubType     string `json:"bounceSubType"`
	ReportingMTA      string `json:"reportingMTA"`
	BouncedRecipients []struct {
		EmailAddress   string `json:"emailAddress"`
		Action         string `json:"action"`
		Status         string `json:"status"`
		DiagnosticCode string `json:"diagnosticCode"`
	} `json:"bouncedRecipients"`
}

type sesComplaint struct {
	ComplaintFeedbackType string `json:"complaintFeedbackType"`
	ComplainedRecipients  []struct {
		EmailAddress string `json:"emailAddress"`
	} `json:"complainedRecipients"`
}

type sesMail struct {
	Source  string `json:"source"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
	CommonHeaders struct {
		MessageID string `json:"messageId"`
	} `json:"commonHeaders"`
}

// SES is one POST from Amazon SNS to /hooks/bounces/ses.
type SES struct {
	// Type is the SNS message type; raw message delivery (no SNS envelope)
	// counts as a Notification.
	Type     string
	TopicARN string
	// SubscribeURL confirms a SubscriptionConfirmation when an operator
	// opens it.
	SubscribeURL string
	// Event is the SES notificationType or eventType: Bounce, Complaint,
	// Delivery, ...
	Event string
	// Report holds the verdicts of a Bounce or Complaint, nil otherwise.
	Report *bounce.Report
}

// ParseSES decodes an SNS message carrying an SES notification, or an SES
// notification sent with SNS raw message delivery. Permanent bounces are
// hard, Transient and Undetermined ones soft; a complaint whose feedback
// type is "not-spam" is not a complaint. Our identifiers in the original
// message's headers (SES includes them once headers in notifications are
// enabled for the identity) and the VERP source address tie the verdicts to
// a subscriber. The
// error names the JSON problem, for a 400 response.
func ParseSES(body []byte, signer *mailid.Signer) (SES, error) {
	var env snsEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return SES{}, DescribeJSONError(err)
	}
	out := SES{Type: env.Type, TopicARN: env.TopicARN, SubscribeURL: env.SubscribeURL}
	message := env.Message

	switch env.Type {
	case SNSSubscriptionConfirmation:
		if _, err := url.ParseRequestURI(env.SubscribeURL); err != nil {
			return SES{}, fmt.Errorf("SubscriptionConfirmation without a valid SubscribeURL: %q", env.SubscribeURL)
		}
		return out, nil
	case SNSUnsubscribeConfirmation:
		return out, nil
	case SNSNotification:
	case "":
		out.Type, message = SNSNotification, string(body) // raw message delivery
	default:
		return SES{}, fmt.Errorf("unknown SNS message type %q: expected %s or %s",
			env.Type, SNSNotification, SNSSubscriptionConfirmation)
	}

	var n sesNotification
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return SES{}, fmt.Errorf("SNS Message is not an SES notification: %w", DescribeJSONError(err))
	}
	out.Event = n.NotificationType
	if out.Event == "" {
		out.Event = n.EventType
	}

	switch {
	case out.Event == "":
		return SES{}, errors.New("SES notification without notificationType or eventType")
	case out.Event == "Bounce" && n.Bounce == nil:
		return SES{}, errors.New(`SES Bounce notification without a "bounce" object`)
	case out.Event == "Complaint" && n.Complaint == nil:
		return SES{}, errors.New(`SES Complaint notification without a "complaint" object`)
	case out.Event == "Bounce":
		out.Report = n.bounceReport()
	case out.Event == "Complaint":
		out.Report = n.complaintReport()
	default:
		return out, nil
	}
	if len(out.Report.Verdicts) == 0 {
		return SES{}, fmt.Errorf("SES %s notification without recipients", out.Event)
	}
	n.applyIdentity(out.Report, signer)
	sanitize(out.Report)
	return out, nil
}

func (n sesNotification) bounceReport() *bounce.Report {
	kind := bounce.Soft
	if n.Bounce.BounceType == "Permanent" {
		kind = bounce.Hard
	}
	r := &bounce.Report{Kind: bounce.ReportBounce, Reason: "SES " + n.Bounce.BounceType + "/" + n.Bounce.BounceSubType}
	for _, rc := range n.Bounce.BouncedRecipients {
		diag := strings.TrimSpace(rc.DiagnosticCode)
		if typ, rest, ok := strings.Cut(diag, ";"); ok && strings.EqualFold(strings.TrimSpace(typ), "smtp") {
			diag = strings.TrimSpace(rest)
		}
		if diag == "" {
			diag = "SES " + n.Bounce.BounceType + " bounce, " + n.Bounce.BounceSubType
		}
		r.Verdicts = append(r.Verdicts, bounce.Verdict{
			Kind: kind, Recipient: rc.EmailAddress, Status: rc.Status, Action: orDefault(rc.Action, "failed"),
			Diagnostic: diag, ReportingMTA: stripType(n.Bounce.ReportingMTA), MatchedBy: bounce.MatchNone,
		})
	}
	return r
}

func (n sesNotification) complaintReport() *bounce.Report {
	kind := bounce.Complaint
	if strings.EqualFold(n.Complaint.ComplaintFeedbackType, "not-spam") {
		kind = bounce.NotBounce
	}
	r := &bounce.Report{Kind: bounce.ReportComplaint, FeedbackType: n.Complaint.ComplaintFeedbackType}
	for _, rc := range n.Complaint.ComplainedRecipients {
		r.Verdicts = append(r.Verdicts, bounce.Verdict{
			Kind: kind, Recipient: rc.EmailAddress, Diagnostic: "SES complaint " + n.Complaint.ComplaintFeedbackType,
			MatchedBy: bounce.MatchNone,
		})
	}
	return r
}

// applyIdentity ties the verdicts to the campaign and subscriber named by
// our identifiers in the original message: the X-Pacer-ID header, our
// Message-ID, or the VERP return path SES reports as the source. As in
// package bounce, a message has one subscriber, so only a report with a
// single verdict gets it.
func (n sesNotification) applyIdentity(r *bounce.Report, signer *mailid.Signer) {
	if signer == nil {
		return
	}
	id, by, ok := n.identity(signer)
	if !ok {
		return
	}
	for i := range r.Verdicts {
		v := &r.Verdicts[i]
		v.CampaignID = id.CampaignID
		if len(r.Verdicts) == 1 {
			v.SubscriberID, v.MatchedBy = id.SubscriberID, by
		}
	}
}

func (n sesNotification) identity(signer *mailid.Signer) (mailid.ID, bounce.MatchedBy, bool) {
	messageIDs := []string{n.Mail.CommonHeaders.MessageID}
	for _, h := range n.Mail.Headers {
		switch strings.ToLower(h.Name) {
		case strings.ToLower(mailid.HeaderName):
			if id, ok := signer.ParseToken(strings.Trim(strings.TrimSpace(h.Value), "<>")); ok {
				return id, bounce.MatchHeader, true
			}
		case "message-id":
			messageIDs = append(messageIDs, h.Value)
		case "return-path":
			if id, kind, ok := signer.ParseAddress(h.Value); ok && kind == mailid.KindBounce {
				return id, bounce.MatchReturnPath, true
			}
		}
	}
	for _, m := range messageIDs {
		if id, ok := signer.ParseMessageID(m); ok {
			return id, bounce.MatchMessageID, true
		}
	}
	if id, kind, ok := signer.ParseAddress(n.Mail.Source); ok && kind == mailid.KindBounce {
		return id, bounce.MatchReturnPath, true
	}
	return mailid.ID{}, bounce.MatchNone, false
}

// stripType removes the "dns; " type of a DSN field value.
func stripType(v string) string {
	if _, rest, ok := strings.Cut(v, ";"); ok {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(v)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

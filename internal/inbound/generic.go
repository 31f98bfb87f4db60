package inbound

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/pacer-email/pacer/internal/address"
	"github.com/pacer-email/pacer/internal/bounce"
)

// Generic is the body of POST /hooks/bounces/generic: one bounce or
// complaint reported by a sending provider or by an operator's script.
type Generic struct {
	Email      string `json:"email"`
	Type       string `json:"type"` // hard, soft or complaint
	Status     string `json:"status,omitempty"`
	Diagnostic string `json:"diagnostic,omitempty"`
	CampaignID int64  `json:"campaign_id,omitempty"`
}

// maxGenericDiagnostic bounds the diagnostic text, as the bounce parser
// bounds its own.
const maxGenericDiagnostic = 2000

// enhancedStatusRe matches an RFC 3463 enhanced status code.
var enhancedStatusRe = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)

// ParseGeneric decodes and checks a generic notification. The error names
// the field or the JSON problem, for a 400 response.
func ParseGeneric(body []byte) (Generic, error) {
	var g Generic
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return Generic{}, DescribeJSONError(err)
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		return Generic{}, errors.New("invalid JSON: more than one value in the body")
	}

	if g.Email == "" {
		return Generic{}, errors.New(`"email" is missing`)
	}
	email, err := address.Normalize(g.Email)
	if err != nil {
		return Generic{}, fmt.Errorf(`"email": %w`, err)
	}
	g.Email = email

	switch bounce.VerdictKind(g.Type) {
	case bounce.Hard, bounce.Soft, bounce.Complaint:
	default:
		return Generic{}, fmt.Errorf(`"type" %q is invalid: use "hard", "soft" or "complaint"`, g.Type)
	}
	if g.Status != "" && !enhancedStatusRe.MatchString(g.Status) {
		return Generic{}, fmt.Errorf(`"status" %q is not an enhanced status code such as "5.1.1"`, g.Status)
	}
	if len(g.Diagnostic) > maxGenericDiagnostic {
		return Generic{}, fmt.Errorf(`"diagnostic" is %d bytes long: send at most %d`,
			len(g.Diagnostic), maxGenericDiagnostic)
	}
	if g.CampaignID < 0 {
		return Generic{}, fmt.Errorf(`"campaign_id" %d is invalid: leave it out or give a campaign id`, g.CampaignID)
	}
	return g, nil
}

// Report turns the notification into a report with one verdict, matched by
// address (and campaign, when given) only.
func (g Generic) Report() *bounce.Report {
	kind := bounce.ReportBounce
	action := "failed"
	if g.Type == string(bounce.Complaint) {
		kind, action = bounce.ReportComplaint, ""
	}
	r := &bounce.Report{Kind: kind, Verdicts: []bounce.Verdict{{
		Kind:       bounce.VerdictKind(g.Type),
		Recipient:  g.Email,
		Status:     g.Status,
		Action:     action,
		Diagnostic: g.Diagnostic,
		CampaignID: g.CampaignID,
		MatchedBy:  bounce.MatchNone,
	}}}
	sanitize(r)
	return r
}

// DescribeJSONError rewords a decoding error so it names the offset or the
// field at fault.
func DescribeJSONError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("invalid JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		return fmt.Errorf("invalid JSON: %q must be a %s, not a %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return errors.New("invalid JSON: the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("invalid JSON: the body ends in the middle of a value")
	}
	// The rest, such as an unknown field, read well without the "json: " prefix.
	return fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

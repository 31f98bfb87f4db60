package bounce

import (
	"regexp"
	"strings"

	"github.com/pacer-email/pacer/internal/mailid"
)

// ident is a verified campaign and subscriber and where it was found.
type ident struct {
	id mailid.ID
	by MatchedBy
}

var pacerIDRe = regexp.MustCompile(`(?im)^[ \t>]*` + mailid.HeaderName + `:[ \t]*(\S+)`)

// identity recovers who a report is about, in the documented order. Every
// candidate is verified by the signer, so a forged or altered identifier is
// skipped and the next source is tried.
func (a *analysis) identity() ident {
	none := ident{by: MatchNone}
	if a.signer == nil {
		return none
	}
	// Our VERP return path: the envelope recipient, the report's recipient
	// headers, the returned message's Return-Path and the envelope sender a
	// DSN or ARF report names.
	paths := []string{a.envRcpt}
	for _, k := range []string{"To", "Delivered-To", "X-Original-To", "Envelope-To"} {
		for _, v := range a.h.Values(k) {
			paths = append(paths, findAddresses(v, 10)...)
		}
	}
	if a.returned != nil {
		paths = append(paths, findAddresses(a.returned.Get("Return-Path"), 2)...)
	}
	paths = append(paths, a.senders...)
	for _, p := range paths {
		if id, kind, ok := a.signer.ParseAddress(cleanAddress(p)); ok && kind == mailid.KindBounce {
			return ident{id, MatchReturnPath}
		}
	}
	// Our Message-ID: of the returned message, or the one an auto-reply
	// answers.
	var ids []string
	if a.returned != nil {
		ids = append(ids, a.returned.Get("Message-Id"))
	}
	ids = append(ids, a.h.Get("In-Reply-To"), a.h.Get("References"))
	for _, v := range ids {
		for _, m := range msgIDRe.FindAllStringSubmatch(v, 20) {
			if id, ok := a.signer.ParseMessageID(m[1]); ok {
				return ident{id, MatchMessageID}
			}
		}
	}
	// Our X-Pacer-ID header: in the returned message's header, or pasted
	// into the notice.
	var tokens []string
	if a.returned != nil {
		tokens = append(tokens, a.returned.Values(mailid.HeaderName)...)
	}
	for _, m := range pacerIDRe.FindAllStringSubmatch(a.copyText+"\n"+a.text, 10) {
		tokens = append(tokens, m[1])
	}
	for _, t := range tokens {
		if id, ok := a.signer.ParseToken(strings.Trim(strings.TrimSpace(t), "<>")); ok {
			return ident{id, MatchHeader}
		}
	}
	return none
}

// applyIdentity fills the identity and original Message-ID of every
// verdict. A message has one subscriber: with several verdicts only the one
// whose recipient is the returned message's To gets the subscriber; the
// others keep the campaign and MatchedBy "none".
func (a *analysis) applyIdentity(r *Report) {
	orig := ""
	if a.returned != nil {
		orig = trimMsgID(a.returned.Get("Message-Id"))
	}
	if orig == "" && a.h.Get("In-Reply-To") != "" {
		orig = trimMsgID(a.h.Get("In-Reply-To"))
	}
	id := a.identity()
	target := a.returnedTo()
	for i := range r.Verdicts {
		v := &r.Verdicts[i]
		v.OriginalMessageID = orig
		v.MatchedBy = MatchNone
		if id.by == MatchNone {
			continue
		}
		v.CampaignID = id.id.CampaignID
		if len(r.Verdicts) == 1 || (target != "" && strings.EqualFold(v.Recipient, target)) {
			v.SubscriberID, v.MatchedBy = id.id.SubscriberID, id.by
		}
	}
}

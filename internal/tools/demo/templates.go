package main

import "time"

// demoFromDomain is the domain the demo sends From.
const demoFromDomain = "pacer.localhost"

// demoCampaign is the body of POST /api/campaigns for the demo campaign,
// named name and the time.
func demoCampaign(name string, listID, serverID int64) map[string]any {
	return map[string]any{
		"name":       name + " " + time.Now().Format("2006-01-02 15:04:05"),
		"subject":    "{{ .Subscriber.Name }}, your {{ .Subscriber.Attribs.city }} digest for December",
		"from_name":  "Pacer Demo",
		"from_email": "news@" + demoFromDomain,
		"html_body":  demoHTML,
		"text_body":  demoText,
		"list_ids":   []int64{listID},
		"server_ids": []int64{serverID},
	}
}

// mailpitServer is the body of POST /api/servers for the demo's mailpit.
func mailpitServer(s settings) map[string]any {
	return map[string]any{"name": "mailpit", "host": "127.0.0.1", "port": s.smtpPort,
		"rate_per_second": s.rate, "max_connections": 16}
}

// demoHTML is the demo campaign's HTML body: a monthly digest with a few
// article summaries, personalised, with links for click tracking and the
// unsubscribe link. It says what demoText says, and carries enough text
// that the open-tracking pixel does not make it an "image-only" mail to
// spam filters (SpamAssassin's HTML_IMAGE_ONLY rules count the words of an
// HTML part that has any image; see make deliverability).
const demoHTML = `<!doctype html>
<html><body style="font-family: sans-serif; color: #222; max-width: 40em">
<h1>Hello {{ .Subscriber.Name }},</h1>
<p>Here is what happened in {{ .Subscriber.Attribs.city }} this month, picked for
members on the <strong>{{ .Subscriber.Attribs.plan }}</strong> plan since
{{ .Subscriber.Attribs.signup_year }}. It takes about three minutes to read.</p>

<h2><a href="https://news.example.com/articles/winter-meetups?city={{ .Subscriber.Attribs.city }}">Winter meetups near you</a></h2>
<p>Members in {{ .Subscriber.Attribs.city }} meet on the second Thursday of
the month through February. Each evening starts with a short talk by a member
about a project they shipped this year, followed by open tables where you can
bring a question and leave with an answer. Places are limited to forty people,
so reply to this message if you want us to keep a seat for you.</p>

<h2><a href="https://news.example.com/articles/release-notes#december">What is new in December</a></h2>
<p>The December release makes reports load twice as fast on large accounts,
adds a dark theme that follows your system setting, and lets you export any
table as a spreadsheet. We also fixed the time zone of scheduled reports for
members outside Europe, which many of you wrote to us about. The release notes
list every change, with screenshots.</p>

<h2><a href="https://news.example.com/articles/member-story-small-bakery">A member story: the bakery that planned its winter</a></h2>
<p>A small bakery used last year's numbers to plan how much flour, butter
and staff it needs for each week of the winter season. The owner explains in
her own words which figures helped, which ones did not, and what she would
measure from the start if she opened a second shop next spring.</p>

<h2><a href="https://news.example.com/articles/year-end-checklist">Your year-end checklist</a></h2>
<p>Before the holidays, check who can still sign in to your account, archive
the projects you finished, and download your invoices for the year. The
checklist walks you through each step in about ten minutes, and none of the
steps deletes anything.</p>

<h2><a href="https://news.example.com/articles/winter-reading-list">What members read this winter</a></h2>
<p>We asked members which books helped them most this year. The list has
twelve titles, from a practical guide to pricing a service to a history of
the shipping container, each with a two-line note by the member who suggested
it. Three of the authors will answer your questions in a live session in
January, and the recording will be on the members' page the next day.</p>

<p>Questions or ideas for the next digest? <a href="mailto:help@pacer.localhost">Write to us</a>;
a person on our team reads every message.</p>
<p style="font-size: 12px; color: #555">You receive this because you subscribed as
{{ .Subscriber.Email }}. <a href="{{ .UnsubscribeURL }}">Unsubscribe</a>.</p>
</body></html>`

// demoText is the demo campaign's plain-text body, the same digest.
const demoText = `Hello {{ .Subscriber.Name }},

Here is what happened in {{ .Subscriber.Attribs.city }} this month, picked for
members on the {{ .Subscriber.Attribs.plan }} plan since {{ .Subscriber.Attribs.signup_year }}. It takes about three minutes to read.

WINTER MEETUPS NEAR YOU
https://news.example.com/articles/winter-meetups

Members in {{ .Subscriber.Attribs.city }} meet on the second Thursday of
the month through February. Each evening starts with a short talk by a member
about a project they shipped this year, followed by open tables where you can
bring a question and leave with an answer. Places are limited to forty people,
so reply to this message if you want us to keep a seat for you.

WHAT IS NEW IN DECEMBER
https://news.example.com/articles/release-notes#december

The December release makes reports load twice as fast on large accounts,
adds a dark theme that follows your system setting, and lets you export any
table as a spreadsheet. We also fixed the time zone of scheduled reports for
members outside Europe, which many of you wrote to us about. The release notes
list every change, with screenshots.

A MEMBER STORY: THE BAKERY THAT PLANNED ITS WINTER
https://news.example.com/articles/member-story-small-bakery

A small bakery used last year's numbers to plan how much flour, butter
and staff it needs for each week of the winter season. The owner explains in
her own words which figures helped, which ones did not, and what she would
measure from the start if she opened a second shop next spring.

YOUR YEAR-END CHECKLIST
https://news.example.com/articles/year-end-checklist

Before the holidays, check who can still sign in to your account, archive
the projects you finished, and download your invoices for the year. The
checklist walks you through each step in about ten minutes, and none of the
steps deletes anything.

WHAT MEMBERS READ THIS WINTER
https://news.example.com/articles/winter-reading-list

We asked members which books helped them most this year. The list has
twelve titles, from a practical guide to pricing a service to a history of
the shipping container, each with a two-line note by the member who suggested
it. Three of the authors will answer your questions in a live session in
January, and the recording will be on the members' page the next day.

Questions or ideas for the next digest? Write to us at help@pacer.localhost;
a person on our team reads every message.

You receive this because you subscribed as {{ .Subscriber.Email }}.
Unsubscribe: {{ .UnsubscribeURL }}
`

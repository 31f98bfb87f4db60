package main

// demoHTML is the demo campaign's HTML body: personalised, with links for
// click tracking and the unsubscribe link.
const demoHTML = `<!doctype html>
<html><body style="font-family: sans-serif; color: #222">
<h1>Hello {{ .Subscriber.Name }},</h1>
<p>Here is what happened in {{ .Subscriber.Attribs.city }} this month, picked for
members on the <strong>{{ .Subscriber.Attribs.plan }}</strong> plan since
{{ .Subscriber.Attribs.signup_year }}.</p>
<ul>
<li><a href="https://news.example.com/articles/winter-meetups?city={{ .Subscriber.Attribs.city }}">Winter meetups near you</a></li>
<li><a href="https://news.example.com/articles/release-notes#december">What is new in December</a></li>
</ul>
<p>Questions? <a href="mailto:help@pacer.localhost">Write to us</a>.</p>
<p style="font-size: 12px; color: #555">You receive this because you subscribed as
{{ .Subscriber.Email }}. <a href="{{ .UnsubscribeURL }}">Unsubscribe</a>.</p>
</body></html>`

// demoText is the demo campaign's plain-text body.
const demoText = `Hello {{ .Subscriber.Name }},

Here is what happened in {{ .Subscriber.Attribs.city }} this month, picked for
members on the {{ .Subscriber.Attribs.plan }} plan since {{ .Subscriber.Attribs.signup_year }}.

Winter meetups near you: https://news.example.com/articles/winter-meetups
What is new in December: https://news.example.com/articles/release-notes#december

You receive this because you subscribed as {{ .Subscriber.Email }}.
Unsubscribe: {{ .UnsubscribeURL }}
`

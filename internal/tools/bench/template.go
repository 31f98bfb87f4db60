package main

// benchHTML is a personalised HTML body of about 3 KB.
const benchHTML = `<!doctype html><html><body style="font-family:Arial,sans-serif;color:#222;max-width:600px">
<h1 style="font-size:22px">Hello {{ .Subscriber.Name }},</h1>
<p>Here are this week's numbers for {{ .Subscriber.Attribs.city }}, prepared for members on the
<strong>{{ .Subscriber.Attribs.plan }}</strong> plan. Every figure below is computed from the public data
sets we follow, refreshed every Monday morning, and compared with the same week of last year.</p>
<table style="border-collapse:collapse;width:100%">
<tr><th style="text-align:left;padding:4px;border-bottom:1px solid #ccc">Measure</th><th style="text-align:right;padding:4px;border-bottom:1px solid #ccc">This week</th><th style="text-align:right;padding:4px;border-bottom:1px solid #ccc">Last year</th></tr>
<tr><td style="padding:4px">New listings</td><td style="text-align:right;padding:4px">1,284</td><td style="text-align:right;padding:4px">1,102</td></tr>
<tr><td style="padding:4px">Median price</td><td style="text-align:right;padding:4px">312,000</td><td style="text-align:right;padding:4px">298,500</td></tr>
<tr><td style="padding:4px">Days on market</td><td style="text-align:right;padding:4px">23</td><td style="text-align:right;padding:4px">27</td></tr>
<tr><td style="padding:4px">Rental vacancy</td><td style="text-align:right;padding:4px">3.1%</td><td style="text-align:right;padding:4px">3.4%</td></tr>
</table>
<p>Three things stood out. First, listings grew faster in the outer districts than in the centre, which
reverses last year's pattern. Second, the gap between asking and selling prices narrowed to its smallest
level in two years. Third, rental vacancy fell again, driven by student housing near the university.</p>
<p><a href="https://news.example.com/reports/weekly?city={{ .Subscriber.Attribs.city }}&amp;plan={{ .Subscriber.Attribs.plan }}" style="color:#0645ad">Read the full report</a>
&middot; <a href="https://news.example.com/charts" style="color:#0645ad">See the charts</a>
&middot; <a href="https://news.example.com/archive" style="color:#0645ad">Past issues</a></p>
<p>Have a question about the numbers? Reply to this message and one of our analysts will get back to you
within two working days. We read every reply.</p>
<p style="font-size:12px;color:#555">You receive this because {{ .Subscriber.Email }} subscribed to the weekly
numbers. <a href="{{ .UnsubscribeURL }}" style="color:#555">Unsubscribe</a> at any time with one click.</p>
</body></html>`

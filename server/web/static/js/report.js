// Report panels of a campaign (opens, clicks, bounces, unsubscribes and
// complaints) drawn from GET /api/campaigns/{id}/report. A null report means
// the server has none for this campaign, and every panel then shows No report yet.

import { h, formatNumber, formatTime, percent, table, definitionGrid } from './dom.js';

const NO_REPORT = 'No report yet. Opens, clicks, bounces and complaints appear here once the server reports them.';

function noReport() {
  return h('p', { class: 'notice no-report' }, NO_REPORT);
}

function emptyNote(text) {
  return h('p', { class: 'notice' }, text);
}

// renderOpens fills the Opens panel.
export function renderOpens(panel, report) {
  if (!report) return panel.replaceChildren(h('h2', null, 'Opens'), noReport());
  const opens = report.opens || {};
  panel.replaceChildren(
    h('h2', null, 'Opens'),
    definitionGrid('Opens', [
      ['Unique opens', opens.unique || 0, 'opens-unique'],
      ['Open rate', percent(opens.unique || 0, report.delivered)],
      ['Total opens', opens.total || 0],
      ['Machine opens', opens.machine || 0],
    ]),
    h('p', { class: 'hint' }, 'Machine opens are the opens the server attributes to mail privacy proxies and scanners, not to people.'));
}

// renderClicks fills the Clicks panel with the per-link table.
export function renderClicks(panel, report) {
  if (!report) return panel.replaceChildren(h('h2', null, 'Clicks'), noReport());
  const clicks = report.clicks || {};
  const links = [...(clicks.links || [])].sort((a, b) => (b.unique || 0) - (a.unique || 0));
  panel.replaceChildren(
    h('h2', null, 'Clicks'),
    definitionGrid('Clicks', [
      ['Unique clicks', clicks.unique || 0, 'clicks-unique'],
      ['Click rate', percent(clicks.unique || 0, report.delivered)],
      ['Total clicks', clicks.total || 0],
      ['Machine clicks', clicks.machine || 0],
    ]),
    h('h3', null, 'Clicks per link'),
    links.length === 0 ? emptyNote('No link has been clicked yet.') : table('Clicks per link', [
      { label: 'Link', className: 'url', value: (l) => l.url },
      { label: 'Unique', number: true, value: (l) => formatNumber(l.unique) },
      { label: 'Total', number: true, value: (l) => formatNumber(l.total) },
    ], links));
}

// renderBounces fills the Bounces panel: counts, reasons and recent bounces.
export function renderBounces(panel, report) {
  if (!report) return panel.replaceChildren(h('h2', null, 'Bounces'), noReport());
  const bounces = report.bounces || {};
  const reasons = bounces.by_reason || [];
  const recent = (report.recent && report.recent.bounces) || [];
  panel.replaceChildren(
    h('h2', null, 'Bounces'),
    definitionGrid('Bounces', [
      ['Hard bounces', bounces.hard || 0, 'bounces-hard'],
      ['Soft bounces', bounces.soft || 0, 'bounces-soft'],
      ['Bounce rate', percent((bounces.hard || 0) + (bounces.soft || 0), report.sent)],
    ]),
    h('h3', null, 'By reason'),
    reasons.length === 0 ? emptyNote('No bounces.') : table('Bounces by reason', [
      { label: 'Reason', value: (r) => r.reason },
      { label: 'Count', number: true, value: (r) => formatNumber(r.count) },
    ], reasons),
    h('h3', null, 'Recent bounces'),
    recent.length === 0 ? emptyNote('No bounces.') : table('Recent bounces', [
      { label: 'Email', value: (b) => b.email },
      { label: 'Type', value: (b) => b.type },
      { label: 'Status', value: (b) => b.status },
      { label: 'Reason', value: (b) => b.reason },
      { label: 'When', value: (b) => formatTime(b.at) },
    ], recent));
}

// renderPeople fills the Unsubscribes or Complaints panel: a count and the
// recent addresses.
export function renderPeople(panel, report, title, count, recent) {
  if (!report) return panel.replaceChildren(h('h2', null, title), noReport());
  panel.replaceChildren(
    h('h2', null, title),
    definitionGrid(title, [
      [title, count || 0],
      ['Rate', percent(count || 0, report.delivered)],
    ]),
    h('h3', null, `Recent ${title.toLowerCase()}`),
    !recent || recent.length === 0 ? emptyNote(`No ${title.toLowerCase()}.`) : table(`Recent ${title.toLowerCase()}`, [
      { label: 'Email', value: (p) => p.email },
      { label: 'When', value: (p) => formatTime(p.at) },
    ], recent));
}

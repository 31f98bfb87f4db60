// The campaign view: header, controls, test message form and the tabs
// Overview, Opens, Clicks, Bounces, Unsubscribes, Complaints and Failed sends.
// It polls the campaign every second until it is Done or Cancelled, and the
// report every five seconds.

import { request } from './api.js';
import {
  h, setText, setAttr, badge, formatNumber, formatRate, formatDuration, formatTime, table,
} from './dom.js';
import { showError, clearError, announce } from './notify.js';
import { createTabs } from './tabs.js';
import { timelineChart } from './chart.js';
import { renderOpens, renderClicks, renderBounces, renderPeople } from './report.js';

const POLL_MS = 1000;
const REPORT_POLL_MS = 5000;

const FINAL_STATUSES = new Set(['Done', 'Cancelled']);

// COUNTS lists the send counts of the overview, in the order shown.
const COUNTS = [
  ['delivered', 'Delivered'],
  ['soft_bounced', 'Soft bounced'],
  ['hard_bounced', 'Hard bounced'],
  ['failed', 'Failed'],
  ['uncertain', 'Uncertain'],
  ['skipped', 'Skipped'],
  ['queued', 'Queued'],
  ['retry', 'Retry'],
  ['sending', 'Sending now'],
  ['cancelled', 'Cancelled'],
];

// FAILED_REASONS are the reasons GET /api/campaigns/{id}/failed filters by.
const FAILED_REASONS = ['soft_bounce', 'blocked', 'retries_exhausted', 'uncertain', 'rejected', 'invalid'];

const RUNNING = ['Scheduled', 'Queuing', 'Queued', 'Sending'];

// ACTIONS are the campaign controls: the path under /api/campaigns/{id}/
// (the action's name unless path is given), the statuses that allow them
// (the server checks again), and the button that takes focus after success,
// because the clicked one may become disabled.
const ACTIONS = {
  send: { label: 'Send', allowed: (st) => st === 'Draft', next: 'pause' },
  pause: { label: 'Pause', allowed: (st) => RUNNING.includes(st), next: 'resume' },
  resume: { label: 'Resume', allowed: (st) => st === 'Paused', next: 'pause' },
  cancel: { label: 'Cancel', allowed: (st) => RUNNING.includes(st) || st === 'Paused', next: null },
  redispatch: {
    label: 'Re-dispatch failed sends', path: 'failed/redispatch', body: {},
    allowed: (st) => st !== 'Draft' && st !== 'Cancelled', next: null,
  },
};

export class CampaignView {
  // onStatus(id, status) runs when the campaign's status is first read and
  // each time it changes.
  constructor(root, id, onStatus) {
    this.root = root;
    this.id = id;
    this.onStatus = onStatus;
    this.campaign = null;
    this.report = undefined;
    this.closed = false;
    this.busy = false;
    this.pollFailed = false;
    this.pollSeq = 0;
    this.reportSeq = 0;
    this.selectedTab = 'overview';
  }

  mount() {
    this.build();
    this.poll();
    this.loadReport();
  }

  destroy() {
    this.closed = true;
    window.clearTimeout(this.pollTimer);
    window.clearTimeout(this.reportTimer);
  }

  build() {
    this.title = h('h1', { id: 'campaign-title', tabindex: '-1' }, `Campaign ${this.id}`);
    this.badge = badge('…');
    this.badge.id = 'campaign-status';
    this.meta = h('p', { class: 'meta', id: 'campaign-meta' });
    this.buttons = {};
    const buttonClass = { send: 'button-primary', cancel: 'button-danger' };
    for (const [name, action] of Object.entries(ACTIONS)) {
      this.buttons[name] = h('button', {
        type: 'button', id: `action-${name}`, disabled: true, class: buttonClass[name] || null,
        onclick: () => this.act(name),
      }, action.label);
    }
    const panels = {
      overview: this.buildOverview(),
      opens: h('div'),
      clicks: h('div'),
      bounces: h('div'),
      unsubscribes: h('div'),
      complaints: h('div'),
      failed: this.buildFailed(),
    };
    this.panels = panels;
    const tabs = createTabs('Campaign report', [
      { key: 'overview', label: 'Overview', panel: panels.overview },
      { key: 'opens', label: 'Opens', panel: panels.opens },
      { key: 'clicks', label: 'Clicks', panel: panels.clicks },
      { key: 'bounces', label: 'Bounces', panel: panels.bounces },
      { key: 'unsubscribes', label: 'Unsubscribes', panel: panels.unsubscribes },
      { key: 'complaints', label: 'Complaints', panel: panels.complaints },
      { key: 'failed', label: 'Failed sends', panel: panels.failed },
    ], (key) => this.tabSelected(key));

    this.root.replaceChildren(
      h('div', { class: 'campaign-head' }, this.title, this.badge),
      this.meta,
      h('div', { class: 'actions', role: 'group', 'aria-label': 'Campaign actions' }, Object.values(this.buttons)),
      this.buildTestForm(),
      tabs.element);
    this.renderReport();
  }

  buildOverview() {
    this.progress = h('div', {
      class: 'progress', id: 'progress', role: 'progressbar', 'aria-labelledby': 'progress-label',
      'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0',
    }, h('div', { class: 'progress-fill', id: 'progress-fill' }));
    this.progressText = h('span', { class: 'progress-text', id: 'progress-text' });
    this.rate = h('span', { id: 'progress-rate' }, '—');
    this.eta = h('span', { id: 'progress-eta' }, '—');
    this.reason = h('p', { id: 'status-reason', class: 'notice' });
    this.diagnosisList = h('ul', { id: 'diagnosis-list' });
    this.diagnosis = h('div', { class: 'warning', id: 'diagnosis', role: 'note', hidden: true },
      h('h3', null, 'Needs attention'), this.diagnosisList);
    this.counts = {};
    const grid = h('dl', { class: 'counts', 'aria-label': 'Send counts' }, COUNTS.map(([key, label]) => {
      this.counts[key] = h('dd', { id: `count-${key}` }, '0');
      return h('div', null, h('dt', null, label), this.counts[key]);
    }));
    this.timeline = h('div', { id: 'timeline' });
    return h('div', null,
      h('h2', { class: 'visually-hidden' }, 'Overview'),
      h('p', { class: 'progress-label', id: 'progress-label' }, 'Progress'),
      this.progress,
      h('div', { class: 'progress-facts' },
        this.progressText,
        h('span', null, 'Rate: ', this.rate),
        h('span', null, 'Time left: ', this.eta)),
      this.reason,
      this.diagnosis,
      h('h3', null, 'Counts'),
      grid,
      h('h3', null, 'Activity'),
      this.timeline);
  }

  buildTestForm() {
    const input = h('input', {
      id: 'test-emails', type: 'text', autocomplete: 'email', 'aria-describedby': 'test-emails-hint',
    });
    this.testResults = h('ul', { class: 'test-results', id: 'test-results', 'aria-live': 'polite' });
    const form = h('form', { class: 'test-message', novalidate: true },
      h('div', { class: 'inline-form' },
        h('div', null, h('label', { for: 'test-emails' }, 'Send a test message to'), input),
        h('button', { type: 'submit', id: 'action-test' }, 'Send test message')),
      h('p', { class: 'hint', id: 'test-emails-hint' }, 'One or more addresses, separated by commas.'),
      this.testResults);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.sendTest(input.value);
    });
    return form;
  }

  buildFailed() {
    this.failedReason = h('select', { id: 'failed-reason' },
      h('option', { value: '' }, 'All reasons'),
      FAILED_REASONS.map((r) => h('option', { value: r }, r.replace(/_/g, ' '))));
    this.failedReason.addEventListener('change', () => this.loadFailed());
    this.failedTable = h('div', { id: 'failed-table' });
    return h('div', null,
      h('h2', null, 'Failed sends'),
      h('div', { class: 'inline-form' },
        h('div', null, h('label', { for: 'failed-reason' }, 'Reason'), this.failedReason),
        h('button', { type: 'button', onclick: () => this.loadFailed() }, 'Refresh')),
      h('p', { class: 'hint' }, 'Sends that did not reach their recipient and were not re-dispatched yet. ' +
        'Re-dispatch failed sends, above, queues all of them again.'),
      this.failedTable);
  }

  tabSelected(key) {
    this.selectedTab = key;
    if (key === 'failed') this.loadFailed();
  }

  // poll reads the campaign and schedules the next read while the campaign
  // is not Done or Cancelled.
  async poll() {
    window.clearTimeout(this.pollTimer);
    if (this.closed) return;
    // A newer call supersedes this one, so there is only one polling loop.
    const seq = ++this.pollSeq;
    try {
      const campaign = await request('GET', `/api/campaigns/${this.id}`);
      if (this.closed || seq !== this.pollSeq) return;
      if (this.pollFailed) clearError();
      this.pollFailed = false;
      this.render(campaign);
    } catch (err) {
      if (this.closed || seq !== this.pollSeq || err.status === 401) return;
      if (err.status === 404) {
        this.root.replaceChildren(h('h1', { tabindex: '-1' }, 'Campaign not found'),
          h('p', null, `Campaign ${this.id} does not exist. Choose one from the list.`));
        return;
      }
      // Report an outage once, not every second, and keep trying.
      if (!this.pollFailed) showError('Reading the campaign', err);
      this.pollFailed = true;
    }
    if (!this.campaign || !FINAL_STATUSES.has(this.campaign.status)) {
      this.pollTimer = window.setTimeout(() => this.poll(), POLL_MS);
    }
  }

  render(c) {
    const previous = this.campaign;
    this.campaign = c;
    setText(this.title, c.name || `Campaign ${c.id}`);
    setText(this.badge, c.status);
    setAttr(this.badge, 'class', `badge badge-${c.status}`);
    const from = c.from_name ? `${c.from_name} <${c.from_email}>` : c.from_email;
    setText(this.meta, `Subject: ${c.subject || '(none)'} · From: ${from} · Created ${formatTime(c.created_at)}`);
    if (!previous || previous.status !== c.status) {
      this.onStatus(c.id, c.status);
      if (previous) announce(`Campaign ${c.name} is ${c.status}.`);
      // The last report of a finished campaign is read once more.
      if (previous && FINAL_STATUSES.has(c.status)) this.loadReport();
    }
    this.updateButtons();
    this.renderProgress(c);
    for (const [key] of COUNTS) setText(this.counts[key], formatNumber((c.counts || {})[key]));
  }

  renderProgress(c) {
    const p = c.progress || {};
    const counts = c.counts || {};
    const final = FINAL_STATUSES.has(c.status);
    // Round down so the bar shows 100 only when the queue is empty.
    const value = Math.min(100, Math.max(0, Math.floor((Number(p.percent) || 0) * 10) / 10));
    const text = p.text || `Delivered ${formatNumber(counts.delivered)} / ${formatNumber(counts.total)}`;
    setAttr(this.progress, 'aria-valuenow', value);
    setAttr(this.progress, 'aria-valuetext', `${text}, ${value}% of sends finished`);
    this.progress.firstChild.style.width = `${value}%`;
    setText(this.progressText, text);
    setText(this.rate, final ? '—' : formatRate(p.rate));
    let eta = '—';
    if (!final && p.eta_seconds > 0) eta = formatDuration(p.eta_seconds);
    else if (!final && c.status === 'Sending') eta = 'estimating';
    setText(this.eta, eta);
    setText(this.reason, c.status_reason ? `Status: ${c.status} (${c.status_reason})` : `Status: ${c.status}`);

    const lines = Array.isArray(c.diagnosis) ? c.diagnosis : [];
    const key = JSON.stringify(lines);
    if (key !== this.diagnosisKey) {
      this.diagnosisKey = key;
      this.diagnosisList.replaceChildren(...lines.map((line) => h('li', null, line)));
      this.diagnosis.hidden = lines.length === 0;
    }
  }

  updateButtons() {
    const status = this.campaign ? this.campaign.status : '';
    for (const [name, action] of Object.entries(ACTIONS)) {
      this.buttons[name].disabled = this.busy || !action.allowed(status);
    }
  }

  async act(name) {
    const action = ACTIONS[name];
    if (name === 'cancel' && !window.confirm(`Cancel campaign "${this.campaign.name}"? ` +
      'Sends not made yet are dropped, and a cancelled campaign cannot be resumed.')) {
      return;
    }
    this.busy = true;
    this.updateButtons();
    try {
      const out = await request('POST', `/api/campaigns/${this.id}/${action.path || name}`, action.body);
      clearError();
      announce(actionNotice(name, out));
      if (name === 'redispatch' && this.selectedTab === 'failed') this.loadFailed();
    } catch (err) {
      showError(action.label, err);
    } finally {
      this.busy = false;
      this.updateButtons();
    }
    await this.poll();
    this.loadReport();
    const next = action.next && this.buttons[action.next];
    if (next && !next.disabled) next.focus();
    else if (this.buttons[name].disabled) this.title.focus();
  }

  async sendTest(value) {
    const emails = value.split(/[\s,;]+/).filter(Boolean);
    if (emails.length === 0) {
      showError('Send test message', new Error('enter at least one email address, for example you@example.com'));
      return;
    }
    const button = document.getElementById('action-test');
    button.disabled = true;
    try {
      const out = await request('POST', `/api/campaigns/${this.id}/test`, { emails });
      clearError();
      const results = Array.isArray(out) ? out : (out && Array.isArray(out.results) ? out.results : null);
      if (results) {
        this.testResults.replaceChildren(...results.map((r) =>
          h('li', null, `${r.email}: ${r.ok ? 'accepted' : 'rejected'}${r.reply ? ` (${r.reply})` : ''}`)));
      } else {
        this.testResults.replaceChildren(h('li', null, `Test message sent to ${emails.join(', ')}.`));
      }
    } catch (err) {
      showError('Send test message', err);
    } finally {
      button.disabled = false;
    }
  }

  // loadReport reads the report and, while the campaign runs, schedules the
  // next read. A 404 means no report exists yet.
  async loadReport() {
    window.clearTimeout(this.reportTimer);
    if (this.closed) return;
    const seq = ++this.reportSeq;
    let report = null;
    let error = null;
    try {
      report = await request('GET', `/api/campaigns/${this.id}/report`);
    } catch (err) {
      if (err.status === 401) return;
      error = err.status === 404 ? null : err;
    }
    if (this.closed || seq !== this.reportSeq) return;
    // Redraw only on a change, so an open table keeps focus and scroll.
    const key = JSON.stringify([report, error && error.message]);
    if (key !== this.reportKey) {
      this.reportKey = key;
      this.report = report;
      this.reportError = error;
      this.renderReport();
    }
    if (this.selectedTab === 'failed') this.loadFailed();
    if (!this.campaign || !FINAL_STATUSES.has(this.campaign.status)) {
      this.reportTimer = window.setTimeout(() => this.loadReport(), REPORT_POLL_MS);
    }
  }

  renderReport() {
    const report = this.report || null;
    const p = this.panels;
    renderOpens(p.opens, report);
    renderClicks(p.clicks, report);
    renderBounces(p.bounces, report);
    renderPeople(p.unsubscribes, report, 'Unsubscribes', report && report.unsubscribes,
      report && report.recent && report.recent.unsubscribes);
    renderPeople(p.complaints, report, 'Complaints', report && report.complaints,
      report && report.recent && report.recent.complaints);
    if (report) {
      this.timeline.replaceChildren(timelineChart(report.timeline));
    } else if (this.reportError) {
      this.timeline.replaceChildren(h('p', { class: 'notice no-report' },
        `No report yet: reading it failed (${this.reportError.message}).`));
    } else {
      this.timeline.replaceChildren(h('p', { class: 'notice no-report' },
        this.report === undefined ? 'Loading the report…' : 'No report yet.'));
    }
  }

  async loadFailed() {
    const reason = this.failedReason.value;
    const query = reason ? `?reason=${encodeURIComponent(reason)}` : '';
    let rows;
    try {
      rows = await request('GET', `/api/campaigns/${this.id}/failed${query}`);
    } catch (err) {
      if (err.status === 401) return;
      this.failedTable.replaceChildren(h('p', { class: 'notice' }, `Reading failed sends failed: ${err.message}`));
      return;
    }
    if (this.closed) return;
    rows = rows || [];
    if (rows.length === 0) {
      this.failedTable.replaceChildren(h('p', { class: 'notice', id: 'failed-empty' }, 'No failed sends.'));
      return;
    }
    this.failedTable.replaceChildren(
      h('p', { class: 'notice' }, `${formatNumber(rows.length)} failed sends${rows.length >= 1000 ? ' (the first 1,000)' : ''}.`),
      table('Failed sends', [
        { label: 'Email', value: (f) => f.email },
        { label: 'Reason', value: (f) => (f.reason || '').replace(/_/g, ' ') },
        { label: 'SMTP reply', value: smtpReply },
        { label: 'Attempts', number: true, value: (f) => formatNumber(f.attempts) },
        { label: 'Last try', value: (f) => formatTime(f.last_try_at) },
      ], rows));
  }
}

function smtpReply(f) {
  return [f.smtp_code || '', f.enhanced_code || '', f.reply || ''].filter(Boolean).join(' ');
}

function actionNotice(name, out) {
  switch (name) {
    case 'send':
      return 'Sending started.';
    case 'redispatch':
      return out && out.redispatched > 0
        ? `${formatNumber(out.redispatched)} failed sends re-dispatched.`
        : 'No failed sends to re-dispatch.';
    default:
      return out && out.status ? `Campaign is ${out.status}.` : `${ACTIONS[name].label} done.`;
  }
}

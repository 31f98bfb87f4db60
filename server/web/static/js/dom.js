// DOM and formatting helpers. The page builds every element with these
// helpers and text nodes, never with innerHTML, so campaign names, emails and
// SMTP replies from the API cannot inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

// h creates an HTML element. attrs maps attribute names to values: false,
// null and undefined skip the attribute, true sets it empty, and on* keys
// add event listeners. Children are nodes, strings or arrays of them.
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// s creates an SVG element in the same way.
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

// setText changes an element's text only when it differs, so live regions
// do not announce unchanged values on every poll.
export function setText(el, text) {
  const value = String(text);
  if (el.textContent !== value) el.textContent = value;
}

// setAttr changes an attribute only when it differs.
export function setAttr(el, name, value) {
  const v = String(value);
  if (el.getAttribute(name) !== v) el.setAttribute(name, v);
}

const numberFormat = new Intl.NumberFormat('en-US');

// formatNumber returns n with thousands separators, as the API's progress
// text writes them: 12,300.
export function formatNumber(n) {
  return numberFormat.format(Number(n) || 0);
}

// formatRate returns sends per second with one decimal below 10.
export function formatRate(perSecond) {
  const r = Number(perSecond) || 0;
  return (r < 10 ? r.toFixed(1) : formatNumber(Math.round(r))) + ' per second';
}

// formatDuration returns seconds as "1h 05m", "4m 10s" or "12s".
export function formatDuration(seconds) {
  const total = Math.round(Number(seconds) || 0);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(secs).padStart(2, '0')}s`;
  return `${secs}s`;
}

// formatTime returns an RFC 3339 time stamp in the reader's locale, or an
// empty string for a missing one.
export function formatTime(stamp) {
  if (!stamp) return '';
  const d = new Date(stamp);
  return Number.isNaN(d.getTime()) ? String(stamp) : d.toLocaleString();
}

// percent returns part/whole as "12.5%", or "0%" when whole is zero.
export function percent(part, whole) {
  if (!whole) return '0%';
  return `${((100 * part) / whole).toFixed(1)}%`;
}

// badge returns a campaign status badge.
export function badge(status) {
  return h('span', { class: `badge badge-${status}` }, status || 'Unknown');
}

// table builds a table with a caption. columns lists {label, value(row),
// number} objects; number right-aligns the column.
export function table(caption, columns, rows) {
  return h('div', { class: 'table-wrap' },
    h('table', null,
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, columns.map((c) =>
        h('th', { scope: 'col', class: c.number ? 'number' : null }, c.label)))),
      h('tbody', null, rows.map((row) => h('tr', null, columns.map((c) =>
        h('td', { class: c.number ? 'number' : c.className || null }, c.value(row))))))));
}

// definitionGrid builds the grid of labelled numbers used for counts.
export function definitionGrid(label, items) {
  return h('dl', { class: 'counts', 'aria-label': label },
    items.map(([term, value, id]) => h('div', null,
      h('dt', null, term),
      h('dd', { id: id || null }, typeof value === 'number' ? formatNumber(value) : value))));
}

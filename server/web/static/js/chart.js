// Line chart of sends, opens and clicks per minute, drawn as inline SVG. Each
// series has its own colour and dash pattern, so the lines stay apart without
// colour vision, and a table of the same numbers follows the chart.

import { h, s, formatNumber, table } from './dom.js';

const WIDTH = 640;
const HEIGHT = 240;
const PAD = { top: 12, right: 16, bottom: 28, left: 52 };

const SERIES = [
  { key: 'sent', label: 'Sent' },
  { key: 'opens', label: 'Opens' },
  { key: 'clicks', label: 'Clicks' },
];

// timelineChart returns the chart of timeline, a list of
// {t: RFC 3339 minute, sent, opens, clicks} points.
export function timelineChart(timeline) {
  const points = (timeline || [])
    .map((p) => ({ ...p, time: Date.parse(p.t) }))
    .filter((p) => !Number.isNaN(p.time))
    .sort((a, b) => a.time - b.time);
  if (points.length === 0) {
    return h('p', { class: 'notice' }, 'No activity recorded yet.');
  }
  const maxValue = niceMax(Math.max(1, ...points.flatMap((p) => SERIES.map((se) => Number(p[se.key]) || 0))));
  const first = points[0].time;
  const span = Math.max(points[points.length - 1].time - first, 60_000);
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (time) => PAD.left + (plotWidth * (time - first)) / span;
  const y = (value) => PAD.top + plotHeight - (plotHeight * value) / maxValue;

  const yTicks = [0, maxValue / 2, maxValue].map((v) => [
    s('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v) }),
    s('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, formatNumber(v)),
  ]);
  const xLabels = [first, first + span].map((t, i) => s('text', {
    x: x(t), y: HEIGHT - 8, 'text-anchor': i === 0 ? 'start' : 'end',
  }, clock(t)));
  const lines = SERIES.map((se) => s('polyline', {
    class: `line line-${se.key}`,
    'data-series': se.key,
    points: points.map((p) => `${x(p.time).toFixed(1)},${y(Number(p[se.key]) || 0).toFixed(1)}`).join(' '),
  }));
  // Markers keep a series visible while it has a single point.
  const markers = SERIES.map((se) => points.map((p) => s('circle', {
    class: `marker marker-${se.key}`, r: 3, cx: x(p.time).toFixed(1), cy: y(Number(p[se.key]) || 0).toFixed(1),
  })));
  const totals = SERIES.map((se) => `${formatNumber(points.reduce((n, p) => n + (Number(p[se.key]) || 0), 0))} ${se.label.toLowerCase()}`);

  const svg = s('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc',
  },
  s('title', { id: 'chart-title' }, 'Sends, opens and clicks per minute'),
  s('desc', { id: 'chart-desc' }, `From ${clock(first)} to ${clock(first + span)}: ${totals.join(', ')}.`),
  yTicks,
  s('line', { class: 'axis', x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: PAD.top + plotHeight }),
  s('line', { class: 'axis', x1: PAD.left, x2: WIDTH - PAD.right, y1: PAD.top + plotHeight, y2: PAD.top + plotHeight }),
  xLabels,
  lines,
  markers);

  return h('figure', { class: 'chart' },
    svg,
    h('ul', { class: 'legend', 'aria-hidden': 'true' }, SERIES.map((se) =>
      h('li', null, h('span', { class: `swatch swatch-${se.key}` }), se.label))),
    h('details', null,
      h('summary', null, 'Show the numbers as a table'),
      table('Sends, opens and clicks per minute', [
        { label: 'Minute', value: (p) => clock(p.time) },
        ...SERIES.map((se) => ({ label: se.label, number: true, value: (p) => formatNumber(p[se.key]) })),
      ], points)));
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, so the
// axis labels are round numbers.
function niceMax(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

function clock(time) {
  return new Date(time).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

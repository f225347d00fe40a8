// Line charts in SVG (by day, or by hour of a day): one line per series, the periods along the
// bottom, a legend, and the same figures as a table that only screen readers see.

import { h } from './ui.js';

const NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** `days`: [{date, ...}], `series`: [[key, label, colour]]. */
export function dailyChart(title, days, series) {
  return lineChart(title, days, series, { tick: (d) => d.date.slice(5), name: (d) => d.date });
}

/**
 * `hours`: the 24 [{hour, ...}] of one day; `through`: the last hour drawn (today's current hour),
 * so that the hours still to come do not read as hours with nothing in them.
 */
export function hourlyChart(title, hours, series, through = 23) {
  const hh = (d) => String(d.hour).padStart(2, '0');
  return lineChart(title, hours, series, { tick: hh, name: (d) => `${hh(d)}:00`, through });
}

/**
 * `rows`: the periods in order, `series`: [[key, label, colour]], `tick(row)`: a period's label
 * under the axis, `name(row)`: its full name. Answers an element holding the chart and a legend.
 */
function lineChart(title, days, series, { tick, name, through = days.length - 1 }) {
  const width = 720;
  const height = 240;
  const left = 40;
  const bottom = 28;
  const top = 12;
  const right = 12;
  const max = Math.max(1, ...days.flatMap((d) => series.map(([k]) => d[k] || 0)));
  const step = niceStep(max);
  const ceiling = Math.ceil(max / step) * step;
  const x = (i) => left + (days.length <= 1 ? 0 : (i * (width - left - right)) / (days.length - 1));
  const y = (v) => top + (height - top - bottom) * (1 - v / ceiling);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, class: 'chart' });
  for (let v = 0; v <= ceiling; v += step) {
    svg.append(s('line', { x1: left, x2: width - right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, v));
  }
  // At most eight labels, evenly spaced; the last period always has one, and a regular label
  // too close to it gives way rather than overlapping it.
  const every = Math.max(1, Math.ceil(days.length / 8));
  const last = days.length - 1;
  days.forEach((d, i) => {
    if (i === last || (i % every === 0 && (every === 1 || last - i > every / 2))) {
      svg.append(s('text', { x: x(i), y: height - 8, 'text-anchor': 'middle', class: 'axis' }, tick(d)));
    }
  });
  const drawn = days.slice(0, through + 1);
  for (const [key, label, colour] of series) {
    const points = drawn.map((d, i) => `${x(i).toFixed(1)},${y(d[key] || 0).toFixed(1)}`).join(' ');
    svg.append(s('polyline', { points, fill: 'none', stroke: colour, 'stroke-width': 2.5 }, s('title', {}, label)));
    drawn.forEach((d, i) => {
      if (d[key]) svg.append(s('circle', { cx: x(i), cy: y(d[key]), r: 3, fill: colour }, s('title', {}, `${name(d)} ${label}: ${d[key]}`)));
    });
  }
  const legend = h(
    'ul',
    { class: 'legend' },
    series.map(([, label, colour]) => h('li', {}, h('span', { class: 'swatch', style: `background:${colour}` }), label)),
  );
  // The same figures as a table, for screen readers.
  // (A table never shrinks to 1 px: the box around it is what screen readers only hear.)
  const figures = h(
    'div',
    { class: 'sr-only' },
    h(
      'table',
      {},
      h('caption', {}, title),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), series.map(([, label]) => h('th', { scope: 'col' }, label)))),
      h('tbody', {}, days.map((d) => h('tr', {}, h('th', { scope: 'row' }, name(d)), series.map(([key]) => h('td', {}, String(d[key] || 0)))))),
    ),
  );
  svg.setAttribute('aria-hidden', 'true');
  return h('figure', { class: 'chart-figure' }, svg, legend, figures);
}

function niceStep(max) {
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 5, 10]) if (rough <= m * power) return Math.max(1, m * power);
  return Math.max(1, 10 * power);
}

// The wall: the scope's figures on one 1920×1080 screen, for a screen on a wall or a viewer's
// dashboard. Today only, by hour, with nothing to type: the cards, the districts, the ports and
// today's flows hour by hour. A viewer polls every two seconds; roles that may read the event
// log refresh on each event and poll slowly in case the feed is broken.

import { fresh } from './api.js';
import { followSoon } from './live.js';
import { addStrings, dateTime, t } from './i18n.js';
import { hourlyChart } from './chart.js';
import { SERIES, cards, districtsTable, portsTable } from './figures.js';
import { fill, h, section } from './ui.js';

addStrings({
  en: {
    'wall.title': 'Today',
    'wall.hourly': 'Today by hour',
  },
  zh: {
    'wall.title': '今日态势',
    'wall.hourly': '今日分时',
  },
});

/**
 * The last hour of the day to draw: the service's hour now, where the day is the service's today
 * (its days are local to `utc_offset_minutes`, wherever the wall is); the hours after it have
 * not happened yet.
 */
function lastHour(hourly) {
  const there = new Date(Date.now() + hourly.utc_offset_minutes * 60000);
  return hourly.date === there.toISOString().slice(0, 10) ? there.getUTCHours() : 23;
}

export function mount(main, user) {
  main.classList.add('wall');
  const asOf = h('p', { class: 'as-of', id: 'as-of', 'aria-live': 'off' });
  const grid = h('div', { class: 'stats', id: 'stats' }, h('p', {}, t('common.loading')));
  const districts = h('div', { class: 'scroll' });
  const ports = h('div', { class: 'scroll' });
  const chart = h('div', { id: 'hourly' });
  const linkable = user.role !== 'viewer';
  let stopped = false;
  let timer = null;

  async function load() {
    try {
      const [overview, d, p, hourly] = await Promise.all([
        fresh('/stats/overview'),
        fresh('/stats/districts'),
        fresh('/stats/ports'),
        fresh('/stats/hourly'),
      ]);
      if (stopped) return;
      fill(grid, cards(overview, linkable));
      fill(districts, districtsTable(d.items));
      fill(ports, portsTable(p.items));
      fill(chart, hourlyChart(t('wall.hourly'), hourly.items, SERIES(), lastHour(hourly)));
      // A 304 confirms the numbers are still current: they are as of this check.
      const checked = new Date().toISOString();
      asOf.textContent = t('common.as_of', { time: dateTime(overview.as_of > checked ? overview.as_of : checked) });
      asOf.dataset.asOf = overview.as_of;
    } catch {
      // The banner says when the service is away; the last figures stay.
    }
  }

  const stops = linkable ? [followSoon(() => true, load)] : [];
  const every = linkable ? 10000 : 2000;
  const tick = async () => {
    await load();
    if (!stopped) timer = setTimeout(tick, every);
  };
  tick();

  fill(
    main,
    h('div', { class: 'title-row' }, h('h1', {}, t('wall.title')), asOf),
    grid,
    h(
      'div',
      { class: 'wall-body' },
      section(t('dash.districts'), districts),
      h('div', { class: 'wall-side' }, section(t('dash.ports'), ports), section(t('wall.hourly'), chart)),
    ),
  );
  return () => {
    stopped = true;
    clearTimeout(timer);
    stops.forEach((stop) => stop());
  };
}

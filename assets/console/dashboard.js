// The dashboard: the caller's scope at a glance. Numbers come from /stats with If-None-Match; the
// screen follows the live feed and refreshes on each event. A viewer, who may not read the event
// log, has the wall (`wall.js`) as their dashboard.

import { api, download, fresh } from './api.js';
import { follow, followSoon } from './live.js';
import { dateTime, t, time, word } from './i18n.js';
import { dailyChart } from './chart.js';
import { SERIES, cards, districtsTable, portsTable } from './figures.js';
import * as wall from './wall.js';
import { act, field, fill, h, messageArea, section, select } from './ui.js';

function eventLine(e) {
  const what = word('action', e.action);
  // What the event is about, where its data names it: a vehicle's plate, a batch's code.
  const about = e.data?.plate || e.data?.code || e.data?.batch_code || '';
  return h('li', {}, h('time', { datetime: e.at }, time(e.at)), ' ', h('span', { class: 'action' }, what), about ? [' · ', h('span', { class: 'about' }, about)] : null);
}

function rosterForm() {
  const message = messageArea();
  const format = select([['xlsx', 'Excel (.xlsx)'], ['csv', 'CSV']], 'xlsx', { id: 'roster-format' });
  const lang = select([['zh', '中文'], ['en', 'English']], 'zh', { id: 'roster-lang' });
  const button = h('button', { type: 'submit', class: 'primary' }, t('dash.download'));
  const form = h(
    'form',
    { class: 'inline', id: 'roster' },
    field(t('dash.format'), format),
    field(t('dash.header_lang'), lang),
    button,
    message.el,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    act(button, message, async () => {
      const name = await download('/reports/roster', { format: format.value, lang: lang.value }, `roster.${format.value}`);
      message.ok(t('dash.downloaded', { name }));
    });
  });
  return section(t('dash.roster'), h('p', { class: 'muted' }, t('dash.roster_hint')), form);
}

export function mount(main, user) {
  if (user.role === 'viewer') return wall.mount(main, user);
  const asOf = h('p', { class: 'as-of', id: 'as-of', 'aria-live': 'off' });
  const grid = h('div', { class: 'stats', id: 'stats' }, h('p', {}, t('common.loading')));
  const districts = h('div', { class: 'scroll' });
  const ports = h('div', { class: 'scroll' });
  const chart = h('div', { id: 'daily' });
  const from = h('input', { type: 'date', id: 'daily-from' });
  const to = h('input', { type: 'date', id: 'daily-to' });
  const periodMessage = messageArea();
  const period = h('form', { class: 'inline' }, field(t('dash.from'), from), field(t('dash.to'), to), h('button', { type: 'submit' }, t('dash.show')), periodMessage.el);
  // The feed moves too often to be read aloud; it is there to be looked at.
  const feed = h('ol', { class: 'feed', id: 'feed', 'aria-live': 'off' }, h('li', { class: 'muted' }, t('dash.feed_empty')));
  let stopped = false;
  let timer = null;

  async function load() {
    try {
      const range = { from: from.value || undefined, to: to.value || undefined };
      const [overview, d, p, daily] = await Promise.all([
        fresh('/stats/overview'),
        fresh('/stats/districts'),
        fresh('/stats/ports'),
        fresh('/stats/daily', range),
      ]);
      if (stopped) return;
      fill(grid, cards(overview, true));
      fill(districts, districtsTable(d.items));
      fill(ports, portsTable(p.items));
      fill(chart, dailyChart(t('dash.daily'), daily.items, SERIES()));
      // A 304 confirms the numbers are still current: they are as of this check.
      const checked = new Date().toISOString();
      const asOfTime = overview.as_of > checked ? overview.as_of : checked;
      asOf.textContent = t('common.as_of', { time: dateTime(asOfTime) });
      asOf.dataset.asOf = overview.as_of;
      periodMessage.clear();
    } catch (e) {
      // The banner says when the service is away, and the last figures stay; other refusals
      // (a period the service does not take) are said beside the period.
      if (!stopped && e.status && e.status !== 503) periodMessage.error(e);
    }
  }

  period.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });

  // Opened afresh (a reload, say), the feed starts with the newest events of the log.
  api('GET', '/events', { query: { newest: true, limit: 30 } })
    .then((page) => {
      if (stopped || !page.items.length || !feed.firstChild?.classList?.contains('muted')) return;
      feed.replaceChildren(...page.items.map(eventLine));
    })
    .catch(() => {});
  const unfollow = [
    follow((event) => {
      if (feed.firstChild?.classList?.contains('muted')) feed.replaceChildren();
      feed.prepend(eventLine(event));
      while (feed.childNodes.length > 30) feed.lastChild.remove();
    }),
    followSoon(() => true, load),
  ];
  // A slow poll too, in case the feed is broken.
  const tick = async () => {
    await load();
    if (!stopped) timer = setTimeout(tick, 10000);
  };
  tick();

  fill(main,
    h('div', { class: 'title-row' }, h('h1', {}, t('dash.title')), asOf),
    grid,
    h('div', { class: 'columns districts-ports' }, section(t('dash.districts'), districts), section(t('dash.ports'), ports)),
    h('div', { class: 'columns wide-left' }, section(t('dash.daily'), period, chart), section(t('dash.feed'), feed)),
    rosterForm(),
  );
  return () => {
    stopped = true;
    clearTimeout(timer);
    unfollow.forEach((stop) => stop());
  };
}

// What the dashboard and the wall both show: the scope's figures as cards, the districts and
// ports tables, and the series of the flows chart.

import { addStrings, number, t, unitName } from './i18n.js';
import { h, table } from './ui.js';

addStrings({
  en: {
    'dash.title': 'Dashboard',
    'dash.on_road': 'On the road',
    'dash.awaiting': 'Awaiting transfer',
    'dash.at_city': 'At the city',
    'dash.at_district': 'At district',
    'dash.received': 'Received',
    'dash.exceptions': 'Exceptions',
    'dash.pending': 'Pending handoffs',
    'dash.overdue': 'Overdue handoffs',
    'dash.missing': 'Missing people',
    'dash.loose': 'Loose ends',
    'dash.port_name': 'Name',
    'dash.loose.missing': 'missing',
    'dash.loose.rejected': 'rejected',
    'dash.loose.locked': 'locked',
    'dash.loose.overdue': 'overdue',
    'dash.loose.waiting': 'waiting',
    'dash.loop': 'Loop closed',
    'dash.loop_of': '{closed} of {total}',
    'dash.districts': 'Districts',
    'dash.ports': 'Ports of entry',
    'dash.expected': 'Expected',
    'dash.in_custody': 'In custody',
    'dash.daily': 'Day by day',
    'dash.registered': 'Registered',
    'dash.departed': 'Batches departed',
    'dash.from': 'From',
    'dash.to': 'To',
    'dash.show': 'Show',
    'dash.batches': 'Batches',
    'dash.feed': 'Live feed',
    'dash.feed_empty': 'New events appear here as they happen.',
    'dash.roster': 'Roster',
    'dash.roster_hint': 'One row per traveller with the whole chain; every download is recorded.',
    'dash.format': 'Format',
    'dash.header_lang': 'Column headers',
    'dash.download': 'Download roster',
    'dash.downloaded': 'Downloaded {name}.',
    'dash.overdue_row': 'overdue',
  },
  zh: {
    'dash.title': '态势总览',
    'dash.on_road': '转运途中',
    'dash.awaiting': '待转运',
    'dash.at_city': '已到市待交接',
    'dash.at_district': '已到区',
    'dash.received': '社区已接收',
    'dash.exceptions': '异常',
    'dash.pending': '待确认交接',
    'dash.overdue': '超时交接',
    'dash.missing': '未到人员',
    'dash.loose': '未闭环事项',
    'dash.port_name': '口岸名称',
    'dash.loose.missing': '未到',
    'dash.loose.rejected': '被拒收',
    'dash.loose.locked': '已锁定',
    'dash.loose.overdue': '超时',
    'dash.loose.waiting': '口岸滞留',
    'dash.loop': '闭环率',
    'dash.loop_of': '{total} 人中 {closed} 人',
    'dash.districts': '各区情况',
    'dash.ports': '各口岸情况',
    'dash.expected': '应到',
    'dash.in_custody': '在区',
    'dash.daily': '每日趋势',
    'dash.registered': '登记',
    'dash.departed': '发车批次',
    'dash.from': '起',
    'dash.to': '止',
    'dash.show': '查看',
    'dash.batches': '批次',
    'dash.feed': '实时动态',
    'dash.feed_empty': '新的动态会实时显示在这里。',
    'dash.roster': '人员台账',
    'dash.roster_hint': '每人一行，含从口岸到社区的全链条；每次下载都会被记录。',
    'dash.format': '格式',
    'dash.header_lang': '表头语言',
    'dash.download': '下载台账',
    'dash.downloaded': '已下载 {name}。',
    'dash.overdue_row': '超时',
  },
});

export const SERIES = () => [
  ['registered', t('dash.registered'), '#0b5cad'],
  ['departed_batches', t('dash.departed'), '#6a3d9a'],
  ['received', t('dash.received'), '#1b7a3a'],
  ['exceptions', t('dash.exceptions'), '#b3261e'],
];

function card(id, label, value, extra, tone) {
  return h(
    'div',
    { class: `stat ${tone || ''}`, id: `stat-${id}`, dataset: { value: String(value) } },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, number(value)),
    extra ? h('div', { class: 'stat-extra' }, extra) : null,
  );
}

/** The loose ends of the scope: a figure that leads to their list for those who may act. */
function looseCard(o, linkable) {
  const ends = o.loose_ends || {};
  const total = Object.values(ends).reduce((sum, n) => sum + n, 0);
  const parts = ['missing', 'rejected', 'locked', 'overdue', 'waiting']
    .filter((k) => ends[k])
    .map((k) => `${t(`dash.loose.${k}`)} ${number(ends[k])}`)
    .join(' · ');
  const inner = [
    h('div', { class: 'stat-label' }, t('dash.loose')),
    h('div', { class: 'stat-value' }, number(total)),
    parts ? h('div', { class: 'stat-extra' }, parts) : null,
  ];
  const attrs = { class: `stat ${total ? 'bad' : 'good'}`, id: 'stat-loose', dataset: { value: String(total) } };
  return linkable ? h('a', { ...attrs, href: '#/loose-ends', class: `${attrs.class} link-card` }, ...inner) : h('div', attrs, ...inner);
}

export function cards(o, linkable) {
  const s = o.travellers.by_status;
  const total = o.loop.open + o.loop.closed + o.loop.exceptions;
  const closed = o.loop.closed + o.loop.exceptions;
  const pct = total ? Math.round((closed * 100) / total) : 0;
  return [
    card('on_road', t('dash.on_road'), s.boarded + s.in_transit),
    card('awaiting', t('dash.awaiting'), s.awaiting_transfer + s.assigned),
    card('at_city', t('dash.at_city'), s.arrived),
    card('at_district', t('dash.at_district'), s.at_district),
    card('received', t('dash.received'), s.received, null, 'good'),
    card('exceptions', t('dash.exceptions'), s.exception, null, s.exception ? 'warn' : ''),
    card('pending', t('dash.pending'), o.handoffs.pending),
    card('overdue', t('dash.overdue'), o.handoffs.overdue, null, o.handoffs.overdue ? 'bad' : ''),
    card('missing', t('dash.missing'), o.loop.missing, null, o.loop.missing ? 'bad' : ''),
    looseCard(o, linkable),
    h(
      'div',
      { class: 'stat', id: 'stat-loop', dataset: { value: String(pct) } },
      h('div', { class: 'stat-label' }, t('dash.loop')),
      h('div', { class: 'stat-value' }, `${pct}%`),
      h('div', { class: 'stat-extra' }, t('dash.loop_of', { closed: number(closed), total: number(total) })),
    ),
  ];
}

export function districtsTable(items) {
  return table(
    t('dash.districts'),
    [t('common.unit'), t('dash.expected'), t('dash.received'), t('dash.in_custody'), t('dash.pending'), t('dash.overdue'), t('dash.missing')],
    items.map((d) => ({
      attrs: { class: d.overdue_handoffs ? 'overdue' : '', dataset: { unit: d.unit_id } },
      cells: [
        d.overdue_handoffs ? [unitName(d), ' ', h('span', { class: 'badge bad' }, t('dash.overdue_row'))] : unitName(d),
        number(d.expected),
        number(d.received),
        number(d.in_custody),
        number(d.pending_handoffs),
        number(d.overdue_handoffs),
        number(d.missing),
      ],
    })),
    { id: 'districts' },
    true,
  );
}

export function portsTable(items) {
  return table(
    t('dash.ports'),
    [t('common.port'), t('dash.port_name'), t('dash.batches'), t('common.travellers')],
    items.map((p) => [p.code, p.name, number(p.batches), number(p.travellers)]),
    { id: 'ports' },
    true,
  );
}

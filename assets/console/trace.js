// Tracing a traveller: search by name or document number, then the whole chain from the port to
// the community with times, people, units and vehicles, and who travelled with them.

import { all, api } from './api.js';
import { addStrings, dateTime, t, unitName, word } from './i18n.js';
import { fill, h, messageArea, section, table } from './ui.js';

addStrings({
  en: {
    'trace.title': 'Trace a traveller',
    'trace.search': 'Name or document number',
    'trace.find': 'Search',
    'trace.results': 'Travellers found',
    'trace.open': 'Trace',
    'trace.chain': 'The chain',
    'trace.when': 'When',
    'trace.what': 'What',
    'trace.who': 'Who',
    'trace.where': 'Unit',
    'trace.batches': 'Trips',
    'trace.crew': 'Crew',
    'trace.departed': 'Departed',
    'trace.arrived': 'Arrived',
    'trace.handoffs': 'Handoffs',
    'trace.outcome': 'Outcome',
    'trace.contacts': 'Travelled with',
    'trace.same_batch': 'Same batch ({n})',
    'trace.same_flight': 'Same flight ({n})',
    'trace.destination': 'Destination',
    'trace.custodian': 'In the custody of',
    'trace.missing': 'Reported missing',
    'outcome.pending': 'Pending',
    'outcome.received': 'Received',
    'outcome.missing': 'Missing',
    'outcome.rejected': 'Rejected',
    'outcome.cancelled': 'Cancelled',
    'outcome.returned': 'Returned to the sender',
    'trace.system': 'the service',
  },
  zh: {
    'trace.title': '人员追溯',
    'trace.search': '姓名或证件号码',
    'trace.find': '查询',
    'trace.results': '查询结果',
    'trace.open': '追溯',
    'trace.chain': '全链条',
    'trace.when': '时间',
    'trace.what': '环节',
    'trace.who': '经办人',
    'trace.where': '单位',
    'trace.batches': '转运批次',
    'trace.crew': '随车人员',
    'trace.departed': '出发',
    'trace.arrived': '到达',
    'trace.handoffs': '交接',
    'trace.outcome': '结果',
    'trace.contacts': '同行人员',
    'trace.same_batch': '同批次（{n} 人）',
    'trace.same_flight': '同航班（{n} 人）',
    'trace.destination': '目的地',
    'trace.custodian': '当前负责单位',
    'trace.missing': '登记为未到',
    'outcome.pending': '待确认',
    'outcome.received': '已接收',
    'outcome.missing': '未到',
    'outcome.rejected': '被拒收',
    'outcome.cancelled': '已撤销',
    'outcome.returned': '退回移交方',
    'trace.system': '系统',
  },
});

let units = null;
async function names() {
  if (!units) units = new Map((await all('/units')).map((u) => [u.id, u]));
  return units;
}
const unit = (id) => (id && unitName(units?.get(id))) || '';

function traceView(trace, contacts) {
  const p = trace.traveller;
  const summary = h(
    'dl',
    { class: 'summary' },
    h('dt', {}, t('common.name')),
    h('dd', { id: 'trace-name' }, p.full_name),
    h('dt', {}, t('common.document')),
    h('dd', {}, `${p.document_no} (${p.nationality})`),
    h('dt', {}, t('common.status')),
    h('dd', { id: 'trace-status' }, word('traveller', p.status), p.missing ? ` · ${t('trace.missing')}` : ''),
    h('dt', {}, t('trace.destination')),
    h('dd', {}, [unit(p.destination_district_id), unit(p.destination_community_id)].filter(Boolean).join(' · ')),
    h('dt', {}, t('trace.custodian')),
    h('dd', {}, unit(p.custodian_unit_id)),
  );
  const vehicles = new Map(trace.batches.filter((b) => b.vehicle).map((b) => [b.vehicle.id, b.vehicle.plate]));
  const chain = table(
    t('trace.chain'),
    [t('trace.when'), t('trace.what'), t('trace.who'), t('trace.where'), t('common.vehicle')],
    trace.chain.map((s) => [
      h('time', { datetime: s.at }, dateTime(s.at)),
      [word('action', `traveller.${s.kind}`), s.status ? [' → ', word('traveller', s.status)] : null],
      s.actor?.username ? `${s.actor.username} (${word('role', s.actor.role)})` : t('trace.system'),
      unit(s.unit_id),
      (s.vehicle_id && vehicles.get(s.vehicle_id)) || '',
    ]),
    { id: 'chain' },
  );
  const trips = table(
    t('trace.batches'),
    [t('common.code'), t('common.status'), t('common.vehicle'), t('trace.crew'), t('trace.departed'), t('trace.arrived')],
    trace.batches.map((b) => [
      b.code,
      word('batch', b.status),
      b.vehicle?.plate || '',
      b.crew.map((c) => `${c.name}${c.phone ? ` ${c.phone}` : ''}`).join(', '),
      dateTime(b.departed_at),
      dateTime(b.arrived_at),
    ]),
  );
  const handoffs = table(
    t('trace.handoffs'),
    [t('common.created'), t('common.unit'), t('common.status'), t('trace.outcome'), t('trace.who')],
    trace.handoffs.map((x) => [
      dateTime(x.created_at),
      `${unit(x.from_unit_id)} → ${unit(x.to_unit_id)}`,
      word('handoff', x.status),
      word('outcome', x.outcome),
      x.confirmed_by ? `${x.confirmed_by.username} ${dateTime(x.confirmed_at)}` : x.reason || '',
    ]),
  );
  const people = (list) => h('ul', {}, list.map((c) => h('li', {}, `${c.full_name} · ${word('traveller', c.status)}`)));
  return [
    summary,
    chain,
    trips,
    handoffs,
    section(
      t('trace.contacts'),
      h('h3', {}, t('trace.same_batch', { n: contacts.same_batch_total ?? contacts.same_batch.length })),
      people(contacts.same_batch),
      h('h3', {}, t('trace.same_flight', { n: contacts.same_flight_total ?? contacts.same_flight.length })),
      people(contacts.same_flight),
    ),
  ];
}

export function mount(main) {
  const message = messageArea();
  const q = h('input', { type: 'search', name: 'q', id: 'trace-q', maxlength: 100, required: true });
  const results = h('div', { id: 'trace-results' });
  const detail = h('div', { id: 'trace-detail' });
  const form = h('form', { class: 'inline', role: 'search' }, h('label', { for: 'trace-q' }, t('trace.search')), q, h('button', { type: 'submit', class: 'primary' }, t('trace.find')));

  async function open(id) {
    message.clear();
    try {
      await names();
      const [trace, contacts] = await Promise.all([api('GET', `/travellers/${id}/trace`), api('GET', `/travellers/${id}/contacts`)]);
      fill(detail, traceView(trace, contacts));
      detail.querySelector('caption')?.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      message.error(e);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    message.clear();
    fill(detail);
    try {
      await names();
      const page = await api('GET', '/travellers', { query: { q: q.value.trim(), limit: 50 } });
      fill(
        results,
        table(
          t('trace.results'),
          [t('common.name'), t('common.document'), t('common.status'), t('trace.destination'), ''],
          page.items.map((p) => [
            p.full_name,
            p.document_no,
            word('traveller', p.status),
            unit(p.destination_community_id),
            h('button', { type: 'button', onclick: () => open(p.id), 'aria-label': `${t('trace.open')} ${p.full_name}` }, t('trace.open')),
          ]),
        ),
      );
      if (page.items.length === 1) open(page.items[0].id);
    } catch (err) {
      message.error(err);
    }
  });

  main.replaceChildren(section(t('trace.title'), form, message.el, results, detail));
  q.focus();
  return null;
}

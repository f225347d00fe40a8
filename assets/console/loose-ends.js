// Loose ends: everything that keeps the loop open in my jurisdiction, oldest first, each with the
// unit that must act and what to do. People missing at a door or returned by a rejection are
// handed again (to the next unit on their way, or another picked) or given an exception; a
// locked handoff is reissued with a new code or cancelled; an overdue one says whom to call; people
// waiting too long at a port lead to the board. Each action is one click and a confirmation, and
// the end leaves the list (and every count) as soon as the service has resolved it.

import { all, api } from './api.js';
import { followSoon } from './live.js';
import { addStrings, dateTime, t, unitName } from './i18n.js';
import { field, fill, h, keepOrDraw, messageArea, select } from './ui.js';

const KINDS = ['missing', 'rejected', 'locked', 'overdue', 'waiting'];
const EXCEPTIONS = ['hospitalised', 'absconded', 'transferred_out', 'refused', 'no_show'];

addStrings({
  en: {
    'loose.title': 'Loose ends',
    'loose.intro': 'Everything that keeps the loop open in your jurisdiction, oldest first.',
    'loose.none': 'No loose end: every person is accounted for.',
    'loose.all': 'All',
    'loose.kind.missing': 'Missing',
    'loose.kind.rejected': 'Rejected',
    'loose.kind.locked': 'Locked',
    'loose.kind.overdue': 'Overdue',
    'loose.kind.waiting': 'Waiting at a port',
    'loose.since': 'Since {time}',
    'loose.acts': 'To act: {unit}',
    'loose.people': 'People',
    'loose.hand_to': 'Hand to',
    'loose.hand': 'Hand again',
    'loose.hand_confirm': 'Hand {n} to {unit}?',
    'loose.handed': 'Handed to {unit}. The receiving officer confirms with the new code.',
    'loose.exception': 'Record an exception',
    'loose.exception_kind': 'What happened',
    'loose.reason': 'Reason',
    'loose.exception_confirm': 'Record “{kind}” for {n}? This closes their loop.',
    'loose.excepted': 'Recorded.',
    'loose.reissue': 'Reissue with a new code',
    'loose.reissue_confirm': 'Cancel this handoff and hand the same people to {unit} with a new code?',
    'loose.reissued': 'Reissued. Read the new code {code} to {unit}.',
    'loose.cancel': 'Cancel the handoff',
    'loose.cancel_confirm': 'Cancel this handoff? The people stay with you.',
    'loose.cancelled': 'Cancelled. The people stay with you.',
    'loose.confirm': 'Confirm',
    'loose.back': 'Back',
    'loose.call': 'Call {unit}: {hotline}',
    'loose.no_hotline': 'no hotline on record',
    'loose.open_desk': 'Open the desk',
    'loose.open_board': 'Plan a batch at {port}',
    'loose.pick_one': 'Tick at least one person.',
    'loose.reason_needed': 'Write a reason.',
    'exception.hospitalised': 'hospitalised',
    'exception.absconded': 'absconded',
    'exception.transferred_out': 'transferred out',
    'exception.refused': 'refused transfer',
    'exception.no_show': 'no-show',
  },
  zh: {
    'loose.title': '未闭环事项',
    'loose.intro': '本辖区内所有尚未闭环的事项，按发生先后排列。',
    'loose.none': '没有未闭环事项：每个人都有着落。',
    'loose.all': '全部',
    'loose.kind.missing': '未到人员',
    'loose.kind.rejected': '被拒收',
    'loose.kind.locked': '已锁定',
    'loose.kind.overdue': '超时未确认',
    'loose.kind.waiting': '口岸滞留',
    'loose.since': '自 {time}',
    'loose.acts': '处置单位：{unit}',
    'loose.people': '人员',
    'loose.hand_to': '移交给',
    'loose.hand': '重新交接',
    'loose.hand_confirm': '将 {n} 人移交给{unit}？',
    'loose.handed': '已移交给{unit}，请接收方凭新交接码确认。',
    'loose.exception': '登记异常',
    'loose.exception_kind': '情况',
    'loose.reason': '原因',
    'loose.exception_confirm': '为 {n} 人登记“{kind}”？登记后其闭环即告结束。',
    'loose.excepted': '已登记。',
    'loose.reissue': '重新签发交接码',
    'loose.reissue_confirm': '撤销此交接，并以新的交接码将同一批人员移交给{unit}？',
    'loose.reissued': '已重新签发。请向{unit}报出新交接码 {code}。',
    'loose.cancel': '撤销交接',
    'loose.cancel_confirm': '撤销此交接？人员仍由本单位负责。',
    'loose.cancelled': '已撤销，人员仍由本单位负责。',
    'loose.confirm': '确定',
    'loose.back': '返回',
    'loose.call': '请联系{unit}：{hotline}',
    'loose.no_hotline': '未登记联系电话',
    'loose.open_desk': '打开交接台',
    'loose.open_board': '前往调度台安排 {port} 的转运',
    'loose.pick_one': '请至少勾选一人。',
    'loose.reason_needed': '请填写原因。',
    'exception.hospitalised': '送医',
    'exception.absconded': '脱离管控',
    'exception.transferred_out': '转出',
    'exception.refused': '拒绝转运',
    'exception.no_show': '未登车',
  },
});

/** The units one level below `unitId`, by id, read once per screen. */
function unitsBelow(units, unitId) {
  return units.filter((u) => u.parent_id === unitId);
}

/** Where a person goes next from the unit holding them: their district, then their community. */
function nextStop(person, custodian) {
  if (!person || !custodian) return null;
  return custodian.level === 'city' ? person.destination_district_id : person.destination_community_id;
}

/** A step asked for and confirmed: the button shows `question` with Confirm and Back. */
function confirmStep(label, question, run, id) {
  const button = h('button', { type: 'button', dataset: { action: id } }, label);
  const box = h('div', { class: 'confirm-step', hidden: true });
  button.addEventListener('click', () => {
    const text = question();
    if (text === null) return;
    const yes = h('button', { type: 'button', class: 'primary', dataset: { confirm: id } }, t('loose.confirm'));
    const no = h('button', { type: 'button', class: 'link', onclick: () => (box.hidden = true) }, t('loose.back'));
    yes.addEventListener('click', () => run(yes).then(() => (box.hidden = true)));
    fill(box, h('p', {}, text), h('div', { class: 'actions' }, yes, no));
    box.hidden = false;
    yes.focus();
  });
  return [button, box];
}

export function mount(main, user) {
  const list = h('div', { class: 'loose-ends', id: 'loose-ends', 'aria-live': 'polite' }, h('p', {}, t('common.loading')));
  const counts = h('div', { class: 'filters', id: 'loose-counts', role: 'group', 'aria-label': t('loose.title') });
  const message = messageArea();
  let kind = new URLSearchParams(location.hash.split('?')[1] || '').get('kind') || '';
  let stopped = false;
  let units = [];
  let people = new Map();
  let ends = [];

  const unitById = (id) => units.find((u) => u.id === id);
  const mayAct = (end) => user.role === 'admin' || user.unit_id === end.unit_id;
  const mayHand = ['admin', 'dispatcher', 'district_officer'].includes(user.role);

  /** Runs a confirmed action; what came of it is said above the list (the card may leave), in
   * view, and the list is read again. `done` is the sentence, or `run` returns it. */
  async function outcome(button, run, done) {
    button.disabled = true;
    message.clear();
    try {
      const said = await run();
      message.ok(typeof said === 'string' ? said : done);
    } catch (e) {
      message.error(e);
    } finally {
      button.disabled = false;
    }
    message.el.scrollIntoView({ block: 'nearest' });
    await reload();
  }

  function drawCounts() {
    const chip = (k, n) =>
      h(
        'button',
        { type: 'button', class: `chip ${kind === k ? 'on' : ''}`, 'aria-pressed': String(kind === k), dataset: { kind: k || 'all', count: String(n) }, onclick: () => { kind = k; draw(); } },
        `${k ? t(`loose.kind.${k}`) : t('loose.all')} ${n}`,
      );
    fill(counts, chip('', ends.length), KINDS.map((k) => chip(k, ends.filter((e) => e.kind === k).length)));
  }

  function personLine(id, checkbox) {
    const p = people.get(id);
    const name = p ? `${p.full_name} · ${p.document_no}` : id;
    if (!checkbox) return h('li', {}, name);
    return h('li', {}, h('label', {}, h('input', { type: 'checkbox', name: 'who', value: id, checked: true }), ' ', name));
  }

  function ticked(card) {
    return [...card.querySelectorAll('input[name=who]:checked')].map((i) => i.value);
  }

  /** The actions on people left with their sender: hand them again, or record an exception. */
  function leftBehind(end, card, out) {
    const custodian = unitById(end.unit_id);
    const below = unitsBelow(units, end.unit_id);
    const guesses = end.traveller_ids.map((id) => nextStop(people.get(id), custodian)).filter(Boolean);
    const guess = guesses.sort((a, b) => guesses.filter((x) => x === b).length - guesses.filter((x) => x === a).length)[0];
    const target = select(below.map((u) => [u.id, unitName(u)]), guess || below[0]?.id, { name: 'to' });
    const hand = confirmStep(
      t('loose.hand'),
      () => {
        const who = ticked(card);
        if (!who.length) {
          out.error(t('loose.pick_one'));
          return null;
        }
        return t('loose.hand_confirm', { n: who.length, unit: unitName(unitById(target.value)) });
      },
      (button) =>
        outcome(button, () => api('POST', '/handoffs', { body: { to_unit_id: target.value, traveller_ids: ticked(card) } }), t('loose.handed', { unit: unitName(unitById(target.value)) })),
      'hand',
    );
    const kindSelect = select(EXCEPTIONS.map((k) => [k, t(`exception.${k}`)]), 'hospitalised', { name: 'exception-kind' });
    const reason = h('input', { name: 'reason', maxlength: 1000, autocomplete: 'off' });
    const except = confirmStep(
      t('loose.exception'),
      () => {
        const who = ticked(card);
        if (!who.length || !reason.value.trim()) {
          out.error(t(who.length ? 'loose.reason_needed' : 'loose.pick_one'));
          return null;
        }
        return t('loose.exception_confirm', { n: who.length, kind: t(`exception.${kindSelect.value}`) });
      },
      (button) =>
        outcome(button, async () => {
          for (const id of ticked(card)) {
            await api('POST', `/travellers/${id}/exception`, { body: { kind: kindSelect.value, reason: reason.value.trim() } });
          }
        }, t('loose.excepted')),
      'exception',
    );
    return [
      h('div', { class: 'inline' }, field(t('loose.hand_to'), target), ...hand),
      h('div', { class: 'inline' }, field(t('loose.exception_kind'), kindSelect), field(t('loose.reason'), reason), ...except),
    ];
  }

  function lockedActions(end) {
    const to = end.to_unit;
    const reissue = confirmStep(
      t('loose.reissue'),
      () => t('loose.reissue_confirm', { unit: unitName(to) }),
      (button) =>
        outcome(button, async () => {
          const fresh = await api('POST', `/handoffs/${end.handoff_id}/reissue`);
          return t('loose.reissued', { code: fresh.code, unit: unitName(to) });
        }),
      'reissue',
    );
    const cancel = confirmStep(
      t('loose.cancel'),
      () => t('loose.cancel_confirm'),
      (button) =>
        outcome(button, () => api('POST', `/handoffs/${end.handoff_id}/cancel`, { body: { reason: t('loose.kind.locked') } }), t('loose.cancelled')),
      'cancel',
    );
    return h('div', { class: 'actions' }, ...reissue, ...cancel);
  }

  function call(unit) {
    return h('p', { class: 'call' }, t('loose.call', { unit: unitName(unit), hotline: unit?.hotline || t('loose.no_hotline') }));
  }

  function drawEnd(end) {
    const out = messageArea();
    const card = h('article', { class: `card loose ${end.kind}`, dataset: { end: end.id, kind: end.kind } });
    const acting = mayAct(end);
    const body = [
      h('header', {}, h('span', { class: `badge loose-${end.kind}` }, t(`loose.kind.${end.kind}`)), ' ', h('strong', {}, end.port ? `${end.port.code} ${end.port.name}` : `${unitName(end.from_unit)} → ${unitName(end.to_unit)}`)),
      h('p', { class: 'meta' }, t('loose.since', { time: dateTime(end.since) }), ' · ', t('loose.acts', { unit: unitName(end.unit) })),
      h('p', { class: 'detail' }, end.detail),
    ];
    const checkable = acting && mayHand && (end.kind === 'missing' || end.kind === 'rejected');
    if (end.kind !== 'waiting') {
      body.push(h('ul', { class: 'people', 'aria-label': t('loose.people') }, end.traveller_ids.slice(0, 50).map((id) => personLine(id, checkable))));
    }
    if (checkable) body.push(...leftBehind(end, card, out));
    if (end.kind === 'locked') {
      body.push(call(end.to_unit));
      if (acting && mayHand) body.push(lockedActions(end));
    }
    if (end.kind === 'overdue') {
      const receiver = user.unit_id === end.to_unit?.id;
      body.push(receiver ? h('a', { href: '#/desk', class: 'button' }, t('loose.open_desk')) : call(end.to_unit));
    }
    if (end.kind === 'waiting' && end.port) {
      body.push(h('a', { href: `#/board?port=${encodeURIComponent(end.port.code)}`, class: 'button', dataset: { board: end.port.code } }, t('loose.open_board', { port: end.port.code })));
    }
    body.push(out.el);
    return fill(card, ...body);
  }

  function draw() {
    drawCounts();
    const shown = ends.filter((e) => !kind || e.kind === kind);
    if (!shown.length) {
      fill(list, h('p', { class: 'empty', id: 'loose-none' }, t('loose.none')));
      return;
    }
    // Cards the user is working in stay as they are, untouched while nothing changed (a reading
    // that finds the same ends moves no node); ends resolved elsewhere leave.
    if (list.querySelector('#loose-none') || !list.querySelector('[data-end]')) list.replaceChildren();
    keepOrDraw(list, shown, (e) => e.traveller_ids.join(','), drawEnd);
  }

  // A failure to read the list is said until a reading succeeds; what an action came to stays.
  let loadFailed = false;
  async function reload() {
    try {
      const fresh = await all('/loose-ends');
      const needed = fresh
        .filter((e) => e.kind === 'missing' || e.kind === 'rejected' || e.kind === 'locked')
        .flatMap((e) => e.traveller_ids.slice(0, 50))
        .filter((id) => !people.has(id));
      const found = await Promise.all(needed.map((id) => api('GET', `/travellers/${id}`).catch(() => null)));
      found.filter(Boolean).forEach((p) => people.set(p.id, p));
      if (stopped) return;
      ends = fresh;
      if (loadFailed) message.clear();
      loadFailed = false;
      draw();
    } catch (e) {
      if (stopped) return;
      loadFailed = true;
      message.error(e);
    }
  }

  all('/units')
    .then((list) => {
      units = list;
      return reload();
    })
    .catch((e) => message.error(e));
  // Any change to handoffs or travellers may open or close an end.
  const unfollow = followSoon((event) => /^(handoff|traveller|batch)\./.test(event.action), reload, 500);
  const timer = setInterval(reload, 60000);

  main.replaceChildren(h('h1', {}, t('loose.title')), h('p', { class: 'hint' }, t('loose.intro')), counts, message.el, list);
  return () => {
    stopped = true;
    clearInterval(timer);
    unfollow();
  };
}

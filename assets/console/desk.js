// The handoff desk of a district or community officer, made for a phone: the handoffs coming to
// my unit (overdue first), each confirmed with the 6-digit code the sender reads out and the
// people actually there, or rejected with a reason; and the handoffs my unit sends on, with the
// code to read out. A new incoming handoff appears without reloading, with an alert and, if the
// officer turned it on, a sound.

import { all, api } from './api.js';
import { followSoon } from './live.js';
import { addStrings, dateTime, problemText, t, unitName } from './i18n.js';
import { act, field, fill, h, keepOrDraw, messageArea, section } from './ui.js';

const MAX_ATTEMPTS = 5;
const SOUND_KEY = 'inbound-transfer.desk-sound';

addStrings({
  en: {
    'desk.title': 'Handoff desk',
    'desk.incoming': 'Coming to my unit',
    'desk.outgoing': 'Sent on by my unit',
    'desk.none_in': 'No handoff is waiting for your confirmation.',
    'desk.none_out': 'Nothing sent on is waiting.',
    'desk.from': 'From {unit}',
    'desk.to': 'To {unit}',
    'desk.people': '{n} people',
    'desk.people.one': '1 person',
    'desk.due': 'Due {time}',
    'desk.overdue': 'Overdue',
    'desk.code': '6-digit code read out by the sender',
    'desk.present': 'Tick who is actually here',
    'desk.note': 'Note (optional)',
    'desk.confirm': 'Confirm receipt',
    'desk.confirmed': 'Confirmed: {received} received, {missing} recorded missing.',
    'desk.reject': 'Reject',
    'desk.reject_title': 'Reject this handoff',
    'desk.reason': 'Reason',
    'desk.rejected': 'Rejected. Custody stays with the sender.',
    'desk.wrong_code': 'Wrong code. {left} tries left before the handoff locks.',
    'desk.locked': 'This handoff is locked after {max} wrong codes. Call {unit}{hotline} to hand the people again.',
    'desk.hotline': ' on {hotline}',
    'desk.read_out': 'Code to read out',
    'desk.new': 'New handoff from {unit}: {n} people.',
    'desk.new.one': 'New handoff from {unit}: 1 person.',
    'desk.sound': 'Sound on a new handoff',
    'desk.none_ticked': 'Tick at least one person, or reject the handoff.',
    'desk.code_format': 'The code is 6 digits.',
    'desk.batch': 'Batch {code}',
    'desk.driver': 'driver {name}{phone}',
  },
  zh: {
    'desk.title': '交接台',
    'desk.incoming': '移交给本单位',
    'desk.outgoing': '本单位发出的移交',
    'desk.none_in': '暂无待您确认的交接。',
    'desk.none_out': '暂无待对方确认的移交。',
    'desk.from': '来自 {unit}',
    'desk.to': '移交给 {unit}',
    'desk.people': '{n} 人',
    'desk.due': '时限 {time}',
    'desk.overdue': '已超时',
    'desk.code': '对方报出的 6 位交接码',
    'desk.present': '勾选实际到达的人员',
    'desk.note': '备注（可选）',
    'desk.confirm': '确认接收',
    'desk.confirmed': '已确认：接收 {received} 人，{missing} 人登记为未到。',
    'desk.reject': '拒收',
    'desk.reject_title': '拒收这次交接',
    'desk.reason': '原因',
    'desk.rejected': '已拒收，人员仍由移交方负责。',
    'desk.wrong_code': '交接码错误。还可尝试 {left} 次，之后交接将被锁定。',
    'desk.locked': '交接码连续错误 {max} 次，此交接已锁定。请联系 {unit}{hotline} 重新移交。',
    'desk.hotline': '（电话 {hotline}）',
    'desk.read_out': '请向接收方报出交接码',
    'desk.new': '新的交接：来自 {unit}，共 {n} 人。',
    'desk.sound': '新交接时提示音',
    'desk.none_ticked': '请至少勾选一人，或选择拒收。',
    'desk.code_format': '交接码为 6 位数字。',
    'desk.batch': '批次 {code}',
    'desk.driver': '驾驶员 {name}{phone}',
  },
});

function byUrgency(a, b) {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  return a.due_at < b.due_at ? -1 : a.due_at > b.due_at ? 1 : 0;
}

let audio = null;
function beep() {
  try {
    audio = audio || new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.35);
  } catch {
    /* no sound on this device */
  }
}

function lockedText(handoff) {
  const hotline = handoff.from_unit?.hotline;
  return t('desk.locked', {
    max: MAX_ATTEMPTS,
    unit: unitName(handoff.from_unit),
    hotline: hotline ? t('desk.hotline', { hotline }) : '',
  });
}

/** The trip that brought the people: batch code, vehicle plate and driver, so that two vehicles of
 * the city at one door cannot be confused. */
function trip(handoff) {
  const b = handoff.batch;
  if (!b) return null;
  const driver = b.driver ? t('desk.driver', { name: b.driver, phone: b.driver_phone ? ` ${b.driver_phone}` : '' }) : null;
  return h('p', { class: 'trip', dataset: { batch: b.code } }, [t('desk.batch', { code: b.code }), b.vehicle_plate, driver].filter(Boolean).join(' · '));
}

function meta(handoff) {
  return h(
    'p',
    { class: 'meta' },
    t('desk.people', { n: handoff.traveller_ids.length }),
    ' · ',
    t('desk.due', { time: dateTime(handoff.due_at) }),
    handoff.overdue ? [' ', h('span', { class: 'badge bad' }, t('desk.overdue'))] : null,
  );
}

/** What a drawn card shows that can change while it waits: a new shape draws it anew. */
function cardShape(handoff) {
  return `${handoff.locked}|${handoff.overdue}`;
}

function incomingCard(handoff, reload, announce) {
  const message = messageArea();
  const code = h('input', {
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    maxlength: 6,
    required: true,
    class: 'code-input',
    name: 'code',
  });
  const ticks = handoff.travellers.map((p) => {
    const box = h('input', { type: 'checkbox', checked: true, value: p.id, name: 'present' });
    return h('li', {}, h('label', {}, box, ' ', p.full_name, ' ', h('small', { class: 'muted' }, `${p.document_no} · ${p.nationality}`)));
  });
  const note = h('input', { name: 'note', maxlength: 500 });
  const confirm = h('button', { type: 'submit', class: 'primary' }, t('desk.confirm'));
  const form = h(
    'form',
    { class: 'confirm' },
    h('fieldset', {}, h('legend', {}, t('desk.present')), h('ul', { class: 'ticks' }, ticks)),
    field(t('desk.code'), code),
    field(t('desk.note'), note),
    confirm,
  );
  if (handoff.locked) {
    confirm.disabled = true;
    code.disabled = true;
    message.error(lockedText(handoff));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!/^[0-9]{6}$/.test(code.value)) {
      message.error(t('desk.code_format'));
      code.focus();
      return;
    }
    const received = [...form.querySelectorAll('input[name=present]:checked')].map((b) => b.value);
    if (!received.length) {
      message.error(t('desk.none_ticked'));
      return;
    }
    confirm.disabled = true;
    message.clear();
    try {
      const done = await api('POST', `/handoffs/${handoff.id}/confirm`, {
        body: { code: code.value, received_traveller_ids: received, ...(note.value ? { note: note.value } : {}) },
      });
      announce(t('desk.confirmed', { received: done.received_traveller_ids?.length ?? received.length, missing: done.missing_traveller_ids?.length ?? 0 }));
      reload();
    } catch (err) {
      confirm.disabled = false;
      if (err.code === 'invalid_handoff_code' || (err.status === 409 && err.code !== 'invalid_state') || err.code === 'invalid_state') {
        let now = null;
        try {
          now = await api('GET', `/handoffs/${handoff.id}`);
        } catch {
          /* fall back to the service's own words */
        }
        if (now?.locked) {
          confirm.disabled = true;
          message.error(lockedText(now));
        } else if (err.code === 'invalid_handoff_code') {
          message.error(t('desk.wrong_code', { left: err.params.tries_left }));
        } else {
          message.error(err);
        }
      } else {
        message.error(err);
      }
      code.select();
    }
  });

  const reason = h('input', { name: 'reason', required: true, maxlength: 500 });
  const reject = h('button', { type: 'submit', class: 'danger' }, t('desk.reject'));
  const rejectForm = h('form', { class: 'reject' }, field(t('desk.reason'), reason), reject);
  rejectForm.addEventListener('submit', (e) => {
    e.preventDefault();
    act(reject, message, async () => {
      await api('POST', `/handoffs/${handoff.id}/reject`, { body: { reason: reason.value } });
      announce(t('desk.rejected'));
      reload();
    });
  });

  return h(
    'article',
    { class: `handoff card ${handoff.overdue ? 'overdue' : ''}`, dataset: { handoff: handoff.id } },
    h('h3', {}, t('desk.from', { unit: unitName(handoff.from_unit) })),
    trip(handoff),
    meta(handoff),
    form,
    h('details', {}, h('summary', {}, t('desk.reject_title')), rejectForm),
    message.el,
  );
}

function outgoingCard(handoff) {
  return h(
    'article',
    { class: `handoff card ${handoff.overdue ? 'overdue' : ''}`, dataset: { handoff: handoff.id } },
    h('h3', {}, t('desk.to', { unit: unitName(handoff.to_unit) })),
    trip(handoff),
    meta(handoff),
    h('p', { class: 'read-out' }, h('span', {}, t('desk.read_out')), ' ', h('strong', { class: 'handoff-code' }, handoff.code || '——')),
    h('ul', { class: 'names' }, handoff.travellers.map((p) => h('li', {}, p.full_name))),
  );
}

export function mount(main, user) {
  const incoming = h('div', { id: 'incoming', class: 'cards' }, h('p', {}, t('common.loading')));
  const outgoing = h('div', { id: 'outgoing', class: 'cards' });
  const alert = h('div', { id: 'desk-alert', class: 'alert', role: 'alert', hidden: true });
  const outcome = messageArea();
  outcome.el.id = 'desk-message';
  // What an action came to is said at the top, in view and focused (the card it came from is
  // gone), and fades after a minute so that it never sits beside a newer alert.
  let fade = null;
  const announce = (text) => {
    outcome.ok(text);
    outcome.el.tabIndex = -1;
    outcome.el.scrollIntoView({ block: 'start' });
    outcome.el.focus({ preventScroll: true });
    clearTimeout(fade);
    fade = setTimeout(() => outcome.clear(), 60000);
  };
  const sound = h('input', {
    type: 'checkbox',
    id: 'desk-sound',
    checked: localStorage.getItem(SOUND_KEY) === 'on',
    onchange: (e) => localStorage.setItem(SOUND_KEY, e.target.checked ? 'on' : 'off'),
  });
  let known = null;
  let stopped = false;

  async function load() {
    try {
      const [ins, outs] = await Promise.all([
        all('/handoffs', { status: 'pending', to_unit_id: user.unit_id }),
        all('/handoffs', { status: 'pending', from_unit_id: user.unit_id }),
      ]);
      if (stopped) return;
      ins.sort(byUrgency);
      outs.sort(byUrgency);
      const fresh = known ? ins.filter((x) => !known.has(x.id)) : [];
      known = new Set(ins.map((x) => x.id));
      if (fresh.length) {
        outcome.clear();
        alert.hidden = false;
        alert.textContent = fresh.map((x) => t('desk.new', { unit: unitName(x.from_unit), n: x.traveller_ids.length })).join(' ');
        if (sound.checked) beep();
      }
      // Cards of handoffs still waiting keep the officer's ticks, code and note.
      if (ins.length) keepOrDraw(incoming, ins, cardShape, (x) => incomingCard(x, load, announce));
      else fill(incoming, h('p', { class: 'muted' }, t('desk.none_in')));
      fill(outgoing, outs.length ? outs.map(outgoingCard) : h('p', { class: 'muted' }, t('desk.none_out')));
    } catch (e) {
      if (!stopped && e.status !== 0) fill(incoming, h('p', { class: 'message error' }, problemText(e)));
    }
  }

  const unfollow = followSoon((event) => /^(handoff|batch)\./.test(event.action), load, 200);
  const poll = setInterval(load, 15000);
  load();

  fill(main,
    h('div', { class: 'title-row' }, h('h1', {}, t('desk.title')), h('label', { class: 'toggle' }, sound, ' ', t('desk.sound'))),
    alert,
    outcome.el,
    section(t('desk.incoming'), incoming),
    user.role === 'district_officer' ? section(t('desk.outgoing'), outgoing) : null,
  );
  return () => {
    stopped = true;
    clearTimeout(fade);
    clearInterval(poll);
    unfollow();
  };
}

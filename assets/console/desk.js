// The handoff desk of a district or community officer, made for a phone: the handoffs coming to
// my unit (overdue first), each confirmed with the 6-digit code the sender reads out and the
// people actually there, or rejected with a reason; and the handoffs my unit sends on, with the
// code to read out. A new incoming handoff appears without reloading, with an alert and, if the
// officer turned it on, a sound.

import { all, api, currentUser, newKey, onReachability } from './api.js';
import { followSoon } from './live.js';
import { LATE_MS, dismiss, enqueue, keepDesk, keptDesk, onQueue, queued, sendQueued, settledOnDesk } from './offline.js';
import { addStrings, dateTime, problemText, t, unitName } from './i18n.js';
import { act, field, fill, h, keepOrDraw, messageArea, section } from './ui.js';

const MAX_ATTEMPTS = 5;
const SOUND_KEY = 'inbound-transfer.desk-sound';

addStrings({
  en: {
    'desk.queue': 'Waiting to send',
    'desk.queue_hint': 'Made here without a network; sent in order as soon as the service can be reached.',
    'desk.send_now': 'Send now',
    'desk.dismiss': 'Dismiss',
    'desk.q_confirm': 'Confirmed at the door {time}',
    'desk.q_reject': 'Rejected at the door {time}',
    'desk.q_line': '{what} · from {unit} · {people}',
    'desk.q_waiting': 'waiting to send',
    'desk.q_late': 'waiting to send for more than 30 minutes: find a network, or call the sender',
    'desk.q_refused': 'refused by the service',
    'desk.q_wrong_code': 'The code was wrong. Ask {unit} for the code again and enter it on the card.',
    'desk.q_locked': 'Locked after 5 wrong codes. Call {unit}{hotline} for a new handoff.',
    'desk.q_confirmed': 'Already confirmed (by a colleague, perhaps): nothing more to do.',
    'desk.q_cancelled': 'The sender cancelled this handoff: they will hand the people again.',
    'desk.q_rejected': 'This handoff was already rejected.',
    'desk.q_gone': 'This handoff is no longer your unit\'s to act on.',
    'desk.queued': 'No network: kept on this phone and sent as soon as the service can be reached.',
    'desk.sent_later': 'Sent: {n} action(s) made without a network reached the service.',
    'desk.offline': 'No network. The handoffs as of {time}; what you do is kept on this phone and sent when the network returns.',
    'desk.offline_none': 'No network, and nothing kept on this phone for this desk.',
    'desk.waiting_here': 'Waiting to send (at the door {time}).',
    'desk.insecure': 'Offline use is unavailable at this address: browsers keep a console for use without a network only on HTTPS (or on this computer). Ask your administrator for the HTTPS address.',
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
    'desk.queue': '待发送',
    'desk.queue_hint': '无网络时在此完成的操作；一旦连上服务即按顺序发送。',
    'desk.send_now': '立即发送',
    'desk.dismiss': '知道了',
    'desk.q_confirm': '{time} 在现场确认接收',
    'desk.q_reject': '{time} 在现场拒收',
    'desk.q_line': '{what} · 来自 {unit} · {people}',
    'desk.q_waiting': '等待发送',
    'desk.q_late': '已等待发送超过 30 分钟：请找到网络，或致电移交方',
    'desk.q_refused': '服务未接受',
    'desk.q_wrong_code': '交接码错误。请向{unit}重新核对交接码，并在卡片上重新输入。',
    'desk.q_locked': '交接码连续错误 5 次，已锁定。请联系{unit}{hotline}重新移交。',
    'desk.q_confirmed': '已被确认（可能是同事已确认），无需再操作。',
    'desk.q_cancelled': '移交方已撤销此次交接，将重新移交。',
    'desk.q_rejected': '此次交接已被拒收。',
    'desk.q_gone': '此次交接已不归本单位处理。',
    'desk.queued': '无网络：已保存在本机，连上服务后自动发送。',
    'desk.sent_later': '已发送：{n} 项无网络时的操作已送达服务。',
    'desk.offline': '无网络。以下为 {time} 的交接情况；您的操作会保存在本机，网络恢复后发送。',
    'desk.offline_none': '无网络，本机也没有保存此交接台的数据。',
    'desk.waiting_here': '等待发送（现场操作时间 {time}）。',
    'desk.insecure': '此地址无法离线使用：浏览器只在 HTTPS（或本机地址）下保存控制台供无网络时使用。请向管理员索取 HTTPS 地址。',
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

/** Whether the service was reachable at the last request, as the api module says. */
let reachable = true;
onReachability((up) => {
  reachable = up;
});
const online = () => navigator.onLine !== false && reachable;

/** The action queued on this device for a handoff, if any: a waiting one before a refused one. */
function queuedFor(handoffId) {
  const mine = queued().filter((x) => x.handoff_id === handoffId);
  return mine.find((x) => x.state === 'waiting') || mine[0];
}

/** What a drawn card shows that can change while it waits: a new shape draws it anew. */
function cardShape(handoff) {
  return `${handoff.locked}|${handoff.overdue}|${queuedFor(handoff.id)?.state || ''}`;
}

/**
 * Sends an action made at the door, or keeps it on the device when the service cannot be
 * reached; an attempt that got no answer is kept with its key, so that sending it later replays
 * the answer rather than acting twice. Answers the service's answer, or null when kept.
 */
async function actAtDoor(kind, handoff, body, announce) {
  const user = currentUser()?.id;
  const key = newKey();
  const at = new Date().toISOString();
  // Behind actions still waiting, in order, this one waits too; made offline, it carries the time
  // at the door.
  if (!online() || queued(user).some((x) => x.state === 'waiting')) {
    enqueue(kind, handoff, { ...body, at }, { key, at, user });
    announce(t('desk.queued'));
    sendQueued();
    return null;
  }
  try {
    const done = await api('POST', `/handoffs/${handoff.id}/${kind}`, { body, key, retries: 1 });
    settledOnDesk(user, handoff.id);
    return done;
  } catch (err) {
    if (err.status !== 0 && err.status < 500) throw err;
    // Sent, but no answer came: kept as sent, with the same key, so that sending it again replays
    // the answer if the first one acted (the service then keeps its own time for it).
    enqueue(kind, handoff, body, { key, at, user });
    announce(t('desk.queued'));
    return null;
  }
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
  const waiting = queuedFor(handoff.id);
  if (waiting?.state === 'waiting') {
    confirm.disabled = true;
    code.disabled = true;
    message.ok(t('desk.waiting_here', { time: dateTime(waiting.queued_at) }));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    // One action per handoff from this device: a second waits for the first to be sent.
    const kept = queuedFor(handoff.id);
    if (kept?.state === 'waiting') {
      message.ok(t('desk.waiting_here', { time: dateTime(kept.queued_at) }));
      return;
    }
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
      const body = { code: code.value, received_traveller_ids: received, ...(note.value ? { note: note.value } : {}) };
      const done = await actAtDoor('confirm', handoff, body, announce);
      if (done) announce(t('desk.confirmed', { received: done.received_traveller_ids?.length ?? received.length, missing: done.missing_traveller_ids?.length ?? 0 }));
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
    const kept = queuedFor(handoff.id);
    if (kept?.state === 'waiting') {
      message.ok(t('desk.waiting_here', { time: dateTime(kept.queued_at) }));
      return;
    }
    act(reject, message, async () => {
      if (await actAtDoor('reject', handoff, { reason: reason.value }, announce)) announce(t('desk.rejected'));
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

/** What the officer should do about a queued action the service refused. */
function refusalText(item) {
  const r = item.refusal || {};
  const unit = unitName(r.handoff?.from_unit || item.from_unit);
  if (r.code === 'invalid_handoff_code') return t('desk.q_wrong_code', { unit });
  if (r.handoff?.locked || r.params?.unit) {
    const hotline = (r.handoff?.from_unit || r.params?.unit)?.hotline;
    return t('desk.q_locked', { unit, hotline: hotline ? t('desk.hotline', { hotline }) : '' });
  }
  if (r.handoff?.status === 'confirmed') return t('desk.q_confirmed');
  if (r.handoff?.status === 'cancelled') return t('desk.q_cancelled');
  if (r.handoff?.status === 'rejected') return t('desk.q_rejected');
  if (r.status === 403 || r.status === 404) return t('desk.q_gone');
  return r.detail || t('desk.q_refused');
}

/** The actions kept on this device: waiting ones, and refused ones until dismissed. */
function queueList(items) {
  return h(
    'ul',
    { class: 'queue' },
    items.map((item) => {
      const late = item.state === 'waiting' && Date.now() - Date.parse(item.queued_at) > LATE_MS;
      const what = t(item.kind === 'confirm' ? 'desk.q_confirm' : 'desk.q_reject', { time: dateTime(item.queued_at) });
      const state =
        item.state === 'refused'
          ? [h('span', { class: 'badge bad' }, t('desk.q_refused')), ' ', refusalText(item)]
          : h('span', { class: `badge ${late ? 'bad' : 'warn'}` }, t(late ? 'desk.q_late' : 'desk.q_waiting'));
      return h(
        'li',
        { class: `queued ${item.state}${late ? ' late' : ''}`, dataset: { handoff: item.handoff_id, state: item.state } },
        h('div', {}, t('desk.q_line', { what, unit: unitName(item.from_unit), people: t('desk.people', { n: item.people }) })),
        h('div', {}, state),
        item.state === 'refused' ? h('button', { type: 'button', class: 'link', dataset: { dismiss: item.id }, onclick: () => dismiss(item.id) }, t('desk.dismiss')) : null,
      );
    }),
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
  const offlineNote = h('p', { id: 'desk-offline', class: 'alert', hidden: true });
  const queueBox = h('div', { id: 'queue' });
  const sendNow = h('button', { type: 'button', id: 'send-now' }, t('desk.send_now'));
  const queueSection = section(t('desk.queue'), h('p', { class: 'muted' }, t('desk.queue_hint')), queueBox, sendNow);
  queueSection.id = 'queue-section';
  const drawQueue = () => {
    const items = queued(user.id);
    queueSection.hidden = !items.length;
    fill(queueBox, queueList(items));
    sendNow.disabled = !items.some((x) => x.state === 'waiting');
  };
  sendNow.addEventListener('click', async () => {
    sendNow.disabled = true;
    const { sent } = await sendQueued();
    if (sent) announce(t('desk.sent_later', { n: sent }));
    drawQueue();
    load();
  });
  const unqueue = onQueue(() => {
    drawQueue();
    load();
  });
  drawQueue();
  const insecure = !window.isSecureContext ? h('p', { id: 'desk-insecure', class: 'alert' }, t('desk.insecure')) : null;

  function drawIncoming(ins) {
    // Cards of handoffs still waiting keep the officer's ticks, code and note.
    if (ins.length) keepOrDraw(incoming, ins, cardShape, (x) => incomingCard(x, load, announce));
    else fill(incoming, h('p', { class: 'muted' }, t('desk.none_in')));
  }

  async function load() {
    try {
      const [ins, outs] = await Promise.all([
        all('/handoffs', { status: 'pending', to_unit_id: user.unit_id }),
        all('/handoffs', { status: 'pending', from_unit_id: user.unit_id }),
      ]);
      if (stopped || currentUser()?.id !== user.id) return;
      keepDesk(user.id, ins);
      offlineNote.hidden = true;
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
      drawIncoming(ins);
      fill(outgoing, outs.length ? outs.map(outgoingCard) : h('p', { class: 'muted' }, t('desk.none_out')));
      window.dispatchEvent(new Event('console:drawn'));
    } catch (e) {
      if (stopped) return;
      if (e.status !== 0) {
        fill(incoming, h('p', { class: 'message error' }, problemText(e)));
        return;
      }
      // No network: the handoffs as last kept on this device, said to be so.
      const kept = keptDesk(user.id);
      offlineNote.hidden = false;
      offlineNote.textContent = kept ? t('desk.offline', { time: dateTime(kept.saved_at) }) : t('desk.offline_none');
      if (kept) drawIncoming(kept.incoming.sort(byUrgency));
      else fill(incoming);
    }
  }

  const unfollow = followSoon((event) => /^(handoff|batch)\./.test(event.action), load, 200);
  const poll = setInterval(load, 15000);
  // What this device kept shows at once; the service's answer replaces it.
  const kept = keptDesk(user.id);
  if (kept) drawIncoming(kept.incoming.sort(byUrgency));
  load();

  fill(main,
    h('div', { class: 'title-row' }, h('h1', {}, t('desk.title')), h('label', { class: 'toggle' }, sound, ' ', t('desk.sound'))),
    insecure,
    offlineNote,
    alert,
    outcome.el,
    queueSection,
    section(t('desk.incoming'), incoming),
    user.role === 'district_officer' ? section(t('desk.outgoing'), outgoing) : null,
  );
  return () => {
    stopped = true;
    clearTimeout(fade);
    clearInterval(poll);
    unfollow();
    unqueue();
  };
}

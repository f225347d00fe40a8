// The board's batches: the form that makes a batch of the people picked (a vehicle that fits, a
// crew), and a card per open batch with the step that fits it: a vehicle, boarding with no-shows,
// departure, arrival, the handoff codes to read out, the notices.

import { all, api } from './api.js';
import { dateTime, problemText, t, unitName } from './i18n.js';
import { act, badge, field, fill, h, keepOrDraw, messageArea, select } from './ui.js';

const OPEN = ['planned', 'boarding', 'in_transit', 'arrived'];

export function panel(board) {
  const { state } = board;
  const newBatch = h('div', { id: 'new-batch' });
  const el = h('div', { id: 'batches', class: 'cards' });

  let loads = 0;
  async function load() {
    const mine = ++loads;
    try {
      const lists = await Promise.all(OPEN.map((status) => all('/batches', { status }, 200)));
      if (board.stopped || mine !== loads) return;
      // Newest first, whatever their status: a card stays where it is after each step.
      state.batches = lists.flat().sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
      // Cards of unchanged batches keep the dispatcher's ticks and reasons.
      if (state.batches.length) keepOrDraw(el, state.batches, batchShape, batchCard);
      else fill(el, h('p', { class: 'muted' }, t('board.no_batches')));
    } catch (e) {
      if (!board.stopped && e.status !== 0) fill(el, h('p', { class: 'message error' }, problemText(e)));
    }
  }

  /** Draws the form again for the people picked; while the dispatcher fills it in, only a tick does. */
  function drawForm(force) {
    const active = document.activeElement;
    if (!force && active && newBatch.contains(active)) return;
    fill(newBatch, batchForm());
  }
  board.picked = drawForm;

  /** What a drawn batch card shows that can change: a new shape draws it anew. */
  const batchShape = (b) =>
    [
      b.status,
      b.vehicle?.id,
      ...(b.handoffs || []).map((x) => `${x.status}${x.locked ? 'L' : ''}${x.overdue ? 'O' : ''}`),
      ...b.travellers.map((x) => x.outcome || ''),
    ].join('|');

  /** The people a dispatcher unticked at boarding, kept across a reload of the page. */
  const NO_SHOW_KEY = (id) => `inbound-transfer.no-show.${id}`;
  const unticked = (id) => new Set(JSON.parse(sessionStorage.getItem(NO_SHOW_KEY(id)) || '[]'));

  function crewRow() {
    return h(
      'div',
      { class: 'crew-row' },
      field(t('board.crew_name'), h('input', { name: 'crew_name', maxlength: 100 })),
      field(t('board.crew_phone'), h('input', { name: 'crew_phone', type: 'tel', maxlength: 40 })),
      field(t('board.crew_role'), select([['driver', t('board.driver')], ['escort', t('board.escort')]], 'driver', { name: 'crew_role' })),
    );
  }

  function batchForm() {
    const message = messageArea();
    const picked = state.waiting.filter((x) => state.picked.has(x.id));
    const portId = picked[0]?.port_id || state.ports[0]?.id;
    const port = select(state.ports.map((p) => [p.id, `${p.code} · ${p.name}`]), portId, { id: 'batch-port' });
    // A vehicle fits when its seats hold the people picked and at least a driver.
    const usable = state.vehicles.filter((v) => v.status === 'available' && !v.out_of_service && v.seats >= picked.length + 1);
    const vehicle = select(
      [['', t('board.no_vehicle')], ...usable.map((v) => [v.id, t('board.seats', { plate: v.plate, seats: v.seats })])],
      '',
      { id: 'batch-vehicle' },
    );
    // The crew typed so far stays when the form is drawn again (a traveller ticked).
    state.crew = state.crew || h('div', { class: 'crew' }, crewRow());
    const crew = state.crew;
    const addCrew = h('button', { type: 'button', onclick: () => crew.append(crewRow()) }, t('board.add_crew'));
    const submit = h('button', { type: 'submit', class: 'primary', id: 'batch-create' }, t('board.create'));
    const form = h(
      'form',
      { class: 'card' },
      h('p', { id: 'picked' }, t('board.picked', { n: picked.length })),
      field(t('board.port'), port),
      field(t('board.vehicle'), vehicle, t('board.fits')),
      h('fieldset', {}, h('legend', {}, t('board.crew')), crew, addCrew),
      submit,
      message.el,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const members = [...crew.querySelectorAll('.crew-row')]
        .map((row) => ({
          name: row.querySelector('[name=crew_name]').value.trim(),
          phone: row.querySelector('[name=crew_phone]').value.trim() || undefined,
          role: row.querySelector('[name=crew_role]').value,
        }))
        .filter((m) => m.name);
      act(submit, message, async () => {
        const batch = await api('POST', '/batches', {
          body: {
            port_id: port.value,
            traveller_ids: picked.map((x) => x.id),
            ...(vehicle.value ? { vehicle_id: vehicle.value } : {}),
            crew: members,
          },
        });
        state.picked.clear();
        state.crew = null;
        document.activeElement?.blur();
        await board.reload('waiting', 'batches', 'vehicles');
        drawForm(true);
        newBatch.querySelector('.message').textContent = t('board.created', { code: batch.code });
      });
    });
    return [h('p', { class: 'muted' }, t('board.pick')), form];
  }

  function batchCard(b) {
    const message = messageArea();
    const actions = [];
    const run = (label, cls, fn) => {
      const button = h('button', { type: 'button', class: cls, dataset: { action: label } });
      button.textContent = t(label);
      button.addEventListener('click', () => act(button, message, async () => {
        await fn();
        await board.reload('batches', 'vehicles', 'waiting');
      }));
      return button;
    };
    if (b.status === 'planned') {
      if (!b.vehicle) {
        const needed = b.travellers.length + (b.crew?.length || 1);
        const usable = state.vehicles.filter((v) => v.status === 'available' && !v.out_of_service && v.seats >= needed);
        if (usable.length) {
          const choice = select(usable.map((v) => [v.id, t('board.seats', { plate: v.plate, seats: v.seats })]), usable[0].id, {});
          actions.push(field(t('board.vehicle'), choice), run('board.assign', '', () => api('POST', `/batches/${b.id}/vehicle`, { body: { vehicle_id: choice.value } })));
        } else {
          actions.push(h('p', { class: 'muted' }, t('board.no_fit')));
        }
      } else {
        const away = unticked(b.id);
        const boxes = b.travellers.map((x) => h('li', {}, h('label', {}, h('input', { type: 'checkbox', checked: !away.has(x.id), value: x.id }), ' ', x.full_name)));
        const list = h('ul', { class: 'ticks' }, boxes);
        list.addEventListener('change', () => {
          const off = [...list.querySelectorAll('input')].filter((i) => !i.checked).map((i) => i.value);
          sessionStorage.setItem(NO_SHOW_KEY(b.id), JSON.stringify(off));
        });
        actions.push(
          h('fieldset', {}, h('legend', {}, t('board.boarding')), list),
          run('board.record_boarding', 'primary', () => {
            const inputs = [...list.querySelectorAll('input')];
            return api('POST', `/batches/${b.id}/boarding`, {
              body: { boarded: inputs.filter((i) => i.checked).map((i) => i.value), no_show: inputs.filter((i) => !i.checked).map((i) => i.value) },
            });
          }),
        );
      }
      const reason = h('input', { maxlength: 500 });
      actions.push(
        h(
          'details',
          {},
          h('summary', {}, t('board.cancel')),
          field(t('board.cancel_reason'), reason),
          run('board.cancel', 'danger', () => api('POST', `/batches/${b.id}/cancel`, { body: { reason: reason.value } })),
        ),
      );
    }
    if (b.status === 'boarding') actions.push(run('board.depart', 'primary', () => api('POST', `/batches/${b.id}/depart`)));
    if (b.status === 'in_transit') actions.push(run('board.arrive', 'primary', () => api('POST', `/batches/${b.id}/arrive`)));
    const printButton = h('button', { type: 'button', dataset: { action: 'board.notices' } }, t('board.notices'));
    printButton.addEventListener('click', () => act(printButton, message, () => printNotices(b)));
    const codes = (b.handoffs || []).length
      ? h(
          'div',
          { class: 'codes' },
          h('h4', {}, t('board.handoff_codes')),
          h(
            'ul',
            {},
            b.handoffs.map((x) => {
              // Pending, overdue, locked, rejected or confirmed, with the step that fits.
              const mark = x.status === 'pending' && x.locked ? 'locked' : x.status === 'pending' && x.overdue ? 'overdue' : x.status;
              const missing = x.status === 'confirmed' && x.missing_traveller_ids?.length;
              const loose = mark === 'locked' || mark === 'rejected' || missing;
              return h(
                'li',
                { dataset: { handoff: x.id, mark } },
                `${unitName(x.to_unit) || board.unitName(x.to_unit_id)} · `,
                h('span', { class: `badge handoff-${mark}` }, t(`board.mark.${mark}`)),
                ' ',
                x.status === 'pending' && !x.locked ? h('strong', { class: 'handoff-code' }, x.code || '') : null,
                missing ? [' ', t('board.missing_n', { n: x.missing_traveller_ids.length })] : null,
                mark === 'overdue' && x.to_unit?.hotline ? [' ', t('board.call', { hotline: x.to_unit.hotline })] : null,
                loose ? [' ', h('a', { href: `#/loose-ends?kind=${missing ? 'missing' : mark}` }, t('board.resolve'))] : null,
              );
            }),
          ),
        )
      : null;
    // Once boarding is recorded: who boarded, who did not show, who went missing at a door.
    const outcomes = b.travellers.some((x) => x.outcome)
      ? h(
          'ul',
          { class: 'outcomes' },
          b.travellers.map((x) => h('li', { dataset: { traveller: x.id, outcome: x.outcome || '' } }, x.full_name, ' ', x.outcome ? h('span', { class: `badge outcome-${x.outcome}` }, t(`board.outcome.${x.outcome}`)) : null)),
        )
      : null;
    const riding = b.travellers.filter((x) => x.outcome !== 'no_show').length;
    return h(
      'article',
      { class: 'card batch', dataset: { batch: b.id, code: b.code, status: b.status, people: String(riding) } },
      h('h3', {}, b.code, ' ', badge('batch', b.status)),
      h('p', { class: 'meta' }, `${t('board.people_n', { n: riding })} · ${b.vehicle?.plate || t('board.no_vehicle')} · ${dateTime(b.created_at)}`),
      outcomes,
      codes,
      h('div', { class: 'actions' }, actions, printButton),
      message.el,
    );
  }

  async function printNotices(b) {
    const r = await api('GET', `/batches/${b.id}/notices`, { raw: true });
    const html = await r.blob();
    const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    const win = window.open(url, '_blank');
    if (!win) {
      const a = h('a', { href: url, download: `notices-${b.code}.html` });
      document.body.append(a);
      a.click();
      a.remove();
    }
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  return { newBatch, el, load, drawForm };
}

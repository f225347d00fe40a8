// The board's waiting lists: who waits at each port, narrowed by destination district or a search,
// at most WAITING_SHOWN a port. Ticking people here picks them for the new batch.

import { some } from './api.js';
import { dateTime, problemText, t, unitName } from './i18n.js';
import { field, fill, h, table } from './ui.js';

/** The most people listed per port: past it the board says so, and a district or a search narrows the list. */
export const WAITING_SHOWN = 500;

export function panel(board) {
  const { state } = board;
  const el = h('div', { id: 'waiting' }, h('p', {}, t('common.loading')));
  const district = h('select', { id: 'waiting-district', onchange: () => load() });
  const search = h('input', { id: 'waiting-q', type: 'search', maxlength: 100, autocomplete: 'off' });
  let searching;
  search.addEventListener('input', () => {
    clearTimeout(searching);
    searching = setTimeout(load, 300);
  });
  const narrow = h('div', { class: 'inline', id: 'waiting-filter' }, field(t('board.district'), district), field(t('board.search'), search));
  let filled = false;

  /** Who waits at each port (in `state.ports` order), and whether more wait there than listed. */
  async function waitingLists(narrowed) {
    // One request while the whole list fits; per port once it does not, so that a crowded port
    // never hides the others.
    const first = await some('/travellers', narrowed, WAITING_SHOWN);
    if (!first.more) return state.ports.map((p) => ({ items: first.items.filter((x) => x.port_id === p.id), more: false }));
    return Promise.all(state.ports.map((p) => some('/travellers', { ...narrowed, port_id: p.id }, WAITING_SHOWN)));
  }

  let loads = 0;
  async function load() {
    const mine = ++loads;
    if (!filled && state.districts.length) {
      filled = true;
      fill(district, h('option', { value: '' }, t('board.all_districts')), state.districts.map((u) => h('option', { value: u.id }, unitName(u))));
    }
    try {
      const narrowed = { status: 'awaiting_transfer', destination_district_id: district.value || undefined, q: search.value.trim() || undefined };
      const lists = await waitingLists(narrowed);
      // A later load (a new search, say) has the newer answer.
      if (board.stopped || mine !== loads) return;
      state.waiting = lists.flatMap((l) => l.items);
      state.more = state.ports.filter((p, i) => lists[i].more).map((p) => p.id);
      const ids = new Set(state.waiting.map((x) => x.id));
      state.picked = new Set([...state.picked].filter((id) => ids.has(id)));
      draw();
      board.picked();
    } catch (e) {
      failed(e);
    }
  }

  function failed(e) {
    if (!board.stopped && e.status !== 0) fill(el, h('p', { class: 'message error' }, problemText(e)));
  }

  function draw() {
    fill(el, tables());
  }

  function tables() {
    const byPort = state.ports
      .map((p) => [p, state.waiting.filter((x) => x.port_id === p.id)])
      .filter(([, list]) => list.length);
    if (!byPort.length) {
      const narrowed = district.value || search.value.trim();
      return h('p', { class: 'muted' }, t(narrowed ? 'board.none_found' : 'board.none_waiting'));
    }
    return byPort.map(([port, list]) => {
      const more = state.more.includes(port.id);
      const caption = t(more ? 'board.caption_more' : 'board.caption', { code: port.code, name: port.name, n: list.length });
      const pickAll = h('input', {
        type: 'checkbox',
        checked: list.every((x) => state.picked.has(x.id)),
        'aria-label': t('board.pick_all', { port: port.code }),
        dataset: { pickAll: port.code },
        onchange: (e) => {
          for (const x of list) {
            if (e.target.checked) state.picked.add(x.id);
            else state.picked.delete(x.id);
          }
          draw();
          board.picked(true);
        },
      });
      const rows = table(
        caption,
        [pickAll, t('common.name'), t('common.document'), t('board.arrived_at'), t('board.destination')],
        list.map((x) => [
          h('input', {
            type: 'checkbox',
            checked: state.picked.has(x.id),
            'aria-label': t('board.select', { name: x.full_name }),
            dataset: { traveller: x.id, port: x.port_id },
            onchange: (e) => {
              if (e.target.checked) state.picked.add(x.id);
              else state.picked.delete(x.id);
              board.picked(true);
            },
          }),
          x.full_name,
          x.document_no,
          dateTime(x.arrived_at),
          board.unitName(x.destination_community_id),
        ]),
        { class: 'waiting', dataset: { port: port.code } },
      );
      // A table wider than a phone scrolls inside its box.
      const box = h('div', { class: 'scroll' }, rows);
      return more ? [h('p', { class: 'message notice', dataset: { more: port.code } }, t('board.more', { port: port.code, n: list.length })), box] : box;
    });
  }

  return { el: [narrow, el], load, failed };
}

// The board's vehicles: each with its status, and a disinfection to record after a trip.

import { all, api } from './api.js';
import { problemText, t } from './i18n.js';
import { act, badge, fill, h, messageArea, table } from './ui.js';

export function panel(board) {
  const { state } = board;
  const el = h('div', { id: 'vehicles', class: 'scroll' });

  let loads = 0;
  async function load() {
    const mine = ++loads;
    try {
      const vehicles = await all('/vehicles');
      if (board.stopped || mine !== loads) return;
      state.vehicles = vehicles;
      fill(el, vehiclesTable());
      // The form offers the vehicles that fit.
      board.picked?.();
    } catch (e) {
      if (!board.stopped && e.status !== 0) fill(el, h('p', { class: 'message error' }, problemText(e)));
    }
  }

  function vehiclesTable() {
    return table(
      t('board.vehicles'),
      [t('common.vehicle'), t('common.status'), '', t('common.actions')],
      state.vehicles.map((v) => {
        const message = messageArea();
        let action = null;
        if (v.status === 'needs_disinfection') {
          action = h('button', { type: 'button', dataset: { vehicle: v.id } }, t('board.disinfect'));
          action.addEventListener('click', () =>
            act(action, message, async () => {
              await api('POST', `/vehicles/${v.id}/disinfections`, { body: {} });
              await load();
              board.picked();
            }),
          );
        }
        return [
          t('board.seats', { plate: v.plate, seats: v.seats }),
          badge('vehicle', v.status),
          v.out_of_service ? t('board.out_of_service') : '',
          [action, message.el],
        ];
      }),
      {},
      true,
    );
  }

  return { el, load };
}

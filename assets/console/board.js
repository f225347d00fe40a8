// The dispatch board of a city's transfer team: who waits at each port, making a batch (people, a
// vehicle that fits, a crew), boarding with no-shows, departure and arrival, the handoff codes to
// read out, vehicles and their disinfection, manifests, notices and the roster. It follows the
// live feed like the dashboard.

import { all, api, download, some } from './api.js';
import { followSoon } from './live.js';
import { addStrings, dateTime, fieldName, problemText, t, unitName as nameOfUnit, word } from './i18n.js';
import { act, badge, field, fill, h, keepOrDraw, messageArea, section, select, table } from './ui.js';

addStrings({
  en: {
    'board.title': 'Dispatch board',
    'board.waiting': 'Waiting at the ports',
    'board.new_batch': 'New batch',
    'board.pick': 'Pick travellers from the list above, then a vehicle and a crew.',
    'board.picked': 'Travellers picked: {n}',
    'board.port': 'Port of entry',
    'board.vehicle': 'Vehicle',
    'board.no_vehicle': 'Choose later',
    'board.seats': '{plate} · {seats} seats',
    'board.crew': 'Crew',
    'board.fits': 'Only vehicles with a seat for everyone picked and a driver are offered.',
    'board.no_fit': 'No available vehicle has enough seats for this batch and its crew.',
    'board.crew_name': 'Name',
    'board.crew_phone': 'Phone',
    'board.crew_role': 'Role',
    'board.driver': 'Driver',
    'board.escort': 'Escort',
    'board.add_crew': 'Add a crew member',
    'board.create': 'Create batch',
    'board.created': 'Batch {code} created.',
    'board.batches': 'Batches under way',
    'board.no_batches': 'No batch is under way.',
    'board.boarding': 'Boarding: untick who did not show up',
    'board.record_boarding': 'Record boarding',
    'board.depart': 'Depart',
    'board.arrive': 'Arrive',
    'board.cancel': 'Cancel batch',
    'board.cancel_reason': 'Reason for cancelling',
    'board.assign': 'Assign vehicle',
    'board.notices': 'Print notices',
    'board.handoff_codes': 'Handoffs: codes to read out',
    'board.vehicles': 'Vehicles',
    'board.disinfect': 'Record disinfection',
    'board.disinfected': '{plate} disinfected and available.',
    'board.out_of_service': 'out of service',
    'board.import': 'Import a manifest',
    'board.file': 'Manifest file (.xlsx or .csv)',
    'board.upload': 'Import',
    'board.imported': '{n} travellers registered.',
    'board.row_errors': 'Nothing was written. Correct these rows and import the file again ({n} problems):',
    'board.template': 'Template',
    'board.downloaded': 'Downloaded {name}.',
    'board.template_xlsx': 'Excel template',
    'board.template_csv': 'CSV template',
    'board.row': 'Row',
    'board.column': 'Column',
    'board.problem': 'Problem',
    'board.arrived_at': 'Arrived',
    'board.destination': 'Destination',
    'board.select': 'Pick {name}',
    'board.none_waiting': 'Nobody is waiting.',
    'board.none_found': 'Nobody waiting matches.',
    'board.district': 'Destination district',
    'board.all_districts': 'All districts',
    'board.search': 'Name, document or flight',
    'board.pick_all': 'Pick everyone shown at {port}',
    'board.caption': '{code} · {name} ({n})',
    'board.caption_more': '{code} · {name} (first {n}; more waiting)',
    'board.more': 'More people wait at {port} than are shown here: the first {n} by time of registration. Choose a destination district or search to see the others.',
  },
  zh: {
    'board.title': '调度台',
    'board.waiting': '各口岸待转运人员',
    'board.new_batch': '新建转运批次',
    'board.pick': '先在上面的名单中勾选人员，再选择车辆和随车人员。',
    'board.picked': '已选 {n} 人',
    'board.port': '入境口岸',
    'board.vehicle': '车辆',
    'board.no_vehicle': '稍后指定',
    'board.seats': '{plate} · {seats} 座',
    'board.crew': '随车人员',
    'board.fits': '只列出座位足够容纳所选人员和司机的车辆。',
    'board.no_fit': '没有座位足够容纳本批次人员和随车人员的可用车辆。',
    'board.crew_name': '姓名',
    'board.crew_phone': '电话',
    'board.crew_role': '职责',
    'board.driver': '司机',
    'board.escort': '随车工作人员',
    'board.add_crew': '添加随车人员',
    'board.create': '创建批次',
    'board.created': '批次 {code} 已创建。',
    'board.batches': '进行中的批次',
    'board.no_batches': '暂无进行中的批次。',
    'board.boarding': '登车：取消勾选未到人员',
    'board.record_boarding': '登记登车',
    'board.depart': '出发',
    'board.arrive': '到达',
    'board.cancel': '取消批次',
    'board.cancel_reason': '取消原因',
    'board.assign': '指定车辆',
    'board.notices': '打印告知书',
    'board.handoff_codes': '交接：需报出的交接码',
    'board.vehicles': '车辆',
    'board.disinfect': '登记消毒',
    'board.disinfected': '{plate} 已消毒，恢复可用。',
    'board.out_of_service': '停用',
    'board.import': '导入人员名单',
    'board.file': '名单文件（.xlsx 或 .csv）',
    'board.upload': '导入',
    'board.imported': '已登记 {n} 人。',
    'board.row_errors': '未写入任何数据。请修改以下各行后重新导入（共 {n} 处问题）：',
    'board.template': '模板',
    'board.downloaded': '已下载 {name}。',
    'board.template_xlsx': 'Excel 模板',
    'board.template_csv': 'CSV 模板',
    'board.row': '行',
    'board.column': '列',
    'board.problem': '问题',
    'board.arrived_at': '入境时间',
    'board.destination': '目的地',
    'board.select': '选择 {name}',
    'board.none_waiting': '暂无待转运人员。',
    'board.none_found': '没有符合条件的待转运人员。',
    'board.district': '目的地区县',
    'board.all_districts': '全部区县',
    'board.search': '姓名、证件号或航班号',
    'board.pick_all': '勾选 {port} 列出的全部人员',
    'board.caption': '{code} · {name}（{n}）',
    'board.caption_more': '{code} · {name}（前 {n} 人，另有更多人员等待）',
    'board.more': '{port} 等待的人员多于此处列出的人数：此处按登记先后列出前 {n} 人。请选择目的地区县或搜索，查看其他人员。',
  },
});

const OPEN = ['planned', 'boarding', 'in_transit', 'arrived'];

/** The most people listed per port: past it the board says so, and a district or a search narrows the list. */
export const WAITING_SHOWN = 500;

export function mount(main) {
  const state = { ports: [], units: new Map(), districts: [], waiting: [], more: [], vehicles: [], batches: [], picked: new Set() };
  const waitingEl = h('div', { id: 'waiting' }, h('p', {}, t('common.loading')));
  const district = h('select', { id: 'waiting-district', onchange: () => load() });
  const search = h('input', { id: 'waiting-q', type: 'search', maxlength: 100, autocomplete: 'off' });
  let searching;
  search.addEventListener('input', () => {
    clearTimeout(searching);
    searching = setTimeout(load, 300);
  });
  const narrow = h('div', { class: 'inline', id: 'waiting-filter' }, field(t('board.district'), district), field(t('board.search'), search));
  const batchesEl = h('div', { id: 'batches', class: 'cards' });
  const vehiclesEl = h('div', { id: 'vehicles', class: 'scroll' });
  const newBatch = h('div', { id: 'new-batch' });
  let stopped = false;

  const unitName = (id) => state.units.get(id) || '';

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
    try {
      if (!state.ports.length) {
        const [ports, units] = await Promise.all([all('/ports'), all('/units')]);
        state.ports = ports;
        state.units = new Map(units.map((u) => [u.id, nameOfUnit(u)]));
        state.districts = units.filter((u) => u.level === 'district');
        fill(district, h('option', { value: '' }, t('board.all_districts')), state.districts.map((u) => h('option', { value: u.id }, nameOfUnit(u))));
      }
      const narrowed = { status: 'awaiting_transfer', destination_district_id: district.value || undefined, q: search.value.trim() || undefined };
      const [lists, vehicles, ...batches] = await Promise.all([
        waitingLists(narrowed),
        all('/vehicles'),
        ...OPEN.map((status) => all('/batches', { status }, 200)),
      ]);
      // A later load (a new search, say) has the newer answer.
      if (stopped || mine !== loads) return;
      const waiting = lists.flatMap((l) => l.items);
      state.waiting = waiting;
      state.more = state.ports.filter((p, i) => lists[i].more).map((p) => p.id);
      state.vehicles = vehicles;
      state.batches = batches.flat();
      const ids = new Set(waiting.map((x) => x.id));
      state.picked = new Set([...state.picked].filter((id) => ids.has(id)));
      render();
    } catch (e) {
      if (!stopped && e.status !== 0) fill(waitingEl, h('p', { class: 'message error' }, problemText(e)));
    }
  }

  function render() {
    const active = document.activeElement;
    if (active && newBatch.contains(active)) {
      // The dispatcher is filling in the form; only the lists move.
    } else {
      fill(newBatch, batchForm());
    }
    fill(waitingEl, waitingTables());
    // Cards of unchanged batches keep the dispatcher's ticks and reasons.
    if (state.batches.length) keepOrDraw(batchesEl, state.batches, batchShape, batchCard);
    else fill(batchesEl, h('p', { class: 'muted' }, t('board.no_batches')));
    fill(vehiclesEl, vehiclesTable());
  }

  /** What a drawn batch card shows that can change: a new shape draws it anew. */
  const batchShape = (b) => [b.status, b.vehicle?.id, ...(b.handoffs || []).map((x) => x.status)].join('|');

  function waitingTables() {
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
          fill(waitingEl, waitingTables());
          fill(newBatch, batchForm());
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
              fill(newBatch, batchForm());
            },
          }),
          x.full_name,
          x.document_no,
          dateTime(x.arrived_at),
          unitName(x.destination_community_id),
        ]),
        { class: 'waiting', dataset: { port: port.code } },
      );
      return more ? [h('p', { class: 'message notice', dataset: { more: port.code } }, t('board.more', { port: port.code, n: list.length })), rows] : rows;
    });
  }

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
        await load();
        fill(newBatch, batchForm());
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
        await load();
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
        const boxes = b.travellers.map((x) => h('li', {}, h('label', {}, h('input', { type: 'checkbox', checked: true, value: x.id }), ' ', x.full_name)));
        const list = h('ul', { class: 'ticks' }, boxes);
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
            b.handoffs.map((x) =>
              h('li', { dataset: { handoff: x.id } }, `${nameOfUnit(x.to_unit) || unitName(x.to_unit_id)} · `, badge('handoff', x.status), ' ', x.status === 'pending' ? h('strong', { class: 'handoff-code' }, x.code || '') : null),
            ),
          ),
        )
      : null;
    return h(
      'article',
      { class: 'card batch', dataset: { batch: b.id, code: b.code, status: b.status } },
      h('h3', {}, b.code, ' ', badge('batch', b.status)),
      h('p', { class: 'meta' }, `${b.travellers.length} · ${b.vehicle?.plate || t('board.no_vehicle')} · ${dateTime(b.created_at)}`),
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

  function importForm() {
    const message = messageArea();
    const errors = h('div', { id: 'import-errors' });
    const file = h('input', { type: 'file', accept: '.xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', required: true, id: 'manifest-file' });
    const submit = h('button', { type: 'submit', class: 'primary' }, t('board.upload'));
    const form = h('form', { class: 'inline' }, field(t('board.file'), file), submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      fill(errors);
      const chosen = file.files[0];
      if (!chosen) return;
      const xlsx = /\.xlsx$/i.test(chosen.name);
      const type = xlsx ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
      submit.disabled = true;
      message.clear();
      try {
        const done = await api('POST', '/travellers/import', { body: chosen, contentType: type });
        message.ok(t('board.imported', { n: done.created }));
        file.value = '';
        load();
      } catch (err) {
        if (err.status === 422 && err.errors.length && err.errors[0].row !== undefined) {
          message.error(t('board.row_errors', { n: err.body.error_count ?? err.errors.length }));
          fill(
            errors,
            table(
              t('board.import'),
              [t('board.row'), t('board.column'), t('board.problem')],
              err.errors.map((x) => [String(x.row ?? ''), fieldName(x.field), x.message]),
              { class: 'errors' },
            ),
          );
        } else {
          message.error(err);
        }
      } finally {
        submit.disabled = false;
      }
    });
    const template = (format, lang, label) => {
      const b = h('button', { type: 'button', class: 'link', dataset: { template: `${format}-${lang}` } }, label);
      b.addEventListener('click', () =>
        act(b, message, async () => {
          const name = await download('/travellers/import/template', { format, lang }, `manifest-template.${format}`);
          message.ok(t('board.downloaded', { name }));
        }),
      );
      return b;
    };
    return section(
      t('board.import'),
      form,
      h('p', {}, `${t('board.template')}: `, template('xlsx', 'zh', `${t('board.template_xlsx')} (中文)`), ' · ', template('xlsx', 'en', `${t('board.template_xlsx')} (English)`), ' · ', template('csv', 'zh', t('board.template_csv'))),
      message.el,
      errors,
    );
  }

  const unfollow = followSoon((event) => /^(traveller|batch|vehicle|handoff)\./.test(event.action), load, 300);
  const poll = setInterval(load, 15000);
  load();

  main.replaceChildren(
    h('h1', {}, t('board.title')),
    section(t('board.waiting'), narrow, waitingEl),
    section(t('board.new_batch'), newBatch),
    section(t('board.batches'), batchesEl),
    h('div', { class: 'columns' }, section(t('board.vehicles'), vehiclesEl), importForm()),
  );
  return () => {
    stopped = true;
    clearInterval(poll);
    unfollow();
  };
}

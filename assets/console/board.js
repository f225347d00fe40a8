// The dispatch board of a city's transfer team: who waits at each port, making a batch (people, a
// vehicle that fits, a crew), boarding with no-shows, departure and arrival, the handoff codes to
// read out, vehicles and their disinfection, manifests and their template.
//
// A panel a file: `board-waiting.js` (who waits, narrowed by district or a search),
// `board-batches.js` (the new-batch form and a card per open batch), `board-vehicles.js` and
// `board-import.js`. Each panel follows the live feed for the events that concern it and reloads
// only itself; they share the ports, the units and what each read last.

import { all } from './api.js';
import { followSoon } from './live.js';
import { addStrings, t, unitName } from './i18n.js';
import { fill, h, section } from './ui.js';
import * as waiting from './board-waiting.js';
import * as batches from './board-batches.js';
import * as vehicles from './board-vehicles.js';
import { importForm } from './board-import.js';
import { walkInForm } from './board-walkin.js';

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
    'board.imported.one': '1 traveller registered.',
    'board.ignored': 'Columns not used, and left out: {columns}.',
    'board.rows_count': '{n} rows',
    'board.people_n': '{n} people',
    'board.people_n.one': '1 person',
    'board.mark.pending': 'pending',
    'board.mark.overdue': 'overdue',
    'board.mark.locked': 'locked',
    'board.mark.rejected': 'rejected',
    'board.mark.confirmed': 'confirmed',
    'board.mark.cancelled': 'cancelled',
    'board.missing_n': '{n} missing',
    'board.call': 'call {hotline}',
    'board.resolve': 'Resolve',
    'board.outcome.boarded': 'boarded',
    'board.outcome.no_show': 'no-show',
    'board.outcome.missing': 'missing',
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
    'board.ignored': '以下列未使用，已忽略：{columns}。',
    'board.rows_count': '共 {n} 行',
    'board.people_n': '{n} 人',
    'board.mark.pending': '待确认',
    'board.mark.overdue': '已超时',
    'board.mark.locked': '已锁定',
    'board.mark.rejected': '被拒收',
    'board.mark.confirmed': '已确认',
    'board.mark.cancelled': '已撤销',
    'board.missing_n': '{n} 人未到',
    'board.call': '电话 {hotline}',
    'board.resolve': '去处理',
    'board.outcome.boarded': '已登车',
    'board.outcome.no_show': '未登车',
    'board.outcome.missing': '未到',
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

/** The panels an event of the log concerns. */
const CONCERNS = [
  // A registration adds someone waiting; a batch takes people from the waiting lists, and back.
  [/^traveller\./, ['waiting']],
  [/^batch\./, ['waiting', 'batches']],
  // The form and the cards offer the vehicles that fit.
  [/^vehicle\./, ['vehicles', 'batches']],
  [/^handoff\./, ['batches']],
];

export function mount(main) {
  const board = {
    state: { ports: [], units: new Map(), districts: [], communities: [], waiting: [], more: [], vehicles: [], batches: [], picked: new Set() },
    stopped: false,
    /** A unit's name by id, in the console's language. */
    unitName: (id) => board.state.units.get(id) || '',
    /** Draws the new-batch form again (set by the batches panel). */
    picked: () => {},
    /** Reloads the named panels now, after the dispatcher's own action. */
    reload: (...names) => Promise.all(names.map((name) => panels[name].load())),
  };
  const panels = {
    batches: batches.panel(board),
    vehicles: vehicles.panel(board),
    waiting: waiting.panel(board),
  };
  const unfollow = Object.keys(panels).map((name) => {
    const concerns = (event) => CONCERNS.some(([pattern, names]) => pattern.test(event.action) && names.includes(name));
    return followSoon(concerns, panels[name].load, 300);
  });
  // The ports and the units first: every panel names them.
  Promise.all([all('/ports'), all('/units')])
    .then(([ports, units]) => {
      if (board.stopped) return null;
      board.state.ports = ports;
      board.state.units = new Map(units.map((u) => [u.id, unitName(u)]));
      board.state.districts = units.filter((u) => u.level === 'district');
      board.state.communities = units.filter((u) => u.level === 'community');
      walkIn.draw();
      board.picked(true);
      return Promise.all([panels.vehicles.load(), panels.batches.load(), panels.waiting.load()]);
    })
    .then(() => {
      // Come from a loose end (#/board?port=PVG): that port's people, in view.
      const port = new URLSearchParams(location.hash.split('?')[1] || '').get('port');
      const rows = port && [...main.querySelectorAll('[data-port]')].find((el) => el.dataset.port === port);
      if (!rows) return;
      rows.classList.add('highlight');
      rows.scrollIntoView({ block: 'center' });
    })
    .catch((e) => panels.waiting.failed(e));

  const walkIn = walkInForm(board);
  fill(main,
    h('h1', {}, t('board.title')),
    section(t('board.waiting'), ...panels.waiting.el),
    section(t('board.new_batch'), panels.batches.newBatch),
    section(t('board.batches'), panels.batches.el),
    h('div', { class: 'columns' }, section(t('board.vehicles'), panels.vehicles.el), importForm(board)),
    walkIn.el,
  );
  return () => {
    board.stopped = true;
    unfollow.forEach((stop) => stop());
  };
}

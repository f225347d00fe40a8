// Chinese and English. The language follows the browser until the user picks one. Each screen
// adds its own strings with addStrings; the words the API uses (statuses, roles, error codes)
// are translated here once.

const LANG_KEY = 'inbound-transfer.lang';
export const LANGUAGES = [
  ['zh', '中文'],
  ['en', 'English'],
];

const strings = { zh: {}, en: {} };
const listeners = new Set();

function browserLanguage() {
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base === 'zh' || base === 'en') return base;
  }
  return 'en';
}

let lang = localStorage.getItem(LANG_KEY) || browserLanguage();
if (!strings[lang]) lang = 'en';

export function language() {
  return lang;
}

export function setLanguage(next) {
  if (!strings[next] || next === lang) return;
  lang = next;
  localStorage.setItem(LANG_KEY, next);
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  listeners.forEach((fn) => fn(next));
}

export function onLanguage(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function addStrings(more) {
  for (const l of Object.keys(strings)) Object.assign(strings[l], more[l] || {});
}

/** The text of `key` in the current language, with `{name}` filled from `params`; where the
 * number `n` is 1 and the language has a `key.one`, that one ("1 person", not "1 people"). */
export function t(key, params = {}) {
  const one = params.n === 1 ? strings[lang][`${key}.one`] : undefined;
  const text = one ?? strings[lang][key] ?? strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? `{${name}}`).toString());
}

/** A word of the API (a status, a role, a kind), translated; unknown words are shown as they are. */
export function word(group, value) {
  if (value === null || value === undefined) return '';
  const key = `${group}.${value}`;
  return strings[lang][key] ?? strings.en[key] ?? String(value);
}

export function dateTime(value) {
  if (!value) return '';
  const d = new Date(value);
  return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function time(value) {
  if (!value) return '';
  return new Date(value).toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function number(n) {
  return (n ?? 0).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB');
}

/** A unit's name in the console's language: Chinese reads `name`, English `name_en` where set. */
export function unitName(unit) {
  if (!unit) return '';
  return lang === 'zh' ? unit.name || '' : unit.name_en || unit.name || '';
}

/** The label of a field of the API (`document_no`, `crew[0].name`), as the forms call it. */
export function fieldName(field) {
  if (!field) return '';
  const base = String(field).replace(/\[\d+\]/g, '');
  const key = `field.${base}`;
  return strings[lang][key] ?? strings.en[key] ?? String(field);
}

/**
 * What to tell the user about a failed request. The service writes its problems in the language
 * each request asks for (Accept-Language), so its detail is shown as it is; the code's general
 * sentence stands in where there is none (no network, an answer that is not a problem).
 */
export function problemText(problem) {
  const key = `error.${problem.code}`;
  const known = strings[lang][key] ?? strings.en[key];
  if (problem.code === 'network') return known;
  return problem.detail || problem.message || known || t('error.error');
}

document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';

addStrings({
  en: {
    'app.title': 'Inbound transfer',
    'app.subtitle': 'Closed loop from the port of entry to the community',
    'nav.dashboard': 'Dashboard',
    'nav.desk': 'Handoff desk',
    'nav.loose-ends': 'Loose ends',
    'nav.board': 'Dispatch board',
    'nav.trace': 'Trace',
    'nav.wall': 'Wall',
    'queue.count': '{n} waiting to send',
    'queue.confirm': 'Confirmation',
    'queue.reject': 'Rejection',
    'queue.refused': 'refused',
    'queue.unsent': '{n} action(s) on this phone not sent yet',
    'queue.send_and_leave': 'Send now, then sign out',
    'queue.discard_and_leave': 'Discard them and sign out',
    'queue.stay': 'Stay signed in',
    'queue.refused_left': 'The service refused some of them: read them on the desk, then dismiss or discard them.',
    'queue.still_offline': 'Could not reach the service: they are still here. Try again where there is a network, or discard them.',
    'update.ready': 'A new version of the console is ready.',
    'update.reload': 'Reload now',
    'nav.admin': 'Administration',
    'nav.account': 'Password',
    'nav.signout': 'Sign out',
    'nav.language': 'Language',
    'nav.main': 'Main',
    'banner.offline': 'The service cannot be reached. Showing the last figures; retrying…',
    'common.save': 'Save',
    'common.cancel': 'Cancel',
    'common.close': 'Close',
    'common.loading': 'Loading…',
    'common.none': 'Nothing here.',
    'common.refresh': 'Refresh',
    'common.as_of': 'As of {time}',
    'common.travellers': 'Travellers',
    'common.name': 'Name',
    'common.document': 'Document',
    'common.status': 'Status',
    'common.unit': 'Unit',
    'common.actions': 'Actions',
    'common.created': 'Created',
    'common.due': 'Due',
    'common.code': 'Code',
    'common.port': 'Port',
    'common.vehicle': 'Vehicle',
    'common.done': 'Done.',
    'common.yes': 'Yes',
    'common.no': 'No',
    'role.admin': 'Administrator',
    'role.dispatcher': 'Dispatcher',
    'role.district_officer': 'District officer',
    'role.community_officer': 'Community officer',
    'role.viewer': 'Viewer',
    'traveller.awaiting_transfer': 'Awaiting transfer',
    'traveller.assigned': 'Assigned',
    'traveller.boarded': 'Boarded',
    'traveller.in_transit': 'On the road',
    'traveller.arrived': 'At the city',
    'traveller.at_district': 'At district',
    'traveller.received': 'Received',
    'traveller.exception': 'Exception',
    'batch.planned': 'Planned',
    'batch.boarding': 'Boarding',
    'batch.in_transit': 'On the road',
    'batch.arrived': 'Arrived',
    'batch.closed': 'Closed',
    'batch.cancelled': 'Cancelled',
    'handoff.pending': 'Pending',
    'handoff.confirmed': 'Confirmed',
    'handoff.rejected': 'Rejected',
    'handoff.cancelled': 'Cancelled',
    'vehicle.available': 'Available',
    'vehicle.assigned': 'Assigned',
    'vehicle.in_transit': 'On the road',
    'vehicle.needs_disinfection': 'Needs disinfection',
    'level.city': 'City',
    'level.district': 'District',
    'level.community': 'Community',
    'error.network': 'The service cannot be reached. Check the connection and try again.',
    'error.unauthorized': 'Your session has ended. Please sign in again.',
    'error.forbidden': 'Your role may not do this.',
    'error.not_found': 'Not found, or not in your jurisdiction.',
    'error.conflict': 'This clashes with something that already exists.',
    'error.invalid_state': 'This is no longer possible: someone changed it first. Refresh and look again.',
    'error.capacity_exceeded': 'The vehicle has too few seats for these travellers and crew.',
    'error.vehicle_unavailable': 'The vehicle is not available.',
    'error.invalid_handoff_code': 'Wrong handoff code.',
    'error.validation_failed': 'Some values need correcting.',
    'error.rate_limited': 'Too many attempts. Wait a moment and try again.',
    'error.unavailable': 'The service is unavailable for a moment. Try again shortly.',
    'error.wrong_password': 'The current password is wrong.',
    'error.payload_too_large': 'The file is too large.',
    'error.unsupported_media_type': 'This kind of file is not accepted.',
    'error.internal': 'Something went wrong in the service. Try again; if it keeps happening, tell your administrator.',
    'error.idempotency_key_reused': 'This action was already sent with other values. Reload the screen and try again.',
    'error.method_not_allowed': 'The service does not offer this action here.',
    'error.error': 'The service answered with an error.',
    'entity.traveller': 'traveller',
    'entity.batch': 'batch',
    'entity.handoff': 'handoff',
    'entity.vehicle': 'vehicle',
    'entity.user': 'user',
    'entity.unit': 'unit',
    'entity.port': 'port',
    'entity.report': 'report',
  },
  zh: {
    'app.title': '入境人员闭环转运',
    'app.subtitle': '从入境口岸到社区，全程闭环',
    'nav.dashboard': '态势总览',
    'nav.desk': '交接台',
    'nav.loose-ends': '未闭环事项',
    'nav.board': '调度台',
    'nav.trace': '追溯',
    'nav.wall': '大屏',
    'queue.count': '{n} 项待发送',
    'queue.confirm': '确认接收',
    'queue.reject': '拒收',
    'queue.refused': '未被接受',
    'queue.unsent': '本机还有 {n} 项操作未发送',
    'queue.send_and_leave': '立即发送后退出',
    'queue.discard_and_leave': '放弃这些操作并退出',
    'queue.stay': '暂不退出',
    'queue.refused_left': '有操作未被服务接受：请在交接台查看后关闭或放弃。',
    'queue.still_offline': '无法连上服务，操作仍保存在本机。请到有网络的地方重试，或放弃这些操作。',
    'update.ready': '控制台有新版本。',
    'update.reload': '立即刷新',
    'nav.admin': '系统管理',
    'nav.account': '修改密码',
    'nav.signout': '退出登录',
    'nav.language': '语言',
    'nav.main': '主菜单',
    'banner.offline': '无法连接服务。显示的是最近一次的数据，正在重试……',
    'common.save': '保存',
    'common.cancel': '取消',
    'common.close': '关闭',
    'common.loading': '加载中……',
    'common.none': '暂无数据。',
    'common.refresh': '刷新',
    'common.as_of': '数据截至 {time}',
    'common.travellers': '人员',
    'common.name': '姓名',
    'common.document': '证件',
    'common.status': '状态',
    'common.unit': '单位',
    'common.actions': '操作',
    'common.created': '创建时间',
    'common.due': '时限',
    'common.code': '编号',
    'common.port': '口岸',
    'common.vehicle': '车辆',
    'common.done': '已完成。',
    'common.yes': '是',
    'common.no': '否',
    'role.admin': '系统管理员',
    'role.dispatcher': '转运调度员',
    'role.district_officer': '区级工作人员',
    'role.community_officer': '社区工作人员',
    'role.viewer': '只读查看',
    'traveller.awaiting_transfer': '待转运',
    'traveller.assigned': '已编组',
    'traveller.boarded': '已登车',
    'traveller.in_transit': '转运途中',
    'traveller.arrived': '已到市',
    'traveller.at_district': '已到区',
    'traveller.received': '社区已接收',
    'traveller.exception': '异常',
    'batch.planned': '计划中',
    'batch.boarding': '登车中',
    'batch.in_transit': '途中',
    'batch.arrived': '已到达',
    'batch.closed': '已闭环',
    'batch.cancelled': '已取消',
    'handoff.pending': '待确认',
    'handoff.confirmed': '已确认',
    'handoff.rejected': '已拒收',
    'handoff.cancelled': '已撤销',
    'vehicle.available': '可用',
    'vehicle.assigned': '已派',
    'vehicle.in_transit': '途中',
    'vehicle.needs_disinfection': '待消毒',
    'level.city': '市',
    'level.district': '区',
    'level.community': '社区',
    'error.network': '无法连接服务，请检查网络后重试。',
    'error.unauthorized': '登录已失效，请重新登录。',
    'error.forbidden': '您的角色无权进行此操作。',
    'error.not_found': '未找到，或不在您的管辖范围内。',
    'error.conflict': '与已有记录冲突。',
    'error.invalid_state': '当前状态下无法操作：已被他人先行处理，请刷新后查看。',
    'error.capacity_exceeded': '车辆座位不足以容纳这些人员和随车人员。',
    'error.vehicle_unavailable': '车辆不可用。',
    'error.invalid_handoff_code': '交接码错误。',
    'error.validation_failed': '有些内容需要修改。',
    'error.rate_limited': '尝试次数过多，请稍后再试。',
    'error.unavailable': '服务暂时不可用，请稍后再试。',
    'error.wrong_password': '当前密码不正确。',
    'error.payload_too_large': '文件过大。',
    'error.unsupported_media_type': '不支持这种文件。',
    'error.internal': '服务内部出错，请重试；如果反复出现，请告知系统管理员。',
    'error.idempotency_key_reused': '此操作已用其他内容提交过，请刷新页面后重试。',
    'error.method_not_allowed': '服务在此处不提供这一操作。',
    'error.error': '服务返回了错误。',
    'entity.traveller': '人员',
    'entity.batch': '批次',
    'entity.handoff': '交接',
    'entity.vehicle': '车辆',
    'entity.user': '用户',
    'entity.unit': '单位',
    'entity.port': '口岸',
    'entity.report': '报表',
  },
});

addStrings({
  en: {
    'action.traveller.registered': 'Traveller registered',
    'action.traveller.assigned': 'Traveller put in a batch',
    'action.traveller.boarded': 'Traveller boarded',
    'action.traveller.departed': 'Traveller departed',
    'action.traveller.arrived': 'Traveller arrived at the city',
    'action.traveller.handed': 'Traveller handed on',
    'action.traveller.received': 'Traveller received',
    'action.traveller.reported_missing': 'Traveller reported missing',
    'action.traveller.exception': 'Exception recorded',
    'action.traveller.returned_to_waiting': 'Traveller waiting again',
    'action.traveller.handoff_rejected': 'Traveller returned by a rejection',
    'action.traveller.handoff_cancelled': 'Traveller kept: handoff cancelled',
    'action.traveller.handoff_reissued': 'Traveller handed with a new code',
    'action.traveller.missing_again': 'Traveller missing again',
    'action.batch.created': 'Batch created',
    'action.batch.travellers_changed': 'Batch travellers changed',
    'action.batch.vehicle_assigned': 'Vehicle assigned to batch',
    'action.batch.boarding_recorded': 'Boarding recorded',
    'action.batch.departed': 'Batch departed',
    'action.batch.arrived': 'Batch arrived',
    'action.batch.cancelled': 'Batch cancelled',
    'action.batch.closed': 'Batch closed',
    'action.handoff.created': 'Handoff offered',
    'action.handoff.confirmed': 'Handoff confirmed',
    'action.handoff.rejected': 'Handoff rejected',
    'action.handoff.cancelled': 'Handoff cancelled',
    'action.handoff.wrong_code': 'Wrong handoff code',
    'action.handoff.locked': 'Handoff locked',
    'action.handoff.reissued': 'Handoff reissued with a new code',
    'action.vehicle.registered': 'Vehicle registered',
    'action.vehicle.updated': 'Vehicle changed',
    'action.vehicle.assigned': 'Vehicle assigned',
    'action.vehicle.departed': 'Vehicle departed',
    'action.vehicle.arrived': 'Vehicle arrived',
    'action.vehicle.disinfected': 'Vehicle disinfected',
    'action.vehicle.released': 'Vehicle released',
    'action.report.exported': 'Roster downloaded',
    'action.auth.login': 'Signed in',
    'action.auth.logout': 'Signed out',
    'action.user.created': 'User created',
    'action.user.updated': 'User changed',
    'action.user.password_changed': 'Password changed',
    'action.unit.created': 'Unit created',
    'action.unit.updated': 'Unit changed',
    'action.port.created': 'Port created',
    'action.traveller.removed_from_batch': 'Traveller taken out of a batch',
    'action.auth.refresh_token_reused': 'A used sign-in token was presented again: sessions ended',
    'action.privacy.personal_data_erased': 'Personal data erased',
    'action.user.deactivated': 'User deactivated',
  },
  zh: {
    'action.traveller.registered': '人员登记',
    'action.traveller.assigned': '人员编入批次',
    'action.traveller.boarded': '人员登车',
    'action.traveller.departed': '人员出发',
    'action.traveller.arrived': '人员到达本市',
    'action.traveller.handed': '人员移交',
    'action.traveller.received': '人员被接收',
    'action.traveller.reported_missing': '人员未到',
    'action.traveller.exception': '登记异常',
    'action.traveller.returned_to_waiting': '人员退回待转运',
    'action.traveller.handoff_rejected': '人员被拒收退回',
    'action.traveller.handoff_cancelled': '交接撤销，人员留在本单位',
    'action.traveller.handoff_reissued': '人员以新交接码移交',
    'action.traveller.missing_again': '人员重新列为未到',
    'action.batch.created': '批次创建',
    'action.batch.travellers_changed': '批次人员调整',
    'action.batch.vehicle_assigned': '批次派车',
    'action.batch.boarding_recorded': '登车登记',
    'action.batch.departed': '批次出发',
    'action.batch.arrived': '批次到达',
    'action.batch.cancelled': '批次取消',
    'action.batch.closed': '批次闭环',
    'action.handoff.created': '发起交接',
    'action.handoff.confirmed': '交接确认',
    'action.handoff.rejected': '交接拒收',
    'action.handoff.cancelled': '交接撤销',
    'action.handoff.wrong_code': '交接码错误',
    'action.handoff.locked': '交接已锁定',
    'action.handoff.reissued': '交接已换码重发',
    'action.vehicle.registered': '车辆登记',
    'action.vehicle.updated': '车辆信息变更',
    'action.vehicle.assigned': '车辆派出',
    'action.vehicle.departed': '车辆出发',
    'action.vehicle.arrived': '车辆到达',
    'action.vehicle.disinfected': '车辆已消毒',
    'action.vehicle.released': '车辆释放',
    'action.report.exported': '台账下载',
    'action.auth.login': '登录',
    'action.auth.logout': '退出',
    'action.user.created': '创建用户',
    'action.user.updated': '用户变更',
    'action.user.password_changed': '密码修改',
    'action.unit.created': '创建单位',
    'action.unit.updated': '单位变更',
    'action.port.created': '创建口岸',
    'action.traveller.removed_from_batch': '人员移出批次',
    'action.auth.refresh_token_reused': '重复使用的登录凭据：已结束所有登录',
    'action.privacy.personal_data_erased': '个人信息已删除',
    'action.user.deactivated': '用户已停用',
  },
});

addStrings({
  en: {
    'common.row': 'Row',
    'field.full_name': 'Name',
    'field.document_type': 'Document type',
    'field.document_no': 'Document number',
    'field.nationality': 'Nationality',
    'field.phone': 'Phone',
    'field.flight_no': 'Flight',
    'field.port_id': 'Port of entry',
    'field.port_code': 'Port of entry',
    'field.arrived_at': 'Arrival time',
    'field.destination_community_id': 'Destination community',
    'field.destination_community_code': 'Destination community',
    'field.address': 'Address',
    'field.language': 'Language',
    'field.notes': 'Notes',
    'field.code': 'Handoff code',
    'field.received_traveller_ids': 'People received',
    'field.reason': 'Reason',
    'field.note': 'Note',
    'field.traveller_ids': 'Travellers',
    'field.vehicle_id': 'Vehicle',
    'field.crew': 'Crew',
    'field.crew.name': 'Crew name',
    'field.crew.phone': 'Crew phone',
    'field.boarded': 'Boarded',
    'field.no_show': 'No-shows',
    'field.username': 'Username',
    'field.password': 'Password',
    'field.new_password': 'New password',
    'field.current_password': 'Current password',
    'field.display_name': 'Display name',
    'field.role': 'Role',
    'field.unit_id': 'Unit',
    'field.name': 'Name',
    'field.hotline': 'Hotline',
    'field.seats': 'Seats',
    'field.plate': 'Plate',
    'field.kind': 'Kind',
    'field.level': 'Level',
    'field.parent_id': 'Parent unit',
    'field.city_name': 'City',
    'field.row': 'Row',
    'field.body': 'File',
    'field.from': 'From',
    'field.to': 'To',
  },
  zh: {
    'common.row': '行',
    'field.full_name': '姓名',
    'field.document_type': '证件类型',
    'field.document_no': '证件号码',
    'field.nationality': '国籍',
    'field.phone': '电话',
    'field.flight_no': '航班号',
    'field.port_id': '入境口岸',
    'field.port_code': '入境口岸',
    'field.arrived_at': '入境时间',
    'field.destination_community_id': '目的地社区',
    'field.destination_community_code': '目的地社区',
    'field.address': '地址',
    'field.language': '语言',
    'field.notes': '备注',
    'field.code': '交接码',
    'field.received_traveller_ids': '接收人员',
    'field.reason': '原因',
    'field.note': '备注',
    'field.traveller_ids': '人员',
    'field.vehicle_id': '车辆',
    'field.crew': '随车人员',
    'field.crew.name': '随车人员姓名',
    'field.crew.phone': '随车人员电话',
    'field.boarded': '已登车',
    'field.no_show': '未到',
    'field.username': '用户名',
    'field.password': '密码',
    'field.new_password': '新密码',
    'field.current_password': '当前密码',
    'field.display_name': '显示名称',
    'field.role': '角色',
    'field.unit_id': '单位',
    'field.name': '名称',
    'field.hotline': '热线',
    'field.seats': '座位数',
    'field.plate': '车牌',
    'field.kind': '类型',
    'field.level': '级别',
    'field.parent_id': '上级单位',
    'field.city_name': '所在城市',
    'field.row': '行',
    'field.body': '文件',
    'field.from': '起始日期',
    'field.to': '截止日期',
  },
});

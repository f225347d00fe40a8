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

/** The text of `key` in the current language, with `{name}` filled from `params`. */
export function t(key, params = {}) {
  const text = strings[lang][key] ?? strings.en[key] ?? key;
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

/** The label of a field of the API (`document_no`, `crew[0].name`), as the forms call it. */
export function fieldName(field) {
  if (!field) return '';
  const base = String(field).replace(/\[\d+\]/g, '');
  const key = `field.${base}`;
  return strings[lang][key] ?? strings.en[key] ?? String(field);
}

// The service words its problems in English. For Chinese, the console translates every one a
// person can meet in its screens (a traveller's fields, a manifest's rows, columns and files,
// batches, vehicles, custody and handoffs, administration); a message not listed here is shown as
// the service wrote it. A translation of '' leaves the problem's code to say it.
const SERVER_ZH = [
  [/^must not be empty$/, '不能为空'],
  [/^is required$/, '必填'],
  [/^must be at most (\d+) characters$/, '最多 $1 个字符'],
  [/^must not contain control characters$/, '不能包含控制字符'],
  [/^must not contain control characters other than tabs and line breaks$/, '除制表符和换行外不能包含控制字符'],
  [/^must be one of passport, id_card, travel_permit, other$/, '必须是 passport（护照）、id_card（身份证）、travel_permit（通行证）或 other（其他）'],
  [/^must be an ISO 3166-1 alpha-3 code, e\.g\. CHN$/, '必须是 ISO 3166-1 三位字母国家代码，例如 CHN'],
  [/^must be 5 to 32 digits, with an optional leading \+, spaces or dashes$/, '必须是 5 到 32 位数字，可用 + 开头，可含空格或连字符'],
  [/^must be 2 to 10 letters and digits, e\.g\. MU5001$/, '必须是 2 到 10 位字母和数字，例如 MU5001'],
  [/^must not be in the future$/, '不能晚于当前时间'],
  [/^must be a date and time, e\.g\. .*$/, '必须是日期和时间，例如 2020-03-07T09:30:00Z，或本地时间 2020-03-07 17:30'],
  [/^must be one of zh, en, ja, ko$/, '必须是 zh、en、ja 或 ko'],
  [/^no port of entry with code (.*)$/, '没有编码为 $1 的入境口岸'],
  [/^no such port of entry$/, '没有这个入境口岸'],
  [/^no community with code (.*) in your jurisdiction$/, '您的辖区内没有编码为 $1 的社区'],
  [/^appears twice in this manifest$/, '在本名单中出现了两次'],
  [/^already has an open transfer$/, '已有尚未闭环的转运'],
  [/^this column appears twice$/, '此列出现了两次'],
  [/^unknown column$/, '无法识别的列'],
  [/^required column is missing$/, '缺少必需的列'],
  [/^the date cannot be read$/, '无法识别日期'],
  [/^the manifest has no header row$/, '名单没有表头行'],
  [/^the manifest has no rows$/, '名单中没有数据行'],
  [/^the workbook has no sheet$/, '工作簿中没有工作表'],
  [/^(\d+) problems in the manifest; nothing was imported$/, '名单中有 $1 处问题，未导入任何数据'],
  [/^this is an Excel 97-2003 \(\.xls\) file.*$/, '这是 Excel 97-2003（.xls）文件，无法读取；请另存为 .xlsx 或 CSV'],
  [/^this is not an XLSX workbook.*$/, '这不是 XLSX 工作簿；CSV 文件请按 CSV 上传'],
  [/^wrong handoff code; (\d+) attempts? left before the handoff locks$/, '交接码错误，锁定前还可尝试 $1 次'],
  [/^must name at least one traveller$/, '至少要有一名人员'],
  [/^at most (\d+) travellers$/, '最多 $1 人'],
  [/^at most (\d+) members$/, '最多 $1 人'],
  [/^your role may not do this$/, '您的角色无权进行此操作'],
  // Batches and vehicles.
  [/^assign a vehicle before boarding$/, '登车前请先指定车辆'],
  [/^the batch has no vehicle$/, '该批次尚未指定车辆'],
  [/^the batch has no driver in its crew$/, '该批次的随车人员中没有司机'],
  [/^vehicle (.+) has (\d+) seats; (\d+) travellers and (\d+) crew need (\d+)$/, '车辆 $1 有 $2 个座位，$3 名人员和 $4 名随车人员共需 $5 个座位'],
  [/^vehicle (.+) is (\w+)$/, (m, plate, status) => `车辆 ${plate} 当前状态为“${word('vehicle', status)}”`],
  [/^no such vehicle of this batch's city$/, '本批次所属城市没有这辆车'],
  [/^a vehicle that is (\w+) cannot change seats or service until its trip ends$/, (m, status) => `车辆处于“${word('vehicle', status)}”状态，行程结束前不能修改座位数或停用状态`],
  [/^a vehicle with plate (.+) is already registered$/, '车牌号 $1 已登记'],
  [/^must be a city in your jurisdiction$/, '必须是您辖区内的城市'],
  [/^travellers of one batch must be bound for one city$/, '同一批次的人员必须前往同一城市'],
  [/^name travellers to add or remove$/, '请列出要加入或移出的人员'],
  [/^must be 5 to 32 digits, spaces or dashes$/, '必须是 5 到 32 位数字，可含空格或连字符'],
  [/^traveller (\S+) is already in an open batch$/, '人员 $1 已在另一个进行中的批次中'],
  [/^traveller (\S+) arrived at another port$/, '人员 $1 从其他口岸入境'],
  [/^traveller (\S+) is bound for another city$/, '人员 $1 前往其他城市'],
  [/^traveller (\S+) is (\w+), not awaiting transfer$/, (m, id, status) => `人员 ${id} 当前状态为“${word('traveller', status)}”，不是待转运`],
  [/^traveller (\S+) is (\w+), not (\w+)$/, (m, id, status, ready) => `人员 ${id} 当前状态为“${word('traveller', status)}”，不是“${word('traveller', ready)}”`],
  [/^traveller (\S+) is not in this batch$/, '人员 $1 不在本批次中'],
  [/^traveller (\S+) is listed twice$/, '人员 $1 被列出了两次'],
  [/^traveller (\S+) is in both lists$/, '人员 $1 同时出现在两个名单中'],
  [/^traveller (\S+) is in neither list$/, '人员 $1 不在任何一个名单中'],
  [/^traveller (\S+) is both added and removed$/, '人员 $1 既被加入又被移出'],
  [/^traveller (\S+) already left the loop with an exception$/, '人员 $1 已因异常情况离开闭环'],
  [/^no traveller (\S+)$/, '没有人员 $1'],
  // Custody and handoffs.
  [/^traveller (\S+) is already offered in a pending handoff$/, '人员 $1 已在一项待确认的交接中'],
  [/^the traveller is not in your unit's custody$/, '该人员不在本单位管控之下'],
  [/^these travellers are not in your unit's custody$/, '这些人员不在本单位管控之下'],
  [/^the traveller is offered in a pending handoff; the receiver confirms or rejects it first$/, '该人员正在一项待确认的交接中，须先由接收方确认或拒收'],
  [/^all travellers of one handoff must be held by the same unit$/, '同一交接中的人员必须由同一单位管控'],
  [/^must be a unit directly below the unit holding the travellers$/, '必须是管控这些人员的单位的直属下级单位'],
  [/^only an officer of the receiving unit may confirm or reject a handoff$/, '只有接收单位的工作人员可以确认或拒收交接'],
  [/^only the sending unit may cancel a handoff$/, '只有移交单位可以撤销交接'],
  [/^wrong handoff code; the handoff is now locked and the sender must cancel and hand again$/, '交接码错误，交接已锁定，须由移交方撤销后重新交接'],
  [/^the (\w+) was changed by another request; retry$/, '数据已被其他操作修改，请重试'],
  [/^a concurrent change touched the same data; retry$/, '数据正被其他操作修改，请重试'],
  [/^(passport|id_card|travel_permit|other) (.+) already has an open transfer$/, (m, type, no) => `${DOCUMENT_ZH[type]} ${no} 已有尚未闭环的转运`],
  // Administration.
  [/^unit code (.+) is already taken$/, '单位编码 $1 已被使用'],
  [/^port code (.+) is already taken$/, '口岸编码 $1 已被使用'],
  [/^username (.+) is already taken$/, '用户名 $1 已被使用'],
  [/^a user with role (\w+) needs (.+)$/, (m, role, unit) => `角色为“${word('role', role)}”的用户${UNIT_NEEDED_ZH[unit] ?? unit}`],
  [/^you cannot demote or deactivate yourself$/, '不能降低自己的角色，也不能停用自己的账号'],
  [/^must be an existing (\w+)$/, (m, level) => `必须是已有的${word('level', level)}级单位`],
  [/^no such unit$/, '没有这个单位'],
  [/^the account has no usable home unit$/, '该账号没有可用的所属单位'],
  // Files and periods.
  [/^at most (\d+) rows per manifest$/, '每份名单最多 $1 行'],
  [/^the manifest cannot be read$/, '无法读取名单'],
  [/^the CSV is neither UTF-8 nor GB18030 text$/, 'CSV 文件既不是 UTF-8 也不是 GB18030 编码的文本'],
  [/^the XLSX workbook cannot be (?:opened|read): (.*)$/, '无法读取 XLSX 工作簿（$1）'],
  [/^the XLSX workbook holds too many files$/, 'XLSX 工作簿包含的文件过多'],
  [/^the XLSX workbook unpacks to more than (\d+) MiB$/, 'XLSX 工作簿解压后超过 $1 MiB'],
  [/^the workbook holds more than (\d+) MiB of text$/, '工作簿中的文字超过 $1 MiB'],
  [/^the manifest holds more than (\d+) cells$/, '名单超过 $1 个单元格'],
  [/^values beyond column (\d+); a manifest has (\d+) columns$/, '第 $1 列之后还有内容；名单只有 $2 列'],
  [/^the request body is larger than (\d+) bytes$/, '文件大于 $1 字节'],
  [/^a manifest is text\/csv or .*$/, '名单须为 CSV 或 XLSX 文件'],
  [/^(\d+) rows are more than a worksheet holds; ask for CSV or a shorter period$/, '$1 行超出一张工作表的容量；请改为下载 CSV，或缩短时间段'],
  [/^must not be after to$/, '不能晚于结束日期'],
  [/^not a day of the calendar$/, '不是有效的日期'],
  [/^a period of at most ten years$/, '时间段最长为十年'],
  // Where the problem's code already says it all.
  [/^too many attempts; try again later$/, ''],
  [/^the current password is wrong$/, ''],
  [/^the database is not ready yet$/, ''],
  [/^the database did not answer in time$/, ''],
];

const DOCUMENT_ZH = { passport: '护照', id_card: '身份证', travel_permit: '通行证', other: '其他证件' };

/** What a role's account must belong to (`Role::expected_unit`). */
const UNIT_NEEDED_ZH = {
  'no unit': '不能属于任何单位',
  'a city': '必须属于一个市',
  'a district': '必须属于一个区',
  'a community': '必须属于一个社区',
  'a unit of any level': '必须属于一个单位（市、区或社区均可）',
};

/** A message of the service in the current language, where the console knows it. */
export function serverText(message) {
  if (!message || lang !== 'zh') return message || '';
  for (const [pattern, zh] of SERVER_ZH) if (pattern.test(message)) return message.replace(pattern, zh);
  // A problem of one field: "traveller_ids[0]: …".
  const about = /^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)*): (.+)$/.exec(message);
  if (about) {
    const said = serverText(about[2]);
    if (said !== about[2]) return `${fieldName(about[1])}：${said}`;
  }
  return message;
}

/** What to tell the user about a failed request: the translated code, then the service's detail. */
export function problemText(problem) {
  const key = `error.${problem.code}`;
  const known = strings[lang][key] ?? strings.en[key];
  if (problem.code === 'network') return known;
  if (!known && !problem.detail && !problem.message) return t('error.error');
  if (lang === 'zh') {
    const detail = serverText(problem.detail);
    // A translated detail says more than the code's general sentence, as the detail does in
    // English; one the console cannot translate follows that sentence as the service wrote it.
    if (detail !== (problem.detail || '')) return detail || known || t('error.error');
    if (!known) return detail || problem.message;
    return detail && detail !== known ? `${known}（${detail}）` : known;
  }
  return problem.detail || known || problem.message;
}

document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';

addStrings({
  en: {
    'app.title': 'Inbound transfer',
    'app.subtitle': 'Closed loop from the port of entry to the community',
    'nav.dashboard': 'Dashboard',
    'nav.desk': 'Handoff desk',
    'nav.board': 'Dispatch board',
    'nav.trace': 'Trace',
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
    'nav.board': '调度台',
    'nav.trace': '追溯',
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

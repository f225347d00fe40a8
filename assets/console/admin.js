// Administration: users (create, change role or unit, deactivate, reset a password), units (add,
// set a city's hotline and address), ports of entry, and the check of the audit log.

import { all, api } from './api.js';
import { addStrings, number, t, word } from './i18n.js';
import { act, field, fill, h, messageArea, section, select, table } from './ui.js';

addStrings({
  en: {
    'admin.title': 'Administration',
    'admin.users': 'Users',
    'admin.username': 'Username',
    'admin.display_name': 'Display name',
    'admin.role': 'Role',
    'admin.unit': 'Unit',
    'admin.no_unit': '(none: administrators only)',
    'admin.active': 'Active',
    'admin.password': 'Password (at least 10 characters)',
    'admin.create_user': 'Create user',
    'admin.user_created': 'User {name} created.',
    'admin.save': 'Save',
    'admin.saved': 'Saved.',
    'admin.reset': 'Reset password',
    'admin.new_password': 'New password for {name}',
    'admin.reset_done': 'Password reset; the user\'s sessions have ended.',
    'admin.units': 'Units',
    'admin.level': 'Level',
    'admin.parent': 'Parent',
    'admin.code': 'Code',
    'admin.name': 'Name',
    'admin.name_en': 'Name in English',
    'admin.hotline': '24-hour hotline',
    'admin.address': 'Address',
    'admin.add_unit': 'Add unit',
    'admin.unit_added': 'Unit {name} added.',
    'admin.ports': 'Ports of entry',
    'admin.kind': 'Kind',
    'admin.city_name': 'City',
    'admin.add_port': 'Add port',
    'admin.port_added': 'Port {code} added.',
    'admin.audit': 'Audit log',
    'admin.verify': 'Verify the audit log',
    'admin.audit_ok': 'Every chain holds: {events} events checked.',
    'admin.audit_broken': 'A chain is broken at event {seq}.',
    'port.airport': 'Airport',
    'port.seaport': 'Seaport',
    'port.land': 'Land crossing',
    'port.rail': 'Railway',
  },
  zh: {
    'admin.title': '系统管理',
    'admin.users': '用户',
    'admin.username': '用户名',
    'admin.display_name': '显示名称',
    'admin.role': '角色',
    'admin.unit': '所属单位',
    'admin.no_unit': '（无：仅限系统管理员）',
    'admin.active': '启用',
    'admin.password': '密码（至少 10 个字符）',
    'admin.create_user': '创建用户',
    'admin.user_created': '已创建用户 {name}。',
    'admin.save': '保存',
    'admin.saved': '已保存。',
    'admin.reset': '重置密码',
    'admin.new_password': '{name} 的新密码',
    'admin.reset_done': '密码已重置，该用户的所有登录已失效。',
    'admin.units': '单位',
    'admin.level': '级别',
    'admin.parent': '上级单位',
    'admin.code': '编码',
    'admin.name': '名称',
    'admin.name_en': '英文名称',
    'admin.hotline': '24 小时热线',
    'admin.address': '地址',
    'admin.add_unit': '添加单位',
    'admin.unit_added': '已添加单位 {name}。',
    'admin.ports': '入境口岸',
    'admin.kind': '类型',
    'admin.city_name': '所在城市',
    'admin.add_port': '添加口岸',
    'admin.port_added': '已添加口岸 {code}。',
    'admin.audit': '审计日志',
    'admin.verify': '校验审计日志',
    'admin.audit_ok': '全部链条完好：共校验 {events} 条记录。',
    'admin.audit_broken': '链条在第 {seq} 条记录处断开。',
    'port.airport': '机场',
    'port.seaport': '港口',
    'port.land': '陆路口岸',
    'port.rail': '铁路口岸',
  },
});

const ROLES = ['admin', 'dispatcher', 'district_officer', 'community_officer', 'viewer'];
const LEVELS = ['city', 'district', 'community'];

export function mount(main) {
  const usersEl = h('div', { class: 'scroll', id: 'users' }, h('p', {}, t('common.loading')));
  const unitsEl = h('div', { class: 'scroll', id: 'units' });
  const portsEl = h('div', { class: 'scroll', id: 'ports-admin' });
  const state = { users: [], units: [], ports: [] };

  async function load() {
    const [users, units, ports] = await Promise.all([all('/users'), all('/units'), all('/ports')]);
    Object.assign(state, { users, units, ports });
    fill(usersEl, usersTable(), userForm());
    fill(unitsEl, unitsTable(), unitForm());
    fill(portsEl, portsTable(), portForm());
  }

  const unitOptions = (withNone) => [
    ...(withNone ? [['', t('admin.no_unit')]] : []),
    ...state.units.map((u) => [u.id, `${u.name} (${word('level', u.level)})`]),
  ];

  function usersTable() {
    return table(
      t('admin.users'),
      [t('admin.username'), t('admin.display_name'), t('admin.role'), t('admin.unit'), t('admin.active'), t('common.actions')],
      state.users.map((u) => {
        const message = messageArea();
        const name = h('input', { value: u.display_name, 'aria-label': `${t('admin.display_name')} ${u.username}`, maxlength: 100 });
        const role = select(ROLES.map((r) => [r, word('role', r)]), u.role, { 'aria-label': `${t('admin.role')} ${u.username}` });
        const unit = select(unitOptions(true), u.unit_id || '', { 'aria-label': `${t('admin.unit')} ${u.username}` });
        const active = h('input', { type: 'checkbox', checked: u.active, 'aria-label': `${t('admin.active')} ${u.username}` });
        const save = h('button', { type: 'button' }, t('admin.save'));
        save.addEventListener('click', () =>
          act(save, message, () =>
            api('PATCH', `/users/${u.id}`, {
              body: { display_name: name.value, role: role.value, unit_id: unit.value || null, active: active.checked },
            }),
            t('admin.saved'),
          ),
        );
        const password = h('input', { type: 'password', autocomplete: 'new-password', minlength: 10 });
        const reset = h('button', { type: 'button' }, t('admin.reset'));
        reset.addEventListener('click', () =>
          act(reset, message, () => api('POST', `/users/${u.id}/password`, { body: { new_password: password.value } }), t('admin.reset_done')),
        );
        return {
          attrs: { dataset: { user: u.username } },
          cells: [
            u.username,
            name,
            role,
            unit,
            active,
            [save, h('details', {}, h('summary', {}, t('admin.reset')), field(t('admin.new_password', { name: u.username }), password), reset), message.el],
          ],
        };
      }),
      {},
      true,
    );
  }

  function userForm() {
    const message = messageArea();
    const username = h('input', { required: true, maxlength: 64, autocomplete: 'off' });
    const displayName = h('input', { required: true, maxlength: 100 });
    const role = select(ROLES.map((r) => [r, word('role', r)]), 'viewer');
    const unit = select(unitOptions(true), '');
    const password = h('input', { type: 'password', required: true, minlength: 10, autocomplete: 'new-password' });
    const submit = h('button', { type: 'submit', class: 'primary' }, t('admin.create_user'));
    const form = h(
      'form',
      { class: 'card grid-form' },
      field(t('admin.username'), username),
      field(t('admin.display_name'), displayName),
      field(t('admin.role'), role),
      field(t('admin.unit'), unit),
      field(t('admin.password'), password),
      submit,
      message.el,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      act(submit, message, async () => {
        await api('POST', '/users', {
          body: { username: username.value.trim(), display_name: displayName.value, role: role.value, unit_id: unit.value || null, password: password.value },
        });
        const created = username.value.trim();
        await load();
        usersEl.querySelector('.grid-form .message').textContent = t('admin.user_created', { name: created });
      });
    });
    return form;
  }

  function unitsTable() {
    const name = (id) => state.units.find((u) => u.id === id)?.name || '';
    return table(
      t('admin.units'),
      [t('admin.code'), t('admin.name'), t('admin.name_en'), t('admin.level'), t('admin.parent'), t('admin.hotline'), t('admin.address'), t('common.actions')],
      state.units.map((u) => {
        const message = messageArea();
        const nameEn = h('input', { value: u.name_en || '', maxlength: 200, lang: 'en', 'aria-label': `${t('admin.name_en')} ${u.code}` });
        const hotline = h('input', { value: u.hotline || '', type: 'tel', maxlength: 40, 'aria-label': `${t('admin.hotline')} ${u.code}` });
        const address = h('input', { value: u.address || '', maxlength: 200, 'aria-label': `${t('admin.address')} ${u.code}` });
        const save = h('button', { type: 'button' }, t('admin.save'));
        save.addEventListener('click', () =>
          act(save, message, () => api('PATCH', `/units/${u.id}`, { body: { name_en: nameEn.value.trim() || null, hotline: hotline.value || null, address: address.value || null } }), t('admin.saved')),
        );
        return { attrs: { dataset: { unit: u.code } }, cells: [u.code, u.name, nameEn, word('level', u.level), name(u.parent_id), hotline, address, [save, message.el]] };
      }),
      {},
      true,
    );
  }

  function unitForm() {
    const message = messageArea();
    const name = h('input', { required: true, maxlength: 100 });
    const nameEn = h('input', { maxlength: 200, lang: 'en' });
    const hotline = h('input', { type: 'tel', maxlength: 40 });
    const address = h('input', { maxlength: 200 });
    const code = h('input', { required: true, maxlength: 32 });
    const level = select(LEVELS.map((l) => [l, word('level', l)]), 'community');
    const parent = select([['', '—'], ...unitOptions(false)], '');
    const submit = h('button', { type: 'submit', class: 'primary' }, t('admin.add_unit'));
    const form = h('form', { class: 'card grid-form' }, field(t('admin.name'), name), field(t('admin.name_en'), nameEn), field(t('admin.code'), code), field(t('admin.level'), level), field(t('admin.parent'), parent), field(t('admin.hotline'), hotline), field(t('admin.address'), address), submit, message.el);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      act(submit, message, async () => {
        await api('POST', '/units', {
          body: {
            name: name.value,
            name_en: nameEn.value.trim() || undefined,
            code: code.value.trim(),
            level: level.value,
            parent_id: parent.value || null,
            hotline: hotline.value.trim() || undefined,
            address: address.value.trim() || undefined,
          },
        });
        const added = name.value;
        await load();
        unitsEl.querySelector('.grid-form .message').textContent = t('admin.unit_added', { name: added });
      });
    });
    return form;
  }

  function portsTable() {
    return table(
      t('admin.ports'),
      [t('admin.code'), t('admin.name'), t('admin.kind'), t('admin.city_name')],
      state.ports.map((p) => [p.code, p.name, word('port', p.kind), p.city_name]),
      {},
      true,
    );
  }

  function portForm() {
    const message = messageArea();
    const code = h('input', { required: true, maxlength: 8 });
    const name = h('input', { required: true, maxlength: 100 });
    const kind = select(['airport', 'seaport', 'land', 'rail'].map((k) => [k, word('port', k)]), 'airport');
    const city = h('input', { required: true, maxlength: 100 });
    const submit = h('button', { type: 'submit', class: 'primary' }, t('admin.add_port'));
    const form = h('form', { class: 'card grid-form' }, field(t('admin.code'), code), field(t('admin.name'), name), field(t('admin.kind'), kind), field(t('admin.city_name'), city), submit, message.el);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      act(submit, message, async () => {
        await api('POST', '/ports', { body: { code: code.value.trim(), name: name.value, kind: kind.value, city_name: city.value } });
        const added = code.value.trim();
        await load();
        portsEl.querySelector('.grid-form .message').textContent = t('admin.port_added', { code: added });
      });
    });
    return form;
  }

  const auditMessage = messageArea();
  const verify = h('button', { type: 'button', id: 'verify-audit' }, t('admin.verify'));
  verify.addEventListener('click', () =>
    act(verify, auditMessage, async () => {
      const report = await api('GET', '/events/verify');
      const events = report.chains.reduce((n, c) => n + c.events, 0);
      const broken = report.chains.find((c) => c.first_broken_seq !== null);
      if (report.ok) auditMessage.ok(t('admin.audit_ok', { events: number(events) }));
      else auditMessage.error(t('admin.audit_broken', { seq: broken?.first_broken_seq }));
    }),
  );

  load().catch((e) => {
    const m = messageArea();
    m.error(e);
    fill(usersEl, m.el);
  });
  fill(main,
    h('h1', {}, t('admin.title')),
    section(t('admin.users'), usersEl),
    section(t('admin.units'), unitsEl),
    section(t('admin.ports'), portsEl),
    section(t('admin.audit'), verify, auditMessage.el),
  );
  return null;
}

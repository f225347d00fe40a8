// The board's walk-in registration: one traveller the manifest missed, typed at the port, who then
// waits with the others for a batch.

import { api } from './api.js';
import { addStrings, t, unitName } from './i18n.js';
import { act, field, h, messageArea, section, select } from './ui.js';

addStrings({
  en: {
    'walkin.title': 'Register a walk-in traveller',
    'walkin.hint': 'For someone the manifest missed.',
    'walkin.name': 'Full name',
    'walkin.doc_type': 'Document type',
    'walkin.doc_no': 'Document number',
    'walkin.nationality': 'Nationality (ISO code)',
    'walkin.nationality_hint': 'Three letters, e.g. CHN, USA, GBR.',
    'walkin.phone': 'Phone',
    'walkin.port': 'Port of entry',
    'walkin.flight': 'Flight',
    'walkin.arrived': 'Arrived at',
    'walkin.community': 'Destination community',
    'walkin.address': 'Address',
    'walkin.language': 'Notice language',
    'walkin.notes': 'Notes',
    'walkin.submit': 'Register',
    'walkin.done': '{name} registered; waiting at {port}.',
    'doc.passport': 'Passport',
    'doc.id_card': 'ID card',
    'doc.travel_permit': 'Travel permit',
    'doc.other': 'Other',
    'lang.zh': 'Chinese',
    'lang.en': 'English',
    'lang.ja': 'Japanese',
    'lang.ko': 'Korean',
  },
  zh: {
    'walkin.title': '登记零散入境人员',
    'walkin.hint': '用于名单上没有的人员。',
    'walkin.name': '姓名',
    'walkin.doc_type': '证件类型',
    'walkin.doc_no': '证件号码',
    'walkin.nationality': '国籍（ISO 代码）',
    'walkin.nationality_hint': '三个字母，如 CHN、USA、GBR。',
    'walkin.phone': '电话',
    'walkin.port': '入境口岸',
    'walkin.flight': '航班号',
    'walkin.arrived': '入境时间',
    'walkin.community': '目的社区',
    'walkin.address': '住址',
    'walkin.language': '告知书语言',
    'walkin.notes': '备注',
    'walkin.submit': '登记',
    'walkin.done': '已登记 {name}，在 {port} 等待转运。',
    'doc.passport': '护照',
    'doc.id_card': '身份证',
    'doc.travel_permit': '通行证',
    'doc.other': '其他',
    'lang.zh': '中文',
    'lang.en': '英文',
    'lang.ja': '日文',
    'lang.ko': '韩文',
  },
});

/** A local date and time input's value for now, to the minute. */
function nowLocal() {
  const now = new Date();
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
  return now.toISOString().slice(0, 16);
}

export function walkInForm(board) {
  const message = messageArea();
  const box = h('div', { id: 'walkin' });
  const draw = () => {
    const { ports, communities } = board.state;
    const input = (name, attrs = {}) => h('input', { name, autocomplete: 'off', ...attrs });
    const controls = {
      full_name: input('full_name', { required: true, maxlength: 200 }),
      document_type: select(['passport', 'id_card', 'travel_permit', 'other'].map((d) => [d, t(`doc.${d}`)]), 'passport', { name: 'document_type' }),
      document_no: input('document_no', { required: true, maxlength: 64 }),
      nationality: input('nationality', { required: true, maxlength: 3, pattern: '[A-Za-z]{3}', value: 'CHN' }),
      phone: input('phone', { type: 'tel', maxlength: 32 }),
      flight_no: input('flight_no', { maxlength: 10 }),
      port_id: select(ports.map((p) => [p.id, `${p.code} · ${p.name}`]), ports[0]?.id, { name: 'port_id' }),
      arrived_at: input('arrived_at', { type: 'datetime-local', required: true, value: nowLocal() }),
      destination_community_id: select(communities.map((c) => [c.id, `${c.code} · ${unitName(c)}`]), communities[0]?.id, { name: 'destination_community_id' }),
      address: input('address', { maxlength: 500 }),
      language: select(['zh', 'en', 'ja', 'ko'].map((l) => [l, t(`lang.${l}`)]), 'zh', { name: 'language' }),
      notes: input('notes', { maxlength: 2000 }),
    };
    const submit = h('button', { type: 'submit', class: 'primary', id: 'walkin-submit' }, t('walkin.submit'));
    const form = h(
      'form',
      { class: 'card grid-form', id: 'walkin-form' },
      field(t('walkin.name'), controls.full_name),
      field(t('walkin.doc_type'), controls.document_type),
      field(t('walkin.doc_no'), controls.document_no),
      field(t('walkin.nationality'), controls.nationality, t('walkin.nationality_hint')),
      field(t('walkin.phone'), controls.phone),
      field(t('walkin.flight'), controls.flight_no),
      field(t('walkin.port'), controls.port_id),
      field(t('walkin.arrived'), controls.arrived_at),
      field(t('walkin.community'), controls.destination_community_id),
      field(t('walkin.address'), controls.address),
      field(t('walkin.language'), controls.language),
      field(t('walkin.notes'), controls.notes),
      submit,
      message.el,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const value = (name) => controls[name].value.trim();
      const optional = (name) => value(name) || undefined;
      const port = ports.find((p) => p.id === value('port_id'));
      act(
        submit,
        message,
        async () => {
          const body = {
            full_name: value('full_name'),
            document_type: value('document_type'),
            document_no: value('document_no'),
            nationality: value('nationality').toUpperCase(),
            phone: optional('phone'),
            flight_no: optional('flight_no'),
            port_id: value('port_id'),
            // The time typed is the browser's local time; the service takes it with its offset.
            arrived_at: new Date(value('arrived_at')).toISOString(),
            destination_community_id: value('destination_community_id'),
            address: optional('address'),
            language: value('language'),
            notes: optional('notes'),
          };
          const traveller = await api('POST', '/travellers', { body });
          for (const name of ['full_name', 'document_no', 'phone', 'flight_no', 'address', 'notes']) controls[name].value = '';
          await board.reload('waiting');
          return traveller;
        },
        t('walkin.done', { name: value('full_name'), port: port?.code || '' }),
      );
    });
    box.replaceChildren(h('p', { class: 'muted' }, t('walkin.hint')), form);
  };
  return { el: section(t('walkin.title'), box), draw };
}

// Changing one's own password. Every session of the user ends, this one included.

import { api, forgetSession } from './api.js';
import { addStrings, t } from './i18n.js';
import { act, field, h, messageArea, section } from './ui.js';

addStrings({
  en: {
    'account.title': 'Change your password',
    'account.current': 'Current password',
    'account.new': 'New password',
    'account.repeat': 'New password again',
    'account.rule': 'At least 10 characters. Every session of yours ends, this one too: sign in again.',
    'account.mismatch': 'The two new passwords differ.',
    'account.submit': 'Change password',
  },
  zh: {
    'account.title': '修改密码',
    'account.current': '当前密码',
    'account.new': '新密码',
    'account.repeat': '再次输入新密码',
    'account.rule': '至少 10 个字符。修改后您的所有登录（包括本次）都会失效，需要重新登录。',
    'account.mismatch': '两次输入的新密码不一致。',
    'account.submit': '修改密码',
  },
});

export function mount(main) {
  const message = messageArea();
  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', autocomplete: 'new-password', minlength: 10, required: true });
  const again = h('input', { type: 'password', autocomplete: 'new-password', minlength: 10, required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('account.submit'));
  const form = h(
    'form',
    { class: 'card narrow' },
    field(t('account.current'), current),
    field(t('account.new'), next, t('account.rule')),
    field(t('account.repeat'), again),
    submit,
    message.el,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (next.value !== again.value) {
      message.error(t('account.mismatch'));
      return;
    }
    const done = await act(submit, message, async () => {
      await api('POST', '/me/password', { body: { current_password: current.value, new_password: next.value } });
      return true;
    });
    if (done) forgetSession();
  });
  main.replaceChildren(section(t('account.title'), form));
  return null;
}

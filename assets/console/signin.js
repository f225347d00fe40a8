// Signing in with a username and password.

import { signIn } from './api.js';
import { addStrings, t } from './i18n.js';
import { act, field, h, messageArea } from './ui.js';

addStrings({
  en: {
    'signin.title': 'Sign in',
    'signin.username': 'Username',
    'signin.password': 'Password',
    'signin.submit': 'Sign in',
    'signin.failed': 'Wrong username or password.',
  },
  zh: {
    'signin.title': '登录',
    'signin.username': '用户名',
    'signin.password': '密码',
    'signin.submit': '登录',
    'signin.failed': '用户名或密码错误。',
  },
});

export function mount(main) {
  const message = messageArea();
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'signin-submit' }, t('signin.submit'));
  const form = h(
    'form',
    { class: 'card signin', id: 'signin' },
    h('h1', {}, t('signin.title')),
    h('p', { class: 'muted' }, t('app.subtitle')),
    field(t('signin.username'), username),
    field(t('signin.password'), password),
    submit,
    message.el,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await act(submit, message, async () => {
      try {
        await signIn(username.value.trim(), password.value);
      } catch (err) {
        if (err.status === 401) throw new Error(t('signin.failed'));
        throw err;
      }
    });
  });
  main.replaceChildren(form);
  username.focus();
  return null;
}

// The console's shell: sign-in or the screens the caller's role may use, a language switch, and a
// banner while the service cannot be reached. Screens are addressed by the fragment (#/desk), so
// the service serves one page.

import { currentUser, onReachability, onSession, signOut } from './api.js';
import { LANGUAGES, language, onLanguage, setLanguage, t, word } from './i18n.js';
import { h, select } from './ui.js';
import * as signin from './signin.js';
import * as dashboard from './dashboard.js';
import * as wall from './wall.js';
import * as desk from './desk.js';
import * as looseEnds from './loose-ends.js';
import * as board from './board.js';
import * as trace from './trace.js';
import * as admin from './admin.js';
import * as account from './account.js';

const OFFICERS = ['district_officer', 'community_officer'];
/** [route, module, roles that see it (null: every role), shown in the menu]. */
const SCREENS = [
  ['dashboard', dashboard, null, true],
  // A viewer's dashboard is the wall already.
  ['wall', wall, null, (user) => user.role !== 'viewer'],
  ['desk', desk, OFFICERS, true],
  ['loose-ends', looseEnds, ['admin', 'dispatcher', ...OFFICERS], true],
  ['board', board, ['dispatcher'], true],
  ['trace', trace, ['admin', 'dispatcher', ...OFFICERS], true],
  ['admin', admin, ['admin'], true],
  ['account', account, null, false],
];

const root = document.getElementById('app');
let cleanup = null;

function screensFor(user) {
  return SCREENS.filter(([, , roles]) => !roles || roles.includes(user.role));
}

function route() {
  return (location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] || 'dashboard').toLowerCase();
}

function languageSwitch() {
  const control = select(LANGUAGES, language(), {
    id: 'language',
    'aria-label': t('nav.language'),
    onchange: (e) => setLanguage(e.target.value),
  });
  return h('div', { class: 'language' }, control);
}

function render() {
  cleanup?.();
  cleanup = null;
  document.title = t('app.title');
  const user = currentUser();
  if (!user) {
    root.replaceChildren(
      h('header', { class: 'top' }, h('div', { class: 'brand' }, t('app.title')), languageSwitch()),
      banner(),
      h('main', { id: 'view' }),
    );
    cleanup = signin.mount(root.querySelector('#view'));
    return;
  }
  const screens = screensFor(user);
  let name = route();
  let screen = screens.find(([r]) => r === name);
  if (!screen) {
    name = 'dashboard';
    screen = screens[0];
    history.replaceState(null, '', '#/dashboard');
  }
  const nav = h(
    'nav',
    { 'aria-label': t('nav.main') },
    h(
      'ul',
      {},
      screens
        .filter(([, , , inMenu]) => (typeof inMenu === 'function' ? inMenu(user) : inMenu))
        .map(([r]) =>
          h('li', {}, h('a', { href: `#/${r}`, 'aria-current': r === name ? 'page' : null, id: `nav-${r}` }, t(`nav.${r}`))),
        ),
    ),
  );
  const who = h(
    'div',
    { class: 'who' },
    h('span', { class: 'user', id: 'whoami' }, `${user.display_name} · ${word('role', user.role)}`),
    h('a', { href: '#/account', id: 'nav-account' }, t('nav.account')),
    h('button', { type: 'button', id: 'signout', class: 'link', onclick: () => signOut() }, t('nav.signout')),
    languageSwitch(),
  );
  const main = h('main', { id: 'view', dataset: { screen: name } });
  root.replaceChildren(h('header', { class: 'top' }, h('div', { class: 'brand' }, t('app.title')), nav, who), banner(), main);
  document.title = `${t(`nav.${name}`)} · ${t('app.title')}`;
  cleanup = screen[1].mount(main, user);
  // Start keyboard and screen-reader users at the new screen's heading.
  const heading = main.querySelector('h1, h2');
  if (heading && !main.contains(document.activeElement)) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

let bannerEl = null;
let reachable = true;
function banner() {
  bannerEl = h('div', { id: 'offline', class: 'banner', role: 'alert', hidden: reachable }, t('banner.offline'));
  return bannerEl;
}
onReachability((up) => {
  reachable = up;
  if (bannerEl) bannerEl.hidden = up;
  document.body.classList.toggle('offline', !up);
});

window.addEventListener('hashchange', render);
onSession(render);
onLanguage(render);
render();

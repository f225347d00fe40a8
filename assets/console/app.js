// The console's shell: sign-in or the screens the caller's role may use, a language switch, and a
// banner while the service cannot be reached. Screens are addressed by the fragment (#/desk), so
// the service serves one page.

import { currentUser, onReachability, onSession, signOut } from './api.js';
import { LATE_MS, busy, onQueue, queued, sendQueued, wipe } from './offline.js';
import { LANGUAGES, language, onLanguage, setLanguage, t, word } from './i18n.js';
import { h, select } from './ui.js';
import * as signin from './signin.js';

const OFFICERS = ['district_officer', 'community_officer'];
/**
 * [route, its module (loaded when the screen first opens), roles that see it (null: every role),
 * shown in the menu]. The page preloads the shell's modules and the desk's, the screen that must
 * open at once at a door with a poor signal; the others arrive with their screen, and the service
 * worker keeps them all once the first screen is drawn.
 */
const SCREENS = [
  ['dashboard', () => import('./dashboard.js'), null, true],
  // A viewer's dashboard is the wall already.
  ['wall', () => import('./wall.js'), null, (user) => user.role !== 'viewer'],
  ['desk', () => import('./desk.js'), OFFICERS, true],
  ['loose-ends', () => import('./loose-ends.js'), ['admin', 'dispatcher', ...OFFICERS], true],
  ['board', () => import('./board.js'), ['dispatcher'], true],
  ['trace', () => import('./trace.js'), ['admin', 'dispatcher', ...OFFICERS], true],
  ['admin', () => import('./admin.js'), ['admin'], true],
  ['account', () => import('./account.js'), null, false],
];
let renders = 0;

const root = document.getElementById('app');
let cleanup = null;

function screensFor(user) {
  return SCREENS.filter(([, , roles]) => !roles || roles.includes(user.role));
}

/** The screen asked for; with none (the installed console's start), an officer's is the desk. */
function route(user) {
  const asked = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return (asked || (OFFICERS.includes(user.role) ? 'desk' : 'dashboard')).toLowerCase();
}

function languageSwitch() {
  const control = select(LANGUAGES, language(), {
    id: 'language',
    'aria-label': t('nav.language'),
    onchange: (e) => setLanguage(e.target.value),
  });
  return h('div', { class: 'language' }, control);
}

async function render() {
  const turn = ++renders;
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
  let name = route(user);
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
    queueBadge(),
    h('button', { type: 'button', id: 'signout', class: 'link', onclick: () => leave(user) }, t('nav.signout')),
    languageSwitch(),
  );
  const main = h('main', { id: 'view', dataset: { screen: name } });
  root.replaceChildren(h('header', { class: 'top' }, h('div', { class: 'brand' }, t('app.title')), nav, who), banner(), updateBanner(), main);
  document.title = `${t(`nav.${name}`)} · ${t('app.title')}`;
  let module;
  try {
    module = await screen[1]();
  } catch {
    // Not on this device yet, and no network to fetch it.
    if (turn === renders) main.replaceChildren(h('p', { class: 'message error', role: 'alert' }, t('banner.offline')));
    return;
  }
  // Another screen was asked for meanwhile.
  if (turn !== renders) return;
  cleanup = module.mount(main, user);
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

// Actions kept on this device, counted in the header on every screen; red once one waited more
// than 30 minutes or the service refused one.
let badgeEl = null;
function queueBadge() {
  badgeEl = h('a', { id: 'queue-count', href: '#/desk', class: 'badge', hidden: true });
  drawBadge();
  return badgeEl;
}
function drawBadge() {
  if (!badgeEl) return;
  const items = queued();
  const late = items.some((x) => x.state === 'refused' || Date.now() - Date.parse(x.queued_at) > LATE_MS);
  badgeEl.hidden = !items.length;
  badgeEl.className = `badge ${late ? 'bad' : 'warn'}`;
  badgeEl.dataset.count = String(items.length);
  badgeEl.textContent = t('queue.count', { n: items.length });
}
onQueue(drawBadge);
setInterval(drawBadge, 60000);

/** Signs out; with actions still kept on this device, asks first, naming each: send or discard. */
async function leave(user) {
  const items = queued(user.id);
  if (!items.length) {
    await signOut();
    wipe(user.id);
    return;
  }
  const shown = items.map((x) => x.id);
  const list = h('ul', {}, items.map((x) => h('li', {}, `${t(x.kind === 'confirm' ? 'queue.confirm' : 'queue.reject')} · ${x.from_unit?.name ?? ''} · ${new Date(x.queued_at).toLocaleString()}${x.state === 'refused' ? ` · ${t('queue.refused')}` : ''}`)));
  const note = h('p', { class: 'message', role: 'status' });
  const send = h('button', { type: 'button', class: 'primary', id: 'leave-send' }, t('queue.send_and_leave'));
  const discard = h('button', { type: 'button', class: 'danger', id: 'leave-discard' }, t('queue.discard_and_leave'));
  const stay = h('button', { type: 'button', id: 'leave-stay' }, t('queue.stay'));
  const dialog = h('dialog', { id: 'leave', 'aria-labelledby': 'leave-title' }, h('h2', { id: 'leave-title' }, t('queue.unsent', { n: items.length })), list, note, h('div', { class: 'actions' }, send, discard, stay));
  document.body.append(dialog);
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  send.addEventListener('click', async () => {
    send.disabled = true;
    discard.disabled = true;
    await sendQueued();
    discard.disabled = false;
    // Signed out only once nothing is left: a refused action is for the officer to read first.
    if (queued(user.id).length) {
      note.textContent = t(queued(user.id).some((x) => x.state === 'waiting') ? 'queue.still_offline' : 'queue.refused_left');
      send.disabled = false;
      return;
    }
    close();
    await signOut();
    wipe(user.id);
  });
  discard.addEventListener('click', async () => {
    close();
    // Only what the officer was shown goes; the desk's data goes at once.
    wipe(user.id, shown);
    await signOut();
    wipe(user.id);
  });
  stay.addEventListener('click', close);
  dialog.showModal();
}

// Installable, and opens with no network: the service worker keeps this version's files. A new
// version waits until the officer reloads, which the banner offers once nothing is being sent.
let waitingWorker = null;
let updateEl = null;
function updateBanner() {
  const button = h('button', { type: 'button', id: 'update-reload' }, t('update.reload'));
  button.addEventListener('click', () => {
    if (busy()) return;
    navigator.serviceWorker.addEventListener('controllerchange', () => location.reload());
    waitingWorker?.postMessage('take-over');
    setTimeout(() => location.reload(), 3000);
  });
  updateEl = h('div', { id: 'update', class: 'alert', role: 'status', hidden: !waitingWorker }, t('update.ready'), ' ', button);
  return updateEl;
}
function offerUpdate(worker) {
  waitingWorker = worker;
  if (updateEl) updateEl.hidden = false;
}
// Registered once the first screen has its data (or three seconds after the page loaded), so that
// keeping the console's files never competes with the first screen on a poor network.
function registerWorker() {
  if (registerWorker.done) return;
  registerWorker.done = true;
  navigator.serviceWorker
    .register('/console/sw.js', { scope: '/console/' })
    .then((registration) => {
      const check = () => {
        if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
      };
      // A new version may be installing already (the browser checks at every visit), or come
      // later: the console asks when it opens, when the network returns, and every half hour.
      registration.installing?.addEventListener('statechange', check);
      registration.addEventListener('updatefound', () => registration.installing?.addEventListener('statechange', check));
      check();
      const ask = () => registration.update().catch(() => {});
      ask();
      window.addEventListener('online', ask);
      setInterval(ask, 30 * 60 * 1000);
    })
    .catch(() => {
      /* the console works online without it */
    });
}
if ('serviceWorker' in navigator && window.isSecureContext) {
  window.addEventListener('console:drawn', registerWorker, { once: true });
  window.addEventListener('load', () => setTimeout(registerWorker, 3000), { once: true });
}

// The desk's data lives on the device only while its user is signed in.
let signedIn = currentUser()?.id;
onSession((session) => {
  if (!session && signedIn) localStorage.removeItem(`inbound-transfer.desk.${signedIn}`);
  signedIn = session?.user?.id;
});

window.addEventListener('hashchange', render);
onSession(render);
onLanguage(render);
render();

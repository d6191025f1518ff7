// The console's frame: who is signed in, the menu their role sees, and the screen the address
// names. Screens are modules (routes.js) rendering into #screen; each gets a context with the
// API, the live stream, the signed-in user, toasts and navigation.
import { api, live, onSessionEnded, ApiError } from './api.js';
import { h, show } from './dom.js';
import { t, register, setLanguage, currentLanguage, onLanguageChange } from './i18n.js';
import { routes, home, match } from './routes.js';

register({
  zh: {
    'menu.map': '实时地图', 'menu.board': '订单看板', 'menu.alerts': '告警', 'menu.replay': '轨迹回放', 'menu.files': '车辆与驾驶员',
    'menu.book': '预约用车', 'menu.bookings': '我的订单', 'menu.settlements': '结算单', 'menu.statements': '对账单', 'menu.complaints': '投诉',
    'menu.jobs': '今日任务', 'menu.users': '用户', 'menu.tariffs': '价格与协议', 'menu.zones': '区域与日历', 'menu.audit': '审计日志', 'menu.wall': '大屏',
  },
  en: {
    'menu.map': 'Live map', 'menu.board': 'Bookings', 'menu.alerts': 'Alerts', 'menu.replay': 'Replay', 'menu.files': 'Vehicles & drivers',
    'menu.book': 'Book a car', 'menu.bookings': 'My bookings', 'menu.settlements': 'Settlements', 'menu.statements': 'Statements', 'menu.complaints': 'Complaints',
    'menu.jobs': "Today's jobs", 'menu.users': 'Users', 'menu.tariffs': 'Tariffs & agreements', 'menu.zones': 'Zones & calendar', 'menu.audit': 'Audit log', 'menu.wall': 'Wall',
  },
});

const bar = document.getElementById('bar');
const screen = document.getElementById('screen');
const toasts = document.getElementById('toasts');
let user = null;
let config = null;
let cleanup = null;
// Whether the live stream is connected: one dot in the bar, kept across screens.
const state = h('span', { class: 'live-state' });
live.onState(connected => { state.className = `live-state ${connected ? 'on' : 'off'}`; state.title = connected ? t('live') : t('offline'); });

/** A message at the corner for a few seconds; errors stay until clicked. */
export function toast(message, kind = 'info') {
  const item = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status', onclick: () => item.remove() }, message);
  toasts.append(item);
  if (kind !== 'error') setTimeout(() => item.remove(), 4000);
}

/** What an API error means to the person at the screen, and what to do next. */
export function explain(error) {
  if (error instanceof ApiError) {
    if (error.status === 0) return t('networkError');
    if (error.status === 429) return t('locked', { seconds: error.retryAfter ?? 60 });
    return error.field ? `${error.message} (${error.field})` : error.message;
  }
  return String(error?.message ?? error);
}

function navigate(path) { location.hash = `#/${path}`; }

function context(parameters) {
  return { api, live, user, config, parameters, t, toast, explain, navigate, language: currentLanguage() };
}

// Each render's number: a screen still loading when another was asked for is dropped, never
// drawn over the newer one.
let rendering = 0;

async function render() {
  const mine = ++rendering;
  if (cleanup) { try { cleanup(); } catch { /* a screen's leftovers never block the next */ } cleanup = null; }
  if (!user) return signInForm();
  drawBar();
  const path = location.hash.replace(/^#\/?/, '') || home[user.role];
  const found = match(path);
  if (!found) return show(screen, h('p', { class: 'notice' }, t('notFound')));
  if (!found.route.roles.includes(user.role)) return show(screen, h('p', { class: 'notice' }, t('forbidden')));
  show(screen, h('p', { class: 'loading' }, t('loading')));
  document.body.dataset.screen = found.route.path.split('/')[0];
  try {
    const module = await found.route.load();
    if (mine !== rendering) return;
    const container = h('section', { class: `screen screen-${document.body.dataset.screen}` });
    show(screen, container);
    const done = (await module.render(container, context(found.parameters))) ?? null;
    // Asked for another screen meanwhile: this one's leftovers go at once.
    if (mine !== rendering) { done?.(); return; }
    cleanup = done;
  } catch (error) {
    if (mine === rendering) show(screen, h('div', { class: 'notice error' }, explain(error), ' ', h('button', { onclick: render }, t('retry'))));
  }
}

function drawBar() {
  const here = (location.hash.replace(/^#\/?/, '') || home[user.role]).split('/')[0];
  const menu = routes.filter(route => route.menu && route.roles.includes(user.role));
  show(bar,
    h('strong', { class: 'brand' }, t('appName')),
    h('nav', {}, menu.map(route => h('a', { href: `#/${route.path}`, class: route.path === here ? 'active' : null }, t(route.menu)))),
    h('span', { class: 'who' }, state, `${user.username} · ${t(`role.${user.role}`)}`),
    h('button', { class: 'link', id: 'language', onclick: () => setLanguage(currentLanguage() === 'zh' ? 'en' : 'zh') }, t('language')),
    h('button', { class: 'link', id: 'sign-out', onclick: signOut }, t('signOut')));
}

function signInForm() {
  bar.replaceChildren();
  document.body.dataset.screen = 'sign-in';
  const message = h('p', { class: 'form-error', role: 'alert' });
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, maxlength: 64 });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 });
  const form = h('form', { class: 'sign-in', onsubmit: async (event) => {
    event.preventDefault();
    message.textContent = '';
    try {
      const session = await api.post('/api/v1/sessions', { username: username.value, password: password.value, cookie: true });
      await start(session.user);
    } catch (error) {
      message.textContent = error instanceof ApiError && error.status === 401 ? t('signInFailed') : explain(error);
    }
  } },
  h('h1', {}, t('appName')),
  h('label', {}, t('username'), username),
  h('label', {}, t('password'), password),
  message,
  h('button', { type: 'submit', class: 'primary' }, t('signIn')),
  h('button', { type: 'button', class: 'link', onclick: () => setLanguage(currentLanguage() === 'zh' ? 'en' : 'zh') }, t('language')));
  show(screen, form);
  username.focus();
}

async function signOut() {
  try { await api.delete('/api/v1/sessions/current'); } catch { /* signed out either way */ }
  live.close();
  user = null;
  location.hash = '';
  render();
}

async function start(signedIn) {
  user = signedIn;
  config = await api.get('/api/v1/console');
  render();
}

onSessionEnded(() => { if (user) { user = null; live.close(); toast(t('sessionEnded'), 'error'); render(); } });
onLanguageChange(() => render());
window.addEventListener('hashchange', () => render());
document.documentElement.lang = currentLanguage() === 'zh' ? 'zh-CN' : 'en';

try {
  await start(await api.get('/api/v1/me'));
} catch {
  render();
}

// Chinese first, English switchable. Each screen registers its own words (`register`), so no
// one file collects every screen's text. The choice is kept in localStorage: it is not a secret.

const words = { zh: {}, en: {} };
let language = localStorage.getItem('fleet.language') === 'en' ? 'en' : 'zh';
const listeners = new Set();

/** Adds a screen's words: { zh: { key: '文字' }, en: { key: 'text' } }. */
export function register(dictionary) {
  for (const lang of ['zh', 'en']) Object.assign(words[lang], dictionary[lang] ?? {});
}

/** The text for `key` in the current language, `{name}` replaced from `values`. */
export function t(key, values = {}) {
  const template = words[language][key] ?? words.zh[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function currentLanguage() { return language; }

export function setLanguage(next) {
  language = next === 'en' ? 'en' : 'zh';
  localStorage.setItem('fleet.language', language);
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  for (const listener of listeners) listener(language);
}

export function onLanguageChange(listener) { listeners.add(listener); return () => listeners.delete(listener); }

/** A time as the operator reads it: China time, whatever the browser's zone. */
export function formatTime(value, { date = true, seconds = false } = {}) {
  if (!value) return '—';
  const options = { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false };
  if (seconds) options.second = '2-digit';
  if (date) Object.assign(options, { month: '2-digit', day: '2-digit' });
  return new Intl.DateTimeFormat(language === 'zh' ? 'zh-CN' : 'en-GB', options).format(new Date(value));
}

/** A duration in seconds as m:ss or h:mm:ss, signed. */
export function formatDuration(seconds) {
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.abs(Math.trunc(seconds));
  const h = Math.trunc(rest / 3600); rest -= h * 3600;
  const m = Math.trunc(rest / 60); const s = rest - m * 60;
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${sign}${m}:${String(s).padStart(2, '0')}`;
}

register({
  zh: {
    appName: 'Fleet 公务用车', signIn: '登录', signOut: '退出', username: '用户名', password: '密码',
    language: 'English', loading: '加载中…', retry: '重试', save: '保存', cancel: '取消', close: '关闭',
    notFound: '没有这个页面', forbidden: '您的角色不能使用此页面', signInFailed: '用户名或密码错误',
    locked: '尝试次数过多，请 {seconds} 秒后再试', sessionEnded: '会话已结束，请重新登录', networkError: '无法连接服务器，请检查网络后重试',
    'role.administrator': '管理员', 'role.dispatcher': '调度员', 'role.agency': '用车单位', 'role.approver': '审批人',
    'role.driver': '驾驶员', 'role.auditor': '审计员', empty: '暂无数据', live: '实时', offline: '已断开，正在重连…',
  },
  en: {
    appName: 'Fleet official cars', signIn: 'Sign in', signOut: 'Sign out', username: 'Username', password: 'Password',
    language: '中文', loading: 'Loading…', retry: 'Retry', save: 'Save', cancel: 'Cancel', close: 'Close',
    notFound: 'No such page', forbidden: 'Your role cannot use this page', signInFailed: 'Wrong username or password',
    locked: 'Too many attempts: try again in {seconds} s', sessionEnded: 'Your session ended: sign in again', networkError: 'The server cannot be reached: check the network and retry',
    'role.administrator': 'Administrator', 'role.dispatcher': 'Dispatcher', 'role.agency': 'Agency', 'role.approver': 'Approver',
    'role.driver': 'Driver', 'role.auditor': 'Auditor', empty: 'Nothing yet', live: 'Live', offline: 'Disconnected, reconnecting…',
  },
});

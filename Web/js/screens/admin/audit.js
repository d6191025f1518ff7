// The audit trail, newest first, filtered by who, what, which record and when (China time);
// "more" follows the page's `next` cursor.
import { query } from '../../api.js';
import { h, show, table } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';

register({
  zh: {
    'audit.title': '审计日志', 'audit.actor': '操作人', 'audit.action': '操作', 'audit.object': '对象', 'audit.from': '起（北京时间）',
    'audit.to': '止（北京时间）', 'audit.search': '查询', 'audit.clear': '清除条件', 'audit.at': '时间', 'audit.detail': '详情',
    'audit.more': '更多', 'audit.count': '已显示 {count} 条', 'audit.end': '已到最早一条',
  },
  en: {
    'audit.title': 'Audit log', 'audit.actor': 'Who', 'audit.action': 'Action', 'audit.object': 'Record', 'audit.from': 'From (China time)',
    'audit.to': 'To (China time)', 'audit.search': 'Search', 'audit.clear': 'Clear', 'audit.at': 'Time', 'audit.detail': 'Detail',
    'audit.more': 'More', 'audit.count': '{count} shown', 'audit.end': 'The oldest line reached',
  },
});

// Actions the trail holds, offered as suggestions (any other may be typed).
const knownActions = [
  'sign-in', 'sign-in-refused', 'sign-out', 'user-create', 'user-disable', 'user-enable', 'sessions-revoke', 'password-change', 'user-read',
  'audit-read', 'track-read', 'driver-read', 'zone-events-read', 'booking-create', 'booking-confirmed', 'booking-cancelled', 'booking-override',
  'booking-incident', 'tariff-set', 'agreement-set', 'zones-set', 'zone-create', 'zone-set', 'calendar-set', 'agency-save', 'agency-approval-set',
];

/** A datetime-local value read as China time, as ISO 8601. */
function chinaTime(value) { return value ? new Date(`${value}:00+08:00`).toISOString() : ''; }

export async function render(container, ctx) {
  const { api, t } = ctx;
  const input = (name, attributes = {}) => h('input', { name, id: `audit-${name}`, maxlength: 200, ...attributes });
  const fields = {
    actor: input('actor'), action: input('action', { list: 'audit-actions' }), object: input('object', { placeholder: 'user:5' }),
    from: input('from', { type: 'datetime-local' }), to: input('to', { type: 'datetime-local' }),
  };
  const rows = [];
  const results = h('div', { id: 'audit-results' });
  const footer = h('div', { class: 'row' });
  let criteria = {};
  let next = null;
  // Each search's number: a page answered for an earlier search (still in flight when the
  // criteria changed) is dropped, never mixed into the newer results.
  let searches = 0;

  async function page(cursor) {
    const asked = searches;
    const answer = await api.get(`/api/v1/audit${query({ ...criteria, limit: 100, cursor })}`);
    if (asked !== searches) return;
    rows.push(...answer.items);
    next = answer.next ?? null;
    draw();
  }

  function draw() {
    show(results, table([
      [t('audit.at'), r => formatTime(r.at, { seconds: true })],
      [t('audit.actor'), r => r.actor ?? (r.userID ? `#${r.userID}` : '—')],
      [t('audit.action'), r => h('code', {}, r.action)],
      [t('audit.object'), r => r.object],
      [t('audit.detail'), r => h('span', { class: 'detail' }, Object.entries(r.detail ?? {}).map(([k, v]) => `${k}=${v}`).join(' · '))],
    ], rows, { empty: t('empty'), rowAttributes: r => ({ 'data-audit': r.id, 'data-action': r.action, 'data-object': r.object }) }));
    results.firstChild.classList.add('dense');
    const more = h('button', { type: 'button', id: 'audit-more' }, t('audit.more'));
    more.addEventListener('click', async () => { more.disabled = true; await page(next).catch(failed); });
    show(footer, h('span', { class: 'detail', id: 'audit-count' }, t('audit.count', { count: rows.length })), next ? more : h('span', { class: 'detail' }, t('audit.end')));
  }

  const error = h('p', { class: 'form-error', role: 'alert' });
  const failed = (failure) => { error.textContent = ctx.explain(failure); };
  async function search() {
    error.textContent = '';
    criteria = {
      actor: fields.actor.value.trim(), action: fields.action.value.trim(), object: fields.object.value.trim(),
      from: chinaTime(fields.from.value), to: chinaTime(fields.to.value),
    };
    rows.length = 0;
    searches += 1;
    await page(undefined).catch(failed);
  }

  const form = h('form', { class: 'row filters card', id: 'audit-filters', onsubmit: (event) => { event.preventDefault(); search(); } },
    Object.entries(fields).map(([name, field]) => h('label', {}, t(`audit.${name}`), field)),
    h('datalist', { id: 'audit-actions' }, knownActions.map(action => h('option', { value: action }))),
    h('button', { type: 'submit', class: 'primary', id: 'audit-search' }, t('audit.search')),
    h('button', { type: 'button', onclick: () => { form.reset(); search(); } }, t('audit.clear')));
  container.append(h('h2', {}, t('audit.title')), form, error, results, footer);
  await search();
}

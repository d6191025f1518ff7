// The booking board: every open booking as a card in the column of its state, with its running
// SLA clock; today's finished ones folded below. Live: a booking event moves or inserts its card,
// an alert marks it. Filters by agency, urgency and text narrow what is shown, not what is kept.
import { h, show } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';
import { query } from '../../api.js';
import { renderClock, runningClock, tickClocks } from '../../clocks.js';
import { stateLabel } from '../../words.js';

register({
  zh: {
    'board.title': '订单看板', 'board.column.received': '待确认', 'board.column.waiting': '待派车', 'board.column.matched': '已派车 / 已通知',
    'board.column.underway': '前往 / 已到场', 'board.column.inService': '服务中', 'board.done': '今日已结束 {count} 单',
    'board.agency': '用车单位', 'board.allAgencies': '全部单位', 'board.urgentOnly': '只看紧急', 'board.search': '搜索',
    'board.searchHint': '单号、地址、联系人、车牌', 'board.urgent': '急', 'board.passengers': '{count} 人', 'board.shown': '显示 {shown} / {total}',
    'board.alert': '告警：{clock}',
  },
  en: {
    'board.title': 'Booking board', 'board.column.received': 'To confirm', 'board.column.waiting': 'Waiting for a crew', 'board.column.matched': 'Matched / notified',
    'board.column.underway': 'En route / on site', 'board.column.inService': 'In service', 'board.done': 'Finished today: {count}',
    'board.agency': 'Agency', 'board.allAgencies': 'All agencies', 'board.urgentOnly': 'Urgent only', 'board.search': 'Search',
    'board.searchHint': 'Number, address, contact, plate', 'board.urgent': 'Urgent', 'board.passengers': '{count} pax', 'board.shown': 'Showing {shown} of {total}',
    'board.alert': 'Alert: {clock}',
  },
});

const COLUMNS = [
  { key: 'received', states: ['awaitingApproval', 'received'] },
  { key: 'waiting', states: ['confirmed', 'replaced'] },
  { key: 'matched', states: ['matched', 'notified'] },
  { key: 'underway', states: ['enRoute', 'onSite'] },
  { key: 'inService', states: ['inService'] },
];
const OPEN = COLUMNS.flatMap(column => column.states);
const DONE = ['completed', 'settled', 'cancelled', 'refused'];

/** Midnight today in China time, as ISO 8601: "today" is the operator's day, not the browser's. */
function chinaMidnight(nowMs = Date.now()) {
  const shifted = new Date(nowMs + 8 * 3600_000);
  return new Date(Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth(), shifted.getUTCDate()) - 8 * 3600_000).toISOString();
}

export async function render(container, ctx) {
  const { api, live, t, navigate } = ctx;
  const entries = new Map(); // id -> { booking, clocks, alert, card }
  let stopped = false;
  // One fetch per booking at a time: events arriving meanwhile ask for one more afterwards.
  const fetching = new Map(); // id -> whether another fetch is wanted after this one
  const [open, done, agencies, vehicles] = await Promise.all([
    api.get(`/api/v1/bookings${query({ state: OPEN.join(','), limit: 500, clocks: true })}`),
    api.get(`/api/v1/bookings${query({ state: DONE.join(','), updatedSince: chinaMidnight(), limit: 500 })}`),
    api.get('/api/v1/agencies'),
    api.get('/api/v1/vehicles'),
  ]);
  const agencyName = new Map(agencies.map(a => [a.id, a.name]));
  const plateOf = new Map(vehicles.map(v => [v.file.id, v.file.plate]));

  const agencyFilter = h('select', { id: 'board-agency', onchange: applyFilters },
    h('option', { value: '' }, t('board.allAgencies')), agencies.map(a => h('option', { value: a.id }, a.name)));
  const urgentFilter = h('input', { type: 'checkbox', id: 'board-urgent', onchange: applyFilters });
  const textFilter = h('input', { type: 'search', id: 'board-search', placeholder: t('board.searchHint'), oninput: applyFilters });
  const shown = h('span', { class: 'board-shown', id: 'board-shown' });
  const columns = new Map(COLUMNS.map(c => [c.key, {
    count: h('span', { class: 'badge' }),
    list: h('div', { class: 'board-list', dataset: { column: c.key } }),
  }]));
  const doneCount = h('span');
  const doneList = h('div', { class: 'board-list board-done-list' });

  show(container,
    h('div', { class: 'row board-filters' },
      h('h2', {}, t('board.title')),
      h('label', {}, t('board.agency'), agencyFilter),
      h('label', {}, t('board.search'), textFilter),
      h('label', { class: 'inline' }, urgentFilter, t('board.urgentOnly')),
      shown),
    h('div', { class: 'board', id: 'board' }, COLUMNS.map(c => h('section', { class: 'board-column', dataset: { column: c.key } },
      h('h3', {}, t(`board.column.${c.key}`), ' ', columns.get(c.key).count), columns.get(c.key).list))),
    h('details', { class: 'board-done', id: 'board-done' }, h('summary', {}, doneCount), doneList));

  for (const booking of [...open.items, ...done.items]) put(booking, open.clocks?.[booking.id] ?? null);
  layout();

  /** The list's entry for a booking, its card drawn anew (clocks: null keeps the ones known). */
  function put(booking, clocks) {
    const known = entries.get(booking.id);
    const entry = known ?? {};
    if (known && known.booking.state !== booking.state) entry.alert = null;
    entry.booking = booking;
    if (clocks) entry.clocks = clocks;
    const card = drawCard(entry);
    if (entry.card) entry.card.replaceWith(card);
    entry.card = card;
    entries.set(booking.id, entry);
    return entry;
  }

  function drawCard({ booking, clocks, alert }) {
    const request = booking.request;
    const clock = runningClock(clocks);
    const plate = plateOf.get(booking.vehicleID);
    return h('article', {
      class: `booking-card${booking.urgent ? ' urgent' : ''}${alert ? ` alerted ${alert.state}` : ''}`,
      tabindex: 0, role: 'link',
      dataset: { booking: booking.id, state: booking.state, agency: booking.agencyID },
      onclick: () => navigate(`booking/${booking.id}`),
      onkeydown: (event) => { if (event.key === 'Enter') navigate(`booking/${booking.id}`); },
    },
    h('header', {},
      h('strong', { class: 'booking-id' }, `#${booking.id}`),
      booking.urgent ? h('span', { class: 'badge red', dataset: { urgent: '1' } }, t('board.urgent')) : null,
      h('span', { class: 'badge state' }, stateLabel(booking.state)),
      clock ? renderClock(clock) : null),
    h('div', { class: 'meta' }, agencyName.get(booking.agencyID) ?? `#${booking.agencyID}`, ' · ', formatTime(request.pickupTime),
      ' · ', t('board.passengers', { count: request.passengers })),
    h('div', { class: 'route' }, request.pickup.address, ' → ', request.destination.address),
    plate ? h('div', { class: 'plate', dataset: { plate } }, plate) : null,
    alert ? h('div', { class: 'alert-line' }, t('board.alert', { clock: t(`clock.${alert.clock}`) })) : null);
  }

  /** Each card in its column, urgent first, then by pick-up time; finished ones folded. */
  function layout() {
    const sorted = [...entries.values()].sort((a, b) =>
      (b.booking.urgent - a.booking.urgent) || (Date.parse(a.booking.request.pickupTime) - Date.parse(b.booking.request.pickupTime)));
    for (const c of COLUMNS) columns.get(c.key).list.replaceChildren(...sorted.filter(e => c.states.includes(e.booking.state)).map(e => e.card));
    doneList.replaceChildren(...sorted.filter(e => DONE.includes(e.booking.state)).reverse().map(e => e.card));
    applyFilters();
  }

  function matches({ booking }) {
    if (agencyFilter.value && String(booking.agencyID) !== agencyFilter.value) return false;
    if (urgentFilter.checked && !booking.urgent) return false;
    const text = textFilter.value.trim().toLowerCase();
    if (!text) return true;
    const r = booking.request;
    return [`#${booking.id}`, String(booking.id), r.pickup.address, r.destination.address, r.contactName, r.contactPhone,
      plateOf.get(booking.vehicleID), agencyName.get(booking.agencyID)].some(field => field && field.toLowerCase().includes(text));
  }

  function applyFilters() {
    let visible = 0;
    for (const entry of entries.values()) {
      entry.card.hidden = !matches(entry);
      if (!entry.card.hidden) visible += 1;
    }
    for (const c of COLUMNS) columns.get(c.key).count.textContent = String(columns.get(c.key).list.querySelectorAll('.booking-card:not([hidden])').length);
    doneCount.textContent = t('board.done', { count: doneList.querySelectorAll('.booking-card:not([hidden])').length });
    shown.textContent = t('board.shown', { shown: visible, total: entries.size });
  }

  async function refresh(id) {
    if (fetching.has(id)) { fetching.set(id, true); return; }
    fetching.set(id, false);
    try {
      const body = await api.get(`/api/v1/bookings/${id}`);
      if (stopped) return;
      put(body.booking, body.clocks);
      layout();
    } catch (error) {
      if (error.status !== 404) ctx.toast(ctx.explain(error), 'error');
    } finally {
      const again = fetching.get(id);
      fetching.delete(id);
      if (again && !stopped) refresh(id);
    }
  }

  const unsubscribe = [
    live.on('booking', (event) => {
      const known = entries.get(event.id);
      if (known && known.booking.version >= event.version) return;
      refresh(event.id);
    }),
    live.on('alert', (event) => {
      const entry = event.bookingID && entries.get(event.bookingID);
      if (!entry || !event.clock) return;
      entry.alert = { clock: event.clock.clock, state: event.clock.state === 'breached' ? 'red' : 'amber' };
      refresh(event.bookingID);
    }),
    tickClocks(container),
  ];
  return () => { stopped = true; unsubscribe.forEach(stop => stop()); };
}

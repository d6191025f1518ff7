// The wall display: today's bookings by state, the SLA clocks met today, vehicles online and
// open alerts, in type read across a room, one 1920x1080 screen without scrolling. Live from the
// stream (bookings, alerts, each second's positions); the day's service levels and the alarm
// count are asked for again each minute, and everything afresh when the China day turns.
import { h, show } from '../dom.js';
import { register, formatTime } from '../i18n.js';
import { query } from '../api.js';
// The booking states' names (state.*) are the driver's screens' words.
import '../words.js';

register({
  zh: {
    'wall.title': '公务用车运行大屏', 'wall.bookings': '今日订单', 'wall.bookingsSub': '今日上车 · 进行中 {active}',
    'wall.sla': '今日时限达标', 'wall.slaNone': '今日暂无到时的时限', 'wall.online': '在线车辆', 'wall.onlineSub': '共 {total} 辆 · 5 分钟内有定位',
    'wall.alerts': '未处理告警', 'wall.alertsSub': '今日时限超时 {breached} · 预警 {atRisk}',
    'wall.clock.confirmedInTime': '确认', 'wall.clock.matchedInTime': '派车', 'wall.clock.notifiedInTime': '通知', 'wall.clock.onTime': '准时到达',
  },
  en: {
    'wall.title': 'Fleet operations', 'wall.bookings': "Today's bookings", 'wall.bookingsSub': 'Picking up today · {active} under way',
    'wall.sla': 'SLA clocks met today', 'wall.slaNone': 'No clock due yet today', 'wall.online': 'Vehicles online', 'wall.onlineSub': 'of {total} · a fix within 5 min',
    'wall.alerts': 'Open alarms', 'wall.alertsSub': 'Clocks breached today {breached} · at risk {atRisk}',
    'wall.clock.confirmedInTime': 'Confirm', 'wall.clock.matchedInTime': 'Match', 'wall.clock.notifiedInTime': 'Notify', 'wall.clock.onTime': 'On site',
  },
});

const shownStates = ['received', 'confirmed', 'matched', 'notified', 'enRoute', 'onSite', 'inService', 'completed', 'cancelled', 'replaced'];
const openStates = ['awaitingApproval', 'received', 'confirmed', 'matched', 'notified', 'enRoute', 'onSite', 'inService', 'replaced'];
const activeStates = ['enRoute', 'onSite', 'inService'];
const onlineSeconds = 5 * 60;
const dayMilliseconds = 86_400_000;
const chinaOffset = 8 * 3_600_000;

/** Midnight of today in China, as a Date. */
function chinaDayStart(now = Date.now()) {
  return new Date(Math.floor((now + chinaOffset) / dayMilliseconds) * dayMilliseconds - chinaOffset);
}

/** Whether a pick-up time falls on the China day starting at `start`. */
function onDay(time, start) {
  const at = new Date(time).getTime();
  return at >= start.getTime() && at < start.getTime() + dayMilliseconds;
}

export async function render(container, ctx) {
  const { api, live, t } = ctx;
  const bookings = new Map(); // id -> state, for bookings picking up today
  let positions = [];
  let levels = {};
  let alarms = 0;
  let slaAlerts = [];
  let day = chinaDayStart();

  const value = (id) => h('div', { class: 'value', id });
  const now = h('div', { class: 'now', id: 'wall-now' });
  const tiles = {
    bookings: value('wall-bookings'), bookingsSub: h('div', { class: 'sub' }),
    sla: value('wall-sla'), slaSub: h('div', { class: 'clocks', id: 'wall-clocks' }),
    online: value('wall-online'), onlineSub: h('div', { class: 'sub', id: 'wall-online-sub' }),
    alerts: value('wall-alerts'), alertsSub: h('div', { class: 'sub' }),
  };
  const tile = (name, main, sub, id) => h('div', { class: 'tile', id }, h('div', { class: 'name' }, name), main, sub);
  const slaTile = tile(t('wall.sla'), tiles.sla, tiles.slaSub, 'tile-sla');
  const alertTile = tile(t('wall.alerts'), tiles.alerts, tiles.alertsSub, 'tile-alerts');
  const stateCells = Object.fromEntries(shownStates.map(state => [state, h('div', { class: 'value', 'data-count': state })]));
  container.append(h('div', { class: 'wall' },
    h('header', {}, h('h1', {}, t('wall.title')), now),
    h('div', { class: 'tiles' },
      tile(t('wall.bookings'), tiles.bookings, tiles.bookingsSub, 'tile-bookings'), slaTile,
      tile(t('wall.online'), tiles.online, tiles.onlineSub, 'tile-online'), alertTile),
    h('div', { class: 'states' }, shownStates.map(state => h('div', { class: 'state' }, h('div', { class: 'name' }, t(`state.${state}`)), stateCells[state])))));

  function drawBookings() {
    const counts = {};
    for (const state of bookings.values()) counts[state] = (counts[state] ?? 0) + 1;
    tiles.bookings.textContent = String(bookings.size);
    tiles.bookingsSub.textContent = t('wall.bookingsSub', { active: activeStates.reduce((sum, s) => sum + (counts[s] ?? 0), 0) });
    for (const state of shownStates) stateCells[state].textContent = String(counts[state] ?? 0);
  }

  function drawOnline() {
    const cutoff = Date.now() - onlineSeconds * 1000;
    const online = positions.filter(p => new Date(p.time).getTime() >= cutoff).length;
    tiles.online.textContent = String(online);
    tiles.online.dataset.total = String(positions.length);
    tiles.onlineSub.textContent = t('wall.onlineSub', { total: positions.length });
    now.textContent = formatTime(Date.now(), { seconds: true });
  }

  function drawLevels() {
    // The report gives each clock's share met in basis points; the headline is the worst one.
    const items = ['confirmedInTime', 'matchedInTime', 'notifiedInTime', 'onTime'].filter(item => item in levels);
    const percent = (bp) => `${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, '0').slice(0, 1)}%`;
    if (items.length === 0) {
      tiles.sla.textContent = '—';
      show(tiles.slaSub, t('wall.slaNone'));
    } else {
      const worst = Math.min(...items.map(item => levels[item]));
      tiles.sla.textContent = percent(worst);
      slaTile.className = `tile ${worst >= 9500 ? 'ok' : worst >= 9000 ? 'amber' : 'red'}`;
      show(tiles.slaSub, items.map(item => h('span', { 'data-clock': item }, `${t(`wall.clock.${item}`)} ${percent(levels[item])}`)));
    }
  }

  function drawAlerts() {
    const today = slaAlerts.filter(alert => new Date(alert.raisedAt) >= day);
    const breached = today.filter(alert => alert.state === 'breached').length;
    tiles.alerts.textContent = String(alarms);
    tiles.alertsSub.textContent = t('wall.alertsSub', { breached, atRisk: today.length - breached });
    alertTile.className = `tile ${alarms > 0 || breached > 0 ? 'red' : 'ok'}`;
  }

  /** Every booking picking up today: those still open (booked any day before) and those changed today. */
  async function loadBookings() {
    const found = new Map();
    for (const parameters of [{ state: openStates.join(',') }, { updatedSince: day.toISOString() }]) {
      let before;
      do {
        const page = await api.get(`/api/v1/bookings${query({ ...parameters, limit: 500, before })}`);
        for (const booking of page.items) if (onDay(booking.request.pickupTime, day)) found.set(booking.id, booking.state);
        before = page.next;
      } while (before);
    }
    bookings.clear();
    for (const [id, state] of found) bookings.set(id, state);
    drawBookings();
  }

  async function loadLevels() {
    const [report, open, alerts] = await Promise.all([
      api.get('/api/v1/reports/daily'),
      api.get('/api/v1/events?open=true&limit=500'),
      api.get(`/api/v1/alerts${query({ since: day.toISOString(), limit: 500 })}`),
    ]);
    levels = report.serviceLevels ?? {};
    alarms = open.length;
    slaAlerts = alerts;
    drawLevels();
    drawAlerts();
  }

  async function loadPositions() {
    positions = await api.get('/api/v1/positions/latest');
    drawOnline();
  }

  await Promise.all([loadBookings(), loadLevels(), loadPositions()]);

  const stops = [];
  // The auditor has no live stream (GET /api/v1/stream is the operators' and agencies'): their wall asks each few seconds instead.
  if (ctx.user.role !== 'auditor') {
    stops.push(live.on('booking', event => {
      if (onDay(event.pickupTime, day)) bookings.set(event.id, event.state);
      else bookings.delete(event.id);
      drawBookings();
    }));
    stops.push(live.on('positions', batch => { positions = batch; drawOnline(); }));
    stops.push(live.on('alert', () => { loadLevels().catch(() => {}); }));
  }
  const quiet = (promise) => promise.catch(() => { /* the next tick tries again; the live dot shows a lost server */ });
  const ticks = [
    setInterval(() => {
      drawOnline();
      if (chinaDayStart().getTime() !== day.getTime()) { day = chinaDayStart(); quiet(loadBookings()); quiet(loadLevels()); }
    }, 1000),
    setInterval(() => quiet(loadLevels()), 60_000),
  ];
  if (ctx.user.role === 'auditor') ticks.push(setInterval(() => { quiet(loadPositions()); quiet(loadBookings()); }, 10_000));
  return () => { stops.forEach(stop => stop()); ticks.forEach(clearInterval); };
}

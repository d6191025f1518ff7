// The live map: every vehicle where it is now, by state, moving each second with the live
// stream's batch; beside it the counts per state (a click shows only that state), a search by
// plate, and the vehicles out of service with their reasons.
import { h, show, table } from '../../dom.js';
import { register } from '../../i18n.js';
import { createMap } from '../../map.js';
import { vehicleLayer, states } from '../../vehicles.js';

register({
  zh: {
    'liveMap.states': '车辆状态', 'liveMap.all': '全部', 'liveMap.search': '按车牌查找', 'liveMap.find': '定位',
    'liveMap.noSuchPlate': '地图上没有车牌为 {plate} 的车辆：请检查车牌，或该车尚无定位',
    'liveMap.out': '停用车辆及原因', 'liveMap.plate': '车牌', 'liveMap.reasons': '原因',
  },
  en: {
    'liveMap.states': 'Vehicles by state', 'liveMap.all': 'All', 'liveMap.search': 'Find by plate', 'liveMap.find': 'Find',
    'liveMap.noSuchPlate': 'No vehicle with plate {plate} on the map: check the plate, or it has no position yet',
    'liveMap.out': 'Out of service, and why', 'liveMap.plate': 'Plate', 'liveMap.reasons': 'Reasons',
  },
});

// Bookings whose crew has a car committed: from the match until the trip ends.
const withCar = ['matched', 'notified', 'enRoute', 'onSite', 'inService'];
// The jobs are read again at most this often however many bookings move.
const jobsEvery = 5_000;
// Files change by the hour (a policy, a repair); read again each minute.
const filesEvery = 60_000;

export async function render(container, ctx) {
  const { api, live, t, toast, explain } = ctx;
  const mapBox = h('div', { class: 'map', id: 'live-map' });
  const countsBox = h('div', { class: 'state-counts', id: 'state-counts' });
  const outBox = h('div', { id: 'out-of-service' });
  const plates = h('datalist', { id: 'map-plates' });
  const search = h('input', { id: 'plate-search', list: 'map-plates', autocomplete: 'off', maxlength: 16 });
  const form = h('form', { class: 'row', onsubmit: (event) => {
    event.preventDefault();
    const plate = search.value.trim();
    if (plate && !layer.focus(plate)) toast(t('liveMap.noSuchPlate', { plate }), 'error');
  } }, h('label', {}, t('liveMap.search'), search), h('button', { type: 'submit' }, t('liveMap.find')), plates);
  show(container, h('div', { class: 'live-map' }, mapBox, h('aside', { class: 'side map-side' },
    h('div', { class: 'card' }, h('h2', {}, t('liveMap.states')), countsBox),
    h('div', { class: 'card' }, form),
    h('div', { class: 'card' }, h('h2', {}, t('liveMap.out')), outBox))));

  let filter = null;
  const buttons = new Map();
  const total = h('button', { class: 'state-count active', dataset: { state: 'all', count: '0' }, onclick: () => choose(null) },
    h('span', { class: 'label' }, t('liveMap.all')), h('span', { class: 'count' }, '0'));
  for (const state of states) {
    buttons.set(state, h('button', { class: `state-count state-${state}`, dataset: { state, count: '0' }, onclick: () => choose(filter === state ? null : state) },
      h('span', { class: 'swatch' }), h('span', { class: 'label' }, t(`vehicles.${state}`)), h('span', { class: 'count' }, '0')));
  }
  show(countsBox, total, [...buttons.values()]);

  function choose(state) {
    filter = state;
    layer.setFilter(state ? [state] : null);
    total.classList.toggle('active', !state);
    for (const [name, button] of buttons) button.classList.toggle('active', name === state);
  }

  function showCounts(counts) {
    let sum = 0;
    for (const [state, button] of buttons) {
      sum += counts[state];
      if (button.dataset.count === String(counts[state])) continue;
      button.dataset.count = String(counts[state]);
      button.querySelector('.count').textContent = String(counts[state]);
    }
    total.dataset.count = String(sum);
    total.querySelector('.count').textContent = String(sum);
  }

  const base = createMap(mapBox, ctx);
  const layer = vehicleLayer(base, { onCounts: showCounts });
  // The tests read the layer through this; nothing of the console does.
  window.fleetVehicles = layer;

  let vehicles = [];
  let onJob = new Set();
  function applyStandings() {
    layer.setStandings(new Map(vehicles.map(v => [v.file.id, {
      standing: !v.dispatchable ? 'out' : v.file.reserve ? 'reserve' : 'free', reasons: v.reasons, onJob: onJob.has(v.file.id),
    }])));
    const out = vehicles.filter(v => !v.dispatchable);
    show(outBox, table([
      [t('liveMap.plate'), v => h('button', { class: 'link', dataset: { plate: v.file.plate }, onclick: () => layer.focus(v.file.plate) }, v.file.plate)],
      [t('liveMap.reasons'), v => h('ul', { class: 'reasons' }, v.reasons.map(reason => h('li', {}, reason)))],
    ], out, { empty: t('empty'), rowAttributes: v => ({ dataset: { out: v.file.plate } }) }));
    show(plates, vehicles.map(v => h('option', { value: v.file.plate })));
  }

  async function readFiles() { vehicles = await api.get('/api/v1/vehicles'); }
  async function readJobs() {
    const page = await api.get(`/api/v1/bookings?state=${withCar.join(',')}&limit=500`);
    onJob = new Set(page.items.filter(b => b.vehicleID != null).map(b => b.vehicleID));
  }

  const [positions] = await Promise.all([api.get('/api/v1/positions/latest'), readFiles(), readJobs()]);
  applyStandings();
  layer.update(positions.filter(p => p.vehicleID != null));

  // A burst of booking events makes one read, at most every jobsEvery, the last event included.
  let jobsTimer = null, lastJobs = Date.now();
  function jobsChanged() {
    if (jobsTimer) return;
    jobsTimer = setTimeout(async () => {
      jobsTimer = null; lastJobs = Date.now();
      try { await readJobs(); applyStandings(); } catch (error) { toast(explain(error), 'error'); }
    }, Math.max(0, lastJobs + jobsEvery - Date.now()));
  }
  const filesTimer = setInterval(async () => {
    try { await readFiles(); applyStandings(); } catch (error) { toast(explain(error), 'error'); }
  }, filesEvery);

  // The stream is the dispatchers' and administrators'; an auditor's map reads the same batch
  // each second (the answer's ETag keeps that cheap) and the jobs every jobsEvery.
  const stops = [];
  if (ctx.user.role === 'auditor') {
    const poll = (every, read) => { const timer = setInterval(() => read().catch(error => toast(explain(error), 'error')), every); stops.push(() => clearInterval(timer)); };
    poll(1_000, async () => layer.update((await api.get('/api/v1/positions/latest')).filter(p => p.vehicleID != null)));
    poll(jobsEvery, async () => { await readJobs(); applyStandings(); });
  } else {
    stops.push(live.on('positions', batch => layer.update(batch)), live.on('booking', jobsChanged));
  }
  return () => {
    for (const stop of stops) stop();
    clearTimeout(jobsTimer);
    clearInterval(filesTimer);
    if (window.fleetVehicles === layer) delete window.fleetVehicles;
    layer.remove();
    base.map.remove();
  };
}

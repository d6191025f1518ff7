// The fleet on the map, drawn on one canvas: each vehicle a dot in its state's colour, an arrow
// along its heading while it moves, and where vehicles crowd, a grid cell's vehicles drawn as one
// ring showing the mix of states and their number. One element per car (Leaflet.markercluster's
// DOM markers, Traccar's way) costs style, layout and memory per vehicle and slows past a thousand;
// a canvas redraw of 5,000 costs a few milliseconds (BENCHMARKS.md, "Console map, 5,000 vehicles").
import { h } from './dom.js';
import { t, register, formatTime } from './i18n.js';
import { wgsToGcj } from './geo.js';

register({
  zh: {
    'vehicles.free': '空闲', 'vehicles.onJob': '任务中', 'vehicles.reserve': '备用', 'vehicles.out': '停用', 'vehicles.silent': '失联',
    'vehicles.speed': '速度', 'vehicles.time': '定位时间', 'vehicles.file': '车辆档案', 'vehicles.kmh': '{speed} km/h',
    'vehicles.silentFor': '{minutes} 分钟无定位',
  },
  en: {
    'vehicles.free': 'Free', 'vehicles.onJob': 'On a job', 'vehicles.reserve': 'Reserve', 'vehicles.out': 'Out of service', 'vehicles.silent': 'Silent',
    'vehicles.speed': 'Speed', 'vehicles.time': 'Position time', 'vehicles.file': 'Vehicle file', 'vehicles.kmh': '{speed} km/h',
    'vehicles.silentFor': 'no position for {minutes} min',
  },
});

/** The states a vehicle is drawn in, in the order the panel lists them. */
export const states = ['free', 'onJob', 'reserve', 'out', 'silent'];
const stateIndex = Object.fromEntries(states.map((s, i) => [s, i]));
export const stateColours = { free: '#2f855a', onJob: '#1f6feb', reserve: '#805ad5', out: '#c53030', silent: '#9aa5b1' };

/** A terminal heard from longer ago than this is silent, whatever its file says. */
export const silentAfterMs = 5 * 60_000;
const cellPx = 80;            // the clustering grid's cell, in screen pixels
const clusterFrom = 3;        // this many vehicles in a cell are drawn as one group
const singleFromZoom = 16;    // from this zoom every vehicle is drawn on its own
const hitPx = 12;             // how near a click must land
const padding = 0.1;          // the canvas reaches this far past the view, so a pan shows no gap

/**
 * Milliseconds of an ISO 8601 time in UTC as the server writes them (2026-12-03T19:03:52Z, a
 * fraction allowed), read digit by digit: Date.parse costs 2 ms a second for 5,000 vehicles,
 * a third of the update. Any other form goes to Date.parse.
 */
export function isoMs(text) {
  const last = text.length - 1;
  if (last < 19 || text.charCodeAt(10) !== 84 || text.charCodeAt(last) !== 90 || (last > 19 && text.charCodeAt(19) !== 46)) return Date.parse(text);
  let y = digits(text, 0, 4);
  const m = digits(text, 5, 2), d = digits(text, 8, 2);
  // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400), yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const days = era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
  const fraction = last > 20 ? digits(text, 20, Math.min(3, last - 20)) * 10 ** (3 - Math.min(3, last - 20)) : 0;
  return ((days * 24 + digits(text, 11, 2)) * 60 + digits(text, 14, 2)) * 60_000 + digits(text, 17, 2) * 1000 + fraction;
}

function digits(text, at, count) {
  let value = 0;
  for (let i = at; i < at + count; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

/**
 * The vehicle layer on `base` (createMap's result). `update(batch)` takes positions as the API
 * and the live stream give them ({vehicleID, plate, time, latitude, longitude, speedKmh,
 * course}) and redraws at once; `setStandings(byVehicleID)` gives each vehicle's file standing
 * ({standing: 'free'|'reserve'|'out', reasons, onJob}). `onCounts(counts)` hears the vehicles
 * per state after every change.
 */
export function vehicleLayer(base, { onCounts = () => {}, clock = () => Date.now() } = {}) {
  const { map } = base;
  // GCJ-02 tiles shift each position; WGS-84 ones take it as it is, with no object per point.
  const shift = base.crs === 'gcj02' ? wgsToGcj : null;
  const list = [];              // vehicles in the order first seen
  const byID = new Map();
  let standings = new Map();
  let filter = null;            // a Set of states shown, or null for all
  let counts = Object.fromEntries(states.map(s => [s, 0]));
  let popup = null;             // { vehicle, popup } while one is open
  // The view the canvas was laid out for: redrawn on each update and each move's end.
  const view = { scale: 0, ox: 0, oy: 0, width: 0, height: 0, zoom: 0, left: 0, top: 0 };
  const hits = { x: [], y: [], target: [] };   // what was drawn where: a vehicle, or a cell's group
  const byState = Object.fromEntries(states.map(s => [s, []]));
  let grid = null;

  const pane = map.getPane('fleetVehicles') ?? map.createPane('fleetVehicles');
  pane.style.zIndex = 450;
  pane.style.pointerEvents = 'none';
  const canvas = L.DomUtil.create('canvas', 'fleet-vehicles leaflet-zoom-hide', pane);
  const context = canvas.getContext('2d');

  function place(v, p) {
    v.latitude = p.latitude; v.longitude = p.longitude;
    if (shift) [v.screenLat, v.screenLon] = shift(p.latitude, p.longitude);
    else { v.screenLat = p.latitude; v.screenLon = p.longitude; }
    // Web Mercator at zoom 0 (0..1): a draw only scales and shifts it.
    const lat = Math.max(-85.0511287798, Math.min(85.0511287798, v.screenLat)) * Math.PI / 180;
    v.mx = (v.screenLon + 180) / 360;
    v.my = 0.5 - Math.log(Math.tan(Math.PI / 4 + lat / 2)) / (2 * Math.PI);
  }

  function classify(v, now) {
    const standing = standings.get(v.id);
    v.reasons = standing?.reasons ?? [];
    // Silent first: a stale dot misleads whatever the file says; then the job the car is on;
    // then why it cannot be sent; then whether it is kept back.
    if (now - v.time > silentAfterMs) v.state = 'silent';
    else if (standing?.onJob) v.state = 'onJob';
    else v.state = standing?.standing ?? 'free';
  }

  function reclassify() {
    const now = clock();
    counts = Object.fromEntries(states.map(s => [s, 0]));
    for (const v of list) { classify(v, now); counts[v.state] += 1; }
    onCounts(counts);
  }

  function layout() {
    const size = map.getSize();
    const topLeft = map.containerPointToLayerPoint([-size.x * padding, -size.y * padding]).round();
    const width = Math.round(size.x * (1 + 2 * padding)), height = Math.round(size.y * (1 + 2 * padding));
    const ratio = window.devicePixelRatio || 1;
    L.DomUtil.setPosition(canvas, topLeft);
    if (canvas.width !== width * ratio || canvas.height !== height * ratio) {
      canvas.width = width * ratio; canvas.height = height * ratio;
      canvas.style.width = `${width}px`; canvas.style.height = `${height}px`;
    }
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    const origin = map.getPixelOrigin();
    view.zoom = map.getZoom();
    view.scale = map.options.crs.scale(view.zoom);
    view.ox = origin.x + topLeft.x; view.oy = origin.y + topLeft.y;
    view.width = width; view.height = height; view.left = topLeft.x; view.top = topLeft.y;
    const columns = Math.ceil(width / cellPx), rows = Math.ceil(height / cellPx);
    if (!grid || grid.columns !== columns || grid.rows !== rows) {
      const cells = columns * rows;
      grid = { columns, rows, count: new Int32Array(cells), sx: new Float64Array(cells), sy: new Float64Array(cells), mix: new Int32Array(cells * states.length) };
    }
    draw();
  }

  function draw() {
    const { scale, ox, oy, width, height } = view;
    context.clearRect(0, 0, width, height);
    hits.x.length = 0; hits.y.length = 0; hits.target.length = 0;
    for (const s of states) byState[s].length = 0;
    const clustering = view.zoom < singleFromZoom;
    const { columns, count, sx, sy, mix } = grid;
    if (clustering) { count.fill(0); sx.fill(0); sy.fill(0); mix.fill(0); }
    const shown = [];
    for (const v of list) {
      if (filter && !filter.has(v.state)) continue;
      const x = v.mx * scale - ox, y = v.my * scale - oy;
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      v.x = x; v.y = y;
      shown.push(v);
      if (clustering) {
        const cell = Math.floor(x / cellPx) + Math.floor(y / cellPx) * columns;
        v.cell = cell;
        count[cell] += 1; sx[cell] += x; sy[cell] += y; mix[cell * states.length + stateIndex[v.state]] += 1;
      }
    }
    for (const v of shown) {
      if (clustering && count[v.cell] >= clusterFrom) continue;
      byState[v.state].push(v);
      hits.x.push(v.x); hits.y.push(v.y); hits.target.push(v);
    }
    context.lineWidth = 1.5;
    context.strokeStyle = '#ffffff';
    for (const s of states) {
      if (byState[s].length === 0) continue;
      context.fillStyle = stateColours[s];
      context.beginPath();
      for (const v of byState[s]) shape(v);
      context.fill();
      context.stroke();
    }
    if (clustering) drawGroups();
  }

  // A moving vehicle is an arrow along its course (degrees clockwise from north); a stopped
  // one, whose course means nothing, a dot.
  function shape(v) {
    if (v.speed < 1) {
      context.moveTo(v.x + 5, v.y);
      context.arc(v.x, v.y, 5, 0, 2 * Math.PI);
      return;
    }
    // Tip 9 px ahead, wings 6 px behind and 5.5 px aside, a notch 3 px behind; no allocation
    // per vehicle, as this runs 5,000 times a second.
    const angle = (v.course ?? 0) * Math.PI / 180;
    const sin = Math.sin(angle), cos = Math.cos(angle), x = v.x, y = v.y;
    context.moveTo(x + 9 * sin, y - 9 * cos);
    context.lineTo(x - 6 * sin - 5.5 * cos, y + 6 * cos - 5.5 * sin);
    context.lineTo(x - 3 * sin, y + 3 * cos);
    context.lineTo(x - 6 * sin + 5.5 * cos, y + 6 * cos + 5.5 * sin);
    context.closePath();
  }

  // Every group at once: a white disc each in one path, then each state's arcs of every ring in
  // one path of its own, then the numbers; a few paths a frame however many groups.
  function drawGroups() {
    const { count, sx, sy, mix } = grid;
    const groups = [];
    for (let cell = 0; cell < count.length; cell++) {
      const n = count[cell];
      if (n < clusterFrom) continue;
      const x = sx[cell] / n, y = sy[cell] / n;
      groups.push({ cell, n, x, y, radius: 11 + Math.min(12, Math.log2(n) * 2), angle: -Math.PI / 2 });
      hits.x.push(x); hits.y.push(y); hits.target.push({ group: true, x, y });
    }
    context.fillStyle = 'rgba(255,255,255,0.92)';
    context.beginPath();
    for (const g of groups) { context.moveTo(g.x + g.radius, g.y); context.arc(g.x, g.y, g.radius, 0, 2 * Math.PI); }
    context.fill();
    context.lineWidth = 5;
    for (let i = 0; i < states.length; i++) {
      context.strokeStyle = stateColours[states[i]];
      context.beginPath();
      for (const g of groups) {
        const share = mix[g.cell * states.length + i];
        if (share === 0) continue;
        const end = g.angle + 2 * Math.PI * share / g.n;
        context.moveTo(g.x + g.radius * Math.cos(g.angle), g.y + g.radius * Math.sin(g.angle));
        context.arc(g.x, g.y, g.radius, g.angle, end);
        g.angle = end;
      }
      context.stroke();
    }
    context.font = '600 11px system-ui, sans-serif';
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    context.fillStyle = '#1f2933';
    for (const g of groups) context.fillText(String(g.n), g.x, g.y);
  }

  function hitAt(point) {
    const layer = map.containerPointToLayerPoint(point);
    const x = layer.x - view.left, y = layer.y - view.top;
    let best = null, bestDistance = hitPx * hitPx;
    for (let i = 0; i < hits.x.length; i++) {
      const dx = hits.x[i] - x, dy = hits.y[i] - y, d = dx * dx + dy * dy;
      if (d <= bestDistance) { best = hits.target[i]; bestDistance = d; }
    }
    return best;
  }

  function onClick(event) {
    const target = hitAt(event.containerPoint);
    if (!target) return;
    if (target.group) {
      const centre = map.layerPointToLatLng([target.x + view.left, target.y + view.top]);
      map.setView(centre, Math.min(map.getZoom() + 2, map.getMaxZoom()));
    } else {
      open(target);
    }
  }

  function onHover(event) {
    map.getContainer().style.cursor = hitAt(event.containerPoint) ? 'pointer' : '';
  }

  function card(v) {
    const minutes = Math.floor((clock() - v.time) / 60_000);
    return h('div', { class: 'vehicle-card', dataset: { vehicle: v.plate, state: v.state } },
      h('strong', {}, v.plate), ' ',
      h('span', { class: `badge state-${v.state}` }, t(`vehicles.${v.state}`)),
      v.state === 'silent' ? h('div', { class: 'reason' }, t('vehicles.silentFor', { minutes })) : null,
      v.reasons.length && (v.state === 'out' || v.state === 'silent') ? h('ul', { class: 'reasons' }, v.reasons.map(r => h('li', {}, r))) : null,
      h('div', {}, `${t('vehicles.speed')}: ${t('vehicles.kmh', { speed: v.speed.toFixed(0) })}`),
      h('div', {}, `${t('vehicles.time')}: ${formatTime(v.time, { seconds: true })}`),
      h('a', { href: `#/vehicle/${encodeURIComponent(v.plate)}` }, t('vehicles.file')));
  }

  function open(v) {
    const shown = L.popup({ autoPan: true, closeButton: true }).setLatLng([v.screenLat, v.screenLon]).setContent(card(v)).openOn(map);
    popup = { vehicle: v, popup: shown };
    shown.on('remove', () => { if (popup?.popup === shown) popup = null; });
  }

  function refreshPopup() {
    if (!popup) return;
    popup.popup.setLatLng([popup.vehicle.screenLat, popup.vehicle.screenLon]).setContent(card(popup.vehicle));
  }

  map.on('moveend zoomend resize viewreset', layout);
  map.on('click', onClick);
  map.on('mousemove', onHover);
  layout();

  return {
    /** Positions in: vehicles moved, states re-judged, the canvas redrawn. */
    update(batch) {
      for (const p of batch) {
        let v = byID.get(p.vehicleID);
        if (!v) {
          v = { id: p.vehicleID, plate: p.plate, time: 0, timeText: '', reasons: [], state: 'free' };
          byID.set(v.id, v); list.push(v);
        }
        if (v.latitude !== p.latitude || v.longitude !== p.longitude) place(v, p);
        v.speed = p.speedKmh ?? 0;
        v.course = p.course ?? 0;
        if (v.timeText !== p.time) { v.timeText = p.time; v.time = isoMs(p.time); }
      }
      reclassify();
      draw();
      refreshPopup();
    },
    /** Each vehicle's standing by id: { standing: 'free'|'reserve'|'out', reasons: [..], onJob }. */
    setStandings(next) {
      standings = next;
      reclassify();
      draw();
    },
    /** Only vehicles in these states drawn (null: all). */
    setFilter(shown) { filter = shown ? new Set(shown) : null; draw(); },
    counts: () => ({ ...counts }),
    /** Centres the map on the vehicle with this plate and opens its card; false if none. */
    focus(plate) {
      const wanted = plate.trim().toUpperCase();
      const v = list.find(item => item.plate?.toUpperCase() === wanted) ?? list.find(item => item.plate?.toUpperCase().includes(wanted));
      if (!v) return false;
      map.setView([v.screenLat, v.screenLon], Math.max(map.getZoom(), singleFromZoom));
      open(v);
      return true;
    },
    /** What the layer holds, for tests and the benchmark. */
    snapshot: () => list.map(v => ({ id: v.id, plate: v.plate, latitude: v.latitude, longitude: v.longitude, time: v.timeText, state: v.state, course: v.course })),
    remove() {
      map.off('moveend zoomend resize viewreset', layout);
      map.off('click', onClick);
      map.off('mousemove', onHover);
      popup?.popup.remove();
      canvas.remove();
    },
  };
}

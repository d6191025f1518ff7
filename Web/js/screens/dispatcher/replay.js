// Replay: one or several vehicles' stored tracks over a period, each drawn coloured by speed,
// with its stops (stationary 3 minutes or more), distance and speeds, and a time slider that
// moves each vehicle's marker to where it was at that moment, by hand or playing at x10 or x60.
import { h, show, table } from '../../dom.js';
import { register, formatTime, formatDuration } from '../../i18n.js';
import { createMap } from '../../map.js';
import { metres } from '../../geo.js';

register({
  zh: {
    'replay.vehicles': '车辆（可多选）', 'replay.from': '开始', 'replay.to': '结束', 'replay.show': '显示轨迹',
    'replay.pickVehicle': '请至少选择一辆车', 'replay.badPeriod': '结束须晚于开始，且相隔不超过 7 天：请修改时段',
    'replay.summary': '里程与速度', 'replay.plate': '车牌', 'replay.km': '里程 (km)', 'replay.max': '最高 (km/h)',
    'replay.avg': '平均 (km/h)', 'replay.avgHelp': '行驶中的平均速度：里程 ÷ 行驶时间（不含停车）', 'replay.points': '点数',
    'replay.stops': '停车（≥3 分钟）', 'replay.where': '位置', 'replay.when': '起止', 'replay.duration': '时长',
    'replay.play': '播放', 'replay.pause': '暂停', 'replay.noPoints': '{plate} 在此时段没有轨迹点',
    'replay.speed': '速度 (km/h)', 'replay.thinned': '轨迹已抽稀：每 {seconds} 秒至多一个点',
  },
  en: {
    'replay.vehicles': 'Vehicles (several allowed)', 'replay.from': 'From', 'replay.to': 'To', 'replay.show': 'Show tracks',
    'replay.pickVehicle': 'Choose at least one vehicle', 'replay.badPeriod': 'The end must come after the start, at most 7 days later: change the period',
    'replay.summary': 'Distance and speed', 'replay.plate': 'Plate', 'replay.km': 'Distance (km)', 'replay.max': 'Max (km/h)',
    'replay.avg': 'Avg (km/h)', 'replay.avgHelp': 'Average while moving: distance ÷ time moving (stops left out)', 'replay.points': 'Points',
    'replay.stops': 'Stops (3 min or more)', 'replay.where': 'Where', 'replay.when': 'From–to', 'replay.duration': 'Length',
    'replay.play': 'Play', 'replay.pause': 'Pause', 'replay.noPoints': '{plate} has no track in this period',
    'replay.speed': 'Speed (km/h)', 'replay.thinned': 'Track thinned: at most one point per {seconds} s',
  },
});

const hour = 3_600_000;
const maxPeriod = 7 * 24 * hour;     // the track API's limit
const stopSeconds = 180;             // stationary this long is a stop
const gapMs = 5 * 60_000;            // no fix for longer: the marker waits at the last one
// About 20,000 points a vehicle at most, however long the period: thin beyond that.
const pointsWanted = 20_000;
const bands = [
  { below: 20, colour: '#2b6cb0', label: '<20' }, { below: 40, colour: '#38a169', label: '20-40' },
  { below: 60, colour: '#d69e2e', label: '40-60' }, { below: 80, colour: '#dd6b20', label: '60-80' },
  { below: Infinity, colour: '#c53030', label: '≥80' },
];
const band = (speed) => bands.findIndex(b => speed < b.below);

// The form's clock is China time whatever the browser's zone: datetime-local values are read
// and written as UTC+8 wall time.
const chinaOffset = 8 * hour;
const toWall = (ms) => new Date(ms + chinaOffset).toISOString().slice(0, 16);
const fromWall = (text) => Date.parse(`${text}:00+08:00`);
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Distance, speeds and stops of one track's points (oldest first). */
function analyse(points) {
  let distance = 0, moving = 0, max = 0;
  const stops = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    max = Math.max(max, p.speedKmh);
    if (i > 0) {
      const q = points[i - 1];
      distance += metres(q.latitude, q.longitude, p.latitude, p.longitude);
      if (q.speedKmh > 0 || p.speedKmh > 0) moving += (p.ms - q.ms) / 1000;
    }
  }
  for (let i = 0; i < points.length; i++) {
    if (points[i].speedKmh !== 0) continue;
    let j = i;
    while (j + 1 < points.length && points[j + 1].speedKmh === 0) j++;
    // The stop lasts until the first fix moving again, or the last still one.
    const end = j + 1 < points.length ? points[j + 1].ms : points[j].ms;
    if ((end - points[i].ms) / 1000 >= stopSeconds) {
      stops.push({ latitude: points[i].latitude, longitude: points[i].longitude, from: points[i].ms, to: end, seconds: (end - points[i].ms) / 1000 });
    }
    i = j;
  }
  return { distance, max, average: moving > 0 ? distance / moving * 3.6 : 0, stops };
}

/** Where a track was at `ms`: between its two fixes, unless they are a gap apart. */
function positionAt(points, ms) {
  if (ms <= points[0].ms) return points[0];
  const last = points[points.length - 1];
  if (ms >= last.ms) return last;
  let low = 0, high = points.length - 1;
  while (high - low > 1) { const mid = (low + high) >> 1; if (points[mid].ms <= ms) low = mid; else high = mid; }
  const a = points[low], b = points[high];
  if (b.ms - a.ms > gapMs) return a;
  const f = (ms - a.ms) / (b.ms - a.ms);
  return { latitude: a.latitude + (b.latitude - a.latitude) * f, longitude: a.longitude + (b.longitude - a.longitude) * f, speedKmh: a.speedKmh };
}

export async function render(container, ctx) {
  const { api, t, toast, explain } = ctx;
  const now = Date.now();
  const plates = h('select', { id: 'replay-plates', multiple: true, size: 8 });
  const from = h('input', { id: 'replay-from', type: 'datetime-local', value: toWall(now - 4 * hour), required: true });
  const to = h('input', { id: 'replay-to', type: 'datetime-local', value: toWall(now), required: true });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const results = h('div', { id: 'replay-results' });
  const mapBox = h('div', { class: 'map', id: 'replay-map' });
  const slider = h('input', { id: 'replay-slider', type: 'range', min: 0, max: 0, step: 1, value: 0, disabled: true });
  const clock = h('output', { id: 'replay-time' }, '—');
  const play = h('button', { id: 'replay-play', type: 'button', disabled: true }, t('replay.play'));
  const pace = h('select', { id: 'replay-pace' }, h('option', { value: 10 }, '×10'), h('option', { value: 60 }, '×60'));
  const form = h('form', { id: 'replay-form', onsubmit: (event) => { event.preventDefault(); load(); } },
    h('label', {}, t('replay.vehicles'), plates),
    h('label', {}, t('replay.from'), from),
    h('label', {}, t('replay.to'), to),
    message,
    h('button', { type: 'submit', class: 'primary' }, t('replay.show')));
  show(container, h('div', { class: 'replay' },
    h('div', { class: 'replay-main' }, mapBox,
      h('div', { class: 'replay-clock card' }, play, pace, slider, clock,
        h('span', { class: 'speed-legend' }, t('replay.speed'), bands.map(b => { const item = h('span', {}, b.label); item.style.color = b.colour; return item; })))),
    h('aside', { class: 'side replay-side' }, h('div', { class: 'card' }, form), results)));

  const base = createMap(mapBox, ctx);
  const drawn = L.featureGroup().addTo(base.map);
  let tracks = [];        // { plate, points, marker }
  let start = 0;
  let timer = null;

  try {
    const vehicles = await api.get('/api/v1/vehicles');
    show(plates, vehicles.map(v => v.file.plate).sort().map(plate => h('option', { value: plate }, plate)));
  } catch (error) {
    toast(explain(error), 'error');
  }

  function pause() { clearInterval(timer); timer = null; play.textContent = t('replay.play'); }

  function moveTo(seconds) {
    slider.value = String(seconds);
    const ms = start + seconds * 1000;
    clock.value = formatTime(ms, { seconds: true });
    for (const track of tracks) {
      const p = positionAt(track.points, ms);
      track.marker.setLatLng(base.toScreen(p.latitude, p.longitude));
    }
  }

  slider.addEventListener('input', () => { pause(); moveTo(Number(slider.value)); });
  play.addEventListener('click', () => {
    if (timer) return pause();
    if (Number(slider.value) >= Number(slider.max)) moveTo(0);
    play.textContent = t('replay.pause');
    // Five steps a second, each a fifth of a second times the pace.
    timer = setInterval(() => {
      const next = Math.min(Number(slider.max), Number(slider.value) + Number(pace.value) / 5);
      moveTo(next);
      if (next >= Number(slider.max)) pause();
    }, 200);
  });

  async function load() {
    message.textContent = '';
    const chosen = [...plates.selectedOptions].map(option => option.value);
    const begin = fromWall(from.value), end = fromWall(to.value);
    if (chosen.length === 0) { message.textContent = t('replay.pickVehicle'); return; }
    if (!(begin < end) || end - begin > maxPeriod) { message.textContent = t('replay.badPeriod'); return; }
    pause();
    const thin = Math.max(1, Math.ceil((end - begin) / 1000 / pointsWanted));
    const query = `from=${iso(begin)}&to=${iso(end)}&thin=${thin}`;
    const answers = await Promise.all(chosen.map(plate => api.get(`/api/v1/vehicles/${encodeURIComponent(plate)}/track?${query}`)
      .catch(error => { toast(`${plate}: ${explain(error)}`, 'error'); return null; })));
    drawn.clearLayers();
    tracks = [];
    start = begin;
    const summaries = [];
    answers.forEach((answer, i) => {
      const plate = chosen[i];
      if (!answer) return;
      if (answer.points.length === 0) { toast(t('replay.noPoints', { plate })); return; }
      const points = answer.points.map(p => ({ ...p, ms: Date.parse(p.time) }));
      const figures = analyse(points);
      draw(points, figures.stops, plate);
      const marker = L.circleMarker(base.toScreen(points[0].latitude, points[0].longitude), { radius: 7, color: '#102a43', weight: 2, fillColor: '#fff', fillOpacity: 1 })
        .bindTooltip(h('span', {}, plate), { permanent: true, direction: 'top', offset: [0, -8], className: 'replay-plate' }).addTo(drawn);
      tracks.push({ plate, points, marker });
      summaries.push({ plate, points, ...figures });
    });
    showResults(summaries, { from: iso(begin), to: iso(end), thin });
    slider.max = String(Math.round((end - begin) / 1000));
    slider.disabled = play.disabled = tracks.length === 0;
    moveTo(0);
    if (tracks.length) base.map.fitBounds(drawn.getBounds(), { padding: [30, 30] });
  }

  // One polyline per speed band, each made of that band's segments: five paths a vehicle
  // however long its track.
  function draw(points, stops, plate) {
    const segments = bands.map(() => []);
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1], b = points[i];
      segments[band(Math.max(a.speedKmh, b.speedKmh))].push([base.toScreen(a.latitude, a.longitude), base.toScreen(b.latitude, b.longitude)]);
    }
    segments.forEach((lines, i) => {
      if (lines.length) L.polyline(lines, { color: bands[i].colour, weight: 4, opacity: 0.9, interactive: false }).addTo(drawn);
    });
    for (const stop of stops) {
      L.circleMarker(base.toScreen(stop.latitude, stop.longitude), { radius: 6, color: '#102a43', weight: 2, fillColor: '#fbd38d', fillOpacity: 1 })
        .bindTooltip(h('span', {}, `${plate} ${formatTime(stop.from, { date: false })}–${formatTime(stop.to, { date: false })} (${formatDuration(stop.seconds)})`))
        .addTo(drawn);
    }
  }

  function showResults(summaries, period) {
    const stops = summaries.flatMap(s => s.stops.map(stop => ({ plate: s.plate, ...stop })));
    show(results,
      h('div', { class: 'card', id: 'replay-summary', dataset: period },
        h('h2', {}, t('replay.summary')),
        period.thin > 1 ? h('p', { class: 'loading' }, t('replay.thinned', { seconds: period.thin })) : null,
        table([
          [t('replay.plate'), s => s.plate],
          [t('replay.km'), s => (s.distance / 1000).toFixed(2)],
          [t('replay.max'), s => s.max.toFixed(0)],
          [h('abbr', { title: t('replay.avgHelp') }, t('replay.avg')), s => s.average.toFixed(0)],
          [t('replay.points'), s => String(s.points.length)],
        ], summaries, { empty: t('empty'), rowAttributes: s => ({ dataset: { summary: s.plate, metres: s.distance.toFixed(1), stops: String(s.stops.length) } }) })),
      h('div', { class: 'card', id: 'replay-stops' },
        h('h2', {}, t('replay.stops')),
        table([
          [t('replay.plate'), s => s.plate],
          [t('replay.where'), s => h('button', { class: 'link', onclick: () => base.map.setView(base.toScreen(s.latitude, s.longitude), 16) },
            `${s.latitude.toFixed(4)}, ${s.longitude.toFixed(4)}`)],
          [t('replay.when'), s => `${formatTime(s.from)}–${formatTime(s.to, { date: false })}`],
          [t('replay.duration'), s => formatDuration(s.seconds)],
        ], stops, { empty: t('empty'), rowAttributes: s => ({ dataset: { stop: s.plate } }) })));
  }

  return () => { pause(); base.map.remove(); };
}

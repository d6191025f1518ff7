// The harness: the console's real base map (createMap, offline) with a synthetic fleet of N
// vehicles around Ningbo, each moving every second, drawn by the layer named in the address
// (?layer=canvas: Web/js/vehicles.js; ?layer=cluster: the markercluster baseline). What it
// measures is on window.bench for Benchmarks/console/bench.py to read.
import { createMap } from '/console/js/map.js';
import { vehicleLayer, states } from '/console/js/vehicles.js';
import { clusterLayer } from './baseline.js';

const parameters = new URLSearchParams(location.search);
const count = Number(parameters.get('vehicles') ?? 5000);
const kind = parameters.get('layer') ?? 'canvas';
const zoom = Number(parameters.get('zoom') ?? 12);
const centre = [29.87, 121.55];

// A fixed seed: every run, and both layers, see the same fleet.
let seed = 18;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

// Roads for the offline base: a grid of streets, as /api/v1/roads would give them.
const segments = [];
for (let i = -20; i <= 20; i++) {
  for (let j = -20; j < 20; j++) {
    segments.push([centre[0] + i * 0.01, centre[1] + j * 0.012, centre[0] + i * 0.01, centre[1] + (j + 1) * 0.012]);
    segments.push([centre[0] + j * 0.01, centre[1] + i * 0.012, centre[0] + (j + 1) * 0.01, centre[1] + i * 0.012]);
  }
}
const ring = (r) => Array.from({ length: 24 }, (_, k) => ({ latitude: centre[0] + r * Math.cos(k * Math.PI / 12), longitude: centre[1] + 1.15 * r * Math.sin(k * Math.PI / 12) }));
const ctx = {
  config: { center: { latitude: centre[0], longitude: centre[1] }, zoom, city: [{ name: 'city', points: ring(0.18) }] },
  api: { get: async () => ({ segments }) },
  toast: () => {},
};

const fleet = Array.from({ length: count }, (_, i) => ({
  vehicleID: i + 1, plate: `浙B${String(10000 + i)}`,
  latitude: centre[0] + (random() - 0.5) * 0.4, longitude: centre[1] + (random() - 0.5) * 0.46,
  course: Math.floor(random() * 360), speedKmh: random() < 0.15 ? 0 : 10 + random() * 60,
  silent: random() < 0.03,
}));
const born = Date.now();
const standings = new Map(fleet.map(v => {
  const r = random();
  return [v.vehicleID, r < 0.3 ? { standing: 'free', onJob: true, reasons: [] }
    : r < 0.38 ? { standing: 'out', reasons: ['保险过期'] } : r < 0.43 ? { standing: 'reserve', reasons: [] } : { standing: 'free', reasons: [] }];
}));

// One second of driving, and the batch the live stream would carry: fresh objects each time.
function tick() {
  const now = Date.now();
  return fleet.map(v => {
    if (!v.silent && v.speedKmh > 0) {
      if (random() < 0.05) v.course = (v.course + Math.floor(random() * 90) - 45 + 360) % 360;
      const metres = v.speedKmh / 3.6, angle = v.course * Math.PI / 180;
      v.latitude += metres * Math.cos(angle) / 111_320;
      v.longitude += metres * Math.sin(angle) / (111_320 * Math.cos(v.latitude * Math.PI / 180));
      if (Math.abs(v.latitude - centre[0]) > 0.2 || Math.abs(v.longitude - centre[1]) > 0.23) v.course = (v.course + 180) % 360;
    }
    return {
      vehicleID: v.vehicleID, plate: v.plate, time: new Date(v.silent ? born - 600_000 : now).toISOString(),
      latitude: +v.latitude.toFixed(6), longitude: +v.longitude.toFixed(6), speedKmh: v.speedKmh, course: v.course,
    };
  });
}

const bench = { kind, count, ready: false, firstRenderMs: null, updates: [], ticks: [], longTasks: [], states };
window.bench = bench;
new PerformanceObserver(list => { for (const entry of list.getEntries()) bench.longTasks.push(entry.duration); })
  .observe({ entryTypes: ['longtask'] });

const frame = () => new Promise(resolve => requestAnimationFrame(() => resolve()));
const first = tick();
const start = performance.now();
const base = createMap(document.getElementById('map'), ctx, {});
const layer = kind === 'canvas' ? vehicleLayer(base) : clusterLayer(base);
layer.setStandings(standings);
layer.update(first);
// Drawn means painted: two frames after the script, so style, layout and paint are counted.
await frame(); await frame();
bench.firstRenderMs = performance.now() - start;
bench.ready = true;

// The synthetic batch is the harness's work, not the layer's (the console's is JSON.parse of
// the stream's message): timed apart, so the main thread's CPU can be read without it.
setInterval(() => {
  const made = performance.now();
  const batch = tick();
  bench.ticks.push(performance.now() - made);
  const before = performance.now();
  layer.update(batch);
  bench.updates.push(performance.now() - before);
}, 1000);

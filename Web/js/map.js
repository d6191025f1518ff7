// The base map every screen draws on. Tiles come from the configured server in its coordinate
// system (WGS-84/CGCS2000 or GCJ-02); with none configured or none reachable the map still
// reads: the city's service areas, a scale, and the roads the fleet has driven, drawn from its
// own stored tracks. Positions stay WGS-84: `toScreen` shifts them for GCJ-02 tiles and
// `pick` shifts a clicked point back.
import { h } from './dom.js';
import { projection } from './geo.js';
import { t, register } from './i18n.js';

register({
  zh: { 'map.city': '市区', 'map.roads': '车队行驶过的道路', 'map.offline': '离线底图：服务区域与车队轨迹' },
  en: { 'map.city': 'City', 'map.roads': 'Roads the fleet has driven', 'map.offline': 'Offline base: service areas and the fleet\'s tracks' },
});

// Leaflet (1.6, Debian's) can run a canvas redraw it scheduled after the renderer's canvas is
// gone, when a screen drew on its map and was dropped for a newer one at once ("clearRect" of
// undefined): a renderer without its canvas has nothing to draw.
const redraw = L.Canvas.prototype._redraw;
L.Canvas.prototype._redraw = function () { if (this._ctx) redraw.call(this); };

// One fetch of the driven roads per page: they change by the day, not by the second.
let roads = null;

/**
 * A Leaflet map in `container`, set up from the console's configuration (`ctx.config`).
 * Returns { map, toScreen(lat, lon) -> L.LatLng, pick(latlng) -> [lat, lon] in WGS-84, crs }.
 */
export function createMap(container, ctx, { zoom, center, interactive = true } = {}) {
  const config = ctx.config ?? {};
  const tiles = config.tiles ?? null;
  const crs = tiles?.crs ?? 'wgs84';
  const { toScreen, fromScreen } = projection(crs);
  const map = L.map(container, {
    // The zoom's bounds are the map's own, not only its tiles': offline there is no tile layer
    // to give them, and clustering (markercluster, vehicles.js) needs a top.
    maxZoom: tiles?.maxZoom ?? 18, minZoom: 3,
    preferCanvas: true, zoomControl: interactive, dragging: interactive, scrollWheelZoom: interactive, attributionControl: true,
  });
  // Leaflet (1.6, Debian's) ends a zoom animation 250 ms after it starts by moving the map pane,
  // which remove() has deleted by then: a screen left mid-zoom threw "_leaflet_pos" of undefined.
  // A map being removed ends its zoom first.
  map.on('unload', () => { map._animatingZoom = false; });
  const start = center ?? [config.center?.latitude ?? 29.87, config.center?.longitude ?? 121.55];
  map.setView(L.latLng(...toScreen(start[0], start[1])), zoom ?? config.zoom ?? 12);
  L.control.scale({ imperial: false }).addTo(map);
  if (tiles) {
    L.tileLayer(tiles.url, { subdomains: tiles.subdomains ?? 'abc', maxZoom: tiles.maxZoom ?? 18, attribution: tiles.attribution ?? '' }).addTo(map);
  } else {
    map.attributionControl.addAttribution(t('map.offline'));
  }
  // The base's own shapes in SVG, under everything a screen draws: few paths, redrawn only when
  // the view moves, and each one an element a test (or a screen reader's tree) can find.
  const base = L.svg({ padding: 0.2 });
  const areas = L.layerGroup().addTo(map);
  for (const area of config.city ?? []) {
    L.polygon(area.points.map(p => toScreen(p.latitude, p.longitude)),
      { renderer: base, className: 'map-area', color: '#2b6cb0', weight: 1.5, fillOpacity: 0.06, interactive: false })
      .bindTooltip(h('span', {}, area.name)).addTo(areas);
  }
  if (!tiles) drawRoads(map, toScreen, ctx, base);
  return {
    map,
    crs,
    toScreen: (lat, lon) => L.latLng(...toScreen(lat, lon)),
    pick: (latlng) => fromScreen(latlng.lat, latlng.lng),
  };
}

async function drawRoads(map, toScreen, ctx, renderer) {
  try {
    roads ??= ctx.api.get('/api/v1/roads');
    const segments = (await roads).segments ?? [];
    if (!map.getContainer().isConnected) return;   // the screen was left meanwhile
    const lines = segments.map(([lat1, lon1, lat2, lon2]) => [toScreen(lat1, lon1), toScreen(lat2, lon2)]);
    L.polyline(lines, { renderer, className: 'map-roads', color: '#9aa5b1', weight: 3, opacity: 0.8, interactive: false }).addTo(map).bringToBack();
  } catch (error) {
    roads = null;
    ctx.toast?.(ctx.explain?.(error) ?? String(error), 'error');
  }
}

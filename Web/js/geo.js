// Coordinates: positions are WGS-84 (CGCS2000 agrees to centimetres) everywhere but on the
// screen. Tiles drawn in GCJ-02 (AMap, Tencent) need each point shifted the way the state's
// published algorithm does; a point picked on such tiles is shifted back by iterating the
// forward transform (well under 0.5 m).

const a = 6378245.0;
const ee = 0.00669342162296594323;

/** Outside mainland China GCJ-02 equals WGS-84. */
export function outOfChina(lat, lon) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x, y) {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
  r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
  return r;
}

function transformLon(x, y) {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
  r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
  return r;
}

/** WGS-84 [lat, lon] to GCJ-02 [lat, lon]. */
export function wgsToGcj(lat, lon) {
  if (outOfChina(lat, lon)) return [lat, lon];
  let dLat = transformLat(lon - 105.0, lat - 35.0);
  let dLon = transformLon(lon - 105.0, lat - 35.0);
  const radLat = lat / 180.0 * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - ee * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * Math.PI);
  dLon = (dLon * 180.0) / (a / sqrtMagic * Math.cos(radLat) * Math.PI);
  return [lat + dLat, lon + dLon];
}

/** GCJ-02 [lat, lon] back to WGS-84: the forward transform's fixed point. */
export function gcjToWgs(lat, lon) {
  if (outOfChina(lat, lon)) return [lat, lon];
  let wLat = lat, wLon = lon;
  for (let i = 0; i < 30; i++) {
    const [gLat, gLon] = wgsToGcj(wLat, wLon);
    const dLat = gLat - lat, dLon = gLon - lon;
    wLat -= dLat; wLon -= dLon;
    if (Math.abs(dLat) < 1e-9 && Math.abs(dLon) < 1e-9) break;
  }
  return [wLat, wLon];
}

/** Great-circle metres between two WGS-84 points. */
export function metres(lat1, lon1, lat2, lon2) {
  const r = 6371008.8, rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.min(1, Math.sqrt(s)));
}

/**
 * The conversions for a map whose tiles are in `crs` ('wgs84' or 'gcj02'): `toScreen(lat, lon)`
 * for drawing a stored position, `fromScreen(lat, lon)` for a point picked on the map.
 */
export function projection(crs) {
  if (crs === 'gcj02') return { toScreen: wgsToGcj, fromScreen: gcjToWgs };
  return { toScreen: (lat, lon) => [lat, lon], fromScreen: (lat, lon) => [lat, lon] };
}

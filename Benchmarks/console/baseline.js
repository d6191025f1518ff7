// The baseline the console's vehicle layer is measured against: Leaflet.markercluster with one
// DOM marker per vehicle (an element each, rotated for its heading), as Traccar's web map and
// most Leaflet consoles draw a fleet. Same input and states as Web/js/vehicles.js; each second
// the group is emptied and refilled in one batch, markercluster's fastest way to move markers.
import { stateColours } from '/console/js/vehicles.js';

export function clusterLayer(base) {
  const { map, toScreen } = base;
  const group = L.markerClusterGroup({ chunkedLoading: false, maxClusterRadius: 60, disableClusteringAtZoom: 16 }).addTo(map);
  const markers = new Map();
  let standings = new Map();

  function icon(state) {
    const arrow = document.createElement('div');
    arrow.className = 'bench-arrow';
    arrow.style.background = stateColours[state];
    return { arrow, icon: L.divIcon({ className: 'bench-car', iconSize: [14, 14], html: arrow }) };
  }

  return {
    update(batch) {
      const now = Date.now();
      for (const p of batch) {
        let entry = markers.get(p.vehicleID);
        const standing = standings.get(p.vehicleID);
        const state = now - Date.parse(p.time) > 300_000 ? 'silent' : standing?.onJob ? 'onJob' : standing?.standing ?? 'free';
        if (!entry) {
          entry = { marker: L.marker(toScreen(p.latitude, p.longitude)), state: null };
          entry.marker.bindPopup(document.createTextNode(p.plate));
          markers.set(p.vehicleID, entry);
        }
        if (entry.state !== state) {
          const made = icon(state);
          entry.arrow = made.arrow; entry.state = state;
          entry.marker.setIcon(made.icon);
        }
        entry.marker.setLatLng(toScreen(p.latitude, p.longitude));
        entry.arrow.style.transform = `rotate(${p.course ?? 0}deg)`;
      }
      group.clearLayers();
      group.addLayers([...markers.values()].map(entry => entry.marker));
    },
    setStandings(next) { standings = next; },
  };
}

// Problems near me on a map: the vendored Leaflet, loaded on first use, over the service's own GeoJSON
// (the county's boundary). No basemap unless the server's DASHBOARD_TILE_URL names one.
import { config, get } from './api.js';

let loading = null;

function loadLeaflet() {
  if (window.L) return Promise.resolve(window.L);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = `${config.assets}leaflet/leaflet.css`;
      document.head.appendChild(css);
      const script = document.createElement('script');
      script.src = `${config.assets}leaflet/leaflet.js`;
      script.onload = () => resolve(window.L);
      script.onerror = () => { loading = null; reject(new Error('地图组件未能加载')); };
      document.head.appendChild(script);
    });
  }
  return loading;
}

// Leaflet writes a string given to a tooltip, a popup or a divIcon as HTML: what a person typed (a
// problem's title) goes in as an element whose text is set, never as a string.
function text(value) {
  const span = document.createElement('span');
  span.textContent = value == null ? '' : String(value);
  return span;
}

export async function problemsMap(element, { here, problems, countyCode, onPick }) {
  const L = await loadLeaflet();
  const map = L.map(element, { zoomControl: true, attributionControl: Boolean(config.tile_url) });
  map.setView([23.9, 106.6], 8); // the city, until the layers below say where to look (layers need a view)
  if (config.tile_url) L.tileLayer(config.tile_url, { attribution: config.tile_attribution, maxZoom: 18 }).addTo(map);
  const bounds = L.latLngBounds([]);
  if (countyCode) {
    try {
      const area = await get(`areas/${countyCode}?geometry=1`);
      if (area.geometry) {
        const outline = L.geoJSON(area.geometry, { style: { color: '#1b6b3a', weight: 2, fill: false } }).addTo(map);
        bounds.extend(outline.getBounds());
      }
    } catch (err) { /* offline: the points alone */ }
  }
  if (here) {
    L.circleMarker([here.lat, here.lng], { radius: 8, color: '#1565c0', fillOpacity: 0.9 }).addTo(map).bindTooltip(text('我的位置'));
    bounds.extend([here.lat, here.lng]);
  }
  for (const p of problems) {
    if (p.lat == null || p.lng == null) continue;
    const marker = L.circleMarker([p.lat, p.lng], { radius: 7, color: p.urgency === 'high' ? '#b3261e' : '#e8a317', fillOpacity: 0.8 });
    marker.addTo(map).bindTooltip(text(p.title));
    marker.on('click', () => onPick(p));
    bounds.extend([p.lat, p.lng]);
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
  element.dataset.state = 'ready';
  return map;
}

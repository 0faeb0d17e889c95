// The staff map: clustered markers of the current search's GPS positions (Leaflet, vendored).
"use strict";
(function () {
  const box = document.querySelector("[data-map]");
  if (!box || !window.L) return;
  const status = document.querySelector("[data-map-status]");
  const map = L.map(box, { worldCopyJump: true, zoomControl: false }).setView([19.35, -99.07], 11);
  L.control.zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut }).addTo(map);
  L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: box.dataset.attribution }).addTo(map);
  const cluster = L.markerClusterGroup({ chunkedLoading: true });
  map.addLayer(cluster);
  fetch(box.dataset.points, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .then((data) => {
      const markers = data.points.map(([id, lat, lon, title]) => {
        const link = document.createElement("a");
        link.href = data.url + id;
        link.textContent = title;
        return L.marker([lat, lon], { title: title, alt: title }).bindPopup(link);
      });
      cluster.addLayers(markers);
      box.dataset.count = String(markers.length);
      if (markers.length) map.fitBounds(cluster.getBounds(), { padding: [30, 30], maxZoom: 16 });
      let text = markers.length ? status.dataset.some.replace("{n}", markers.length.toLocaleString("es-MX")) : status.dataset.none;
      if (data.capped) text += " " + status.dataset.capped;
      status.textContent = text;
    })
    .catch(() => { status.textContent = "—"; });
})();

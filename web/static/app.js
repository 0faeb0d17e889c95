// Acervo: small progressive enhancements (the pages work without them).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Selects that apply on change (language, sort order).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  setupZoom();
  pollBatch();
});

// Zoom: the preview opens at full resolution in an overlay that scrolls; Escape closes it.
function setupZoom() {
  const link = document.querySelector("a.zoomable");
  if (!link) return;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const overlay = document.createElement("div");
    overlay.className = "zoom-overlay";
    overlay.tabIndex = 0;
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    const img = document.createElement("img");
    img.src = link.dataset.zoom;
    img.alt = link.querySelector("img").alt;
    overlay.appendChild(img);
    const close = () => { overlay.remove(); link.focus(); };
    overlay.addEventListener("click", close);
    overlay.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
    document.body.appendChild(overlay);
    overlay.focus();
  });
}

// The batch page follows processing: it re-reads the batch until every file is settled.
function pollBatch() {
  const list = document.getElementById("batch-files");
  if (!list) return;
  const url = list.dataset.poll;
  const settled = (f) => !["receiving", "waiting_store"].includes(f.outcome) && (f.outcome !== "new" || ["ready", "failed"].includes(f.state));
  const tick = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const batch = await response.json();
      const before = list.querySelectorAll("img").length;
      const ready = batch.files.filter((f) => f.thumbnail_url).length;
      if (ready !== before || !batch.files.every(settled)) {
        if (ready !== before) window.location.reload();
        else setTimeout(tick, 1500);
      }
    } catch (e) {
      setTimeout(tick, 3000);
    }
  };
  setTimeout(tick, 1500);
}

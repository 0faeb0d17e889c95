// Acervo: small progressive enhancements (the pages work without them).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Selects that apply on change (language, sort order).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  setupMenu();
  setupGrids();
  setupTabs();
  setupAssetKeys();
  setupZoom();
  pollBatch();
});

// Phones: the sidebar opens over the page from the menu button; Escape or the scrim closes it.
function setupMenu() {
  const button = document.getElementById("menu-toggle");
  const sidebar = document.getElementById("sidebar");
  const scrim = document.getElementById("scrim");
  if (!button || !sidebar) return;
  const set = (open) => {
    sidebar.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
    if (scrim) scrim.hidden = !open;
    if (open) sidebar.querySelector("a")?.focus();
  };
  button.addEventListener("click", () => set(!sidebar.classList.contains("open")));
  scrim?.addEventListener("click", () => set(false));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && sidebar.classList.contains("open")) { set(false); button.focus(); }
  });
}

// Justified rows: every picture at its own aspect ratio, each full row exactly as wide as the
// grid; the last row keeps the target height. Placeholders take the picture's average colour.
function setupGrids() {
  const grids = Array.from(document.querySelectorAll("ul[data-grid]"));
  if (grids.length === 0) return;
  for (const grid of grids) {
    const context = grid.dataset.context;  // the asset page's arrows walk this list
    if (context && context.length > 6) {
      for (const link of grid.querySelectorAll(".cell > a")) {
        const url = new URL(link.href, window.location.href);
        url.searchParams.set("en", context);
        link.href = url.toString();
      }
    }
    for (const cell of grid.querySelectorAll(".cell[data-color]")) {
      const img = cell.querySelector("img");
      if (img && !img.complete) {
        cell.style.backgroundColor = cell.dataset.color;
        img.classList.add("loading");
        img.addEventListener("load", () => img.classList.remove("loading"), { once: true });
        img.addEventListener("error", () => img.classList.remove("loading"), { once: true });
      }
    }
  }
  const layout = () => { for (const grid of grids) justify(grid); };
  layout();
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (window.innerWidth === width) return;
    width = window.innerWidth;
    window.requestAnimationFrame(layout);
  });
}

function justify(grid) {
  const style = getComputedStyle(grid);
  const gap = parseFloat(style.columnGap) || 4;
  const target = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--row")) || 220;
  const width = grid.clientWidth;
  if (width <= 0) return;
  grid.classList.add("justified");
  let row = [];
  let sum = 0;
  const place = (cells, total, last) => {
    if (cells.length === 0) return;
    let h = (width - gap * (cells.length - 1) - 0.5) / total;
    if (last) h = Math.min(h, target);
    for (const [cell, ratio] of cells) {
      cell.style.width = `${Math.floor(ratio * h)}px`;
      cell.style.height = `${Math.floor(h)}px`;
    }
  };
  for (const li of grid.children) {
    if (!li.classList.contains("cell")) {  // a date heading ends the row
      place(row, sum, true);
      row = [];
      sum = 0;
      continue;
    }
    const w = Number(li.dataset.w) || 4;
    const h = Number(li.dataset.h) || 3;
    const ratio = Math.min(Math.max(w / h, 0.3), 4);
    row.push([li, ratio]);
    sum += ratio;
    if (sum * target + gap * (row.length - 1) >= width) {
      place(row, sum, false);
      row = [];
      sum = 0;
    }
  }
  place(row, sum, true);
}

// Tabs (the asset page's panel): arrow keys move between tabs, the choice is kept in the URL hash.
function setupTabs() {
  for (const list of document.querySelectorAll("[role=tablist]")) {
    const tabs = Array.from(list.querySelectorAll("[role=tab]"));
    const show = (tab, focus) => {
      for (const t of tabs) {
        const on = t === tab;
        t.setAttribute("aria-selected", String(on));
        t.tabIndex = on ? 0 : -1;
        const panel = document.getElementById(t.getAttribute("aria-controls"));
        panel.hidden = !on;
        if (on && panel.dataset.src && !panel.dataset.loaded) load(panel);
      }
      if (focus) tab.focus();
    };
    list.hidden = false;
    for (const tab of tabs) {
      tab.addEventListener("click", () => {
        show(tab, false);
        history.replaceState(null, "", `#${tab.dataset.hash}`);
      });
      tab.addEventListener("keydown", (e) => {
        const i = tabs.indexOf(tab);
        let next = null;
        if (e.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
        else if (e.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
        else if (e.key === "Home") next = tabs[0];
        else if (e.key === "End") next = tabs[tabs.length - 1];
        if (next) { e.preventDefault(); e.stopPropagation(); show(next, true); }
      });
    }
    const wanted = tabs.find((t) => `#${t.dataset.hash}` === window.location.hash);
    show(wanted || tabs[0], false);
  }
}

// A tab whose content is read when it opens (the asset page's history and social formats).
async function load(panel) {
  panel.dataset.loaded = "1";
  panel.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(panel.dataset.src, { headers: { "X-Acervo-Fragment": "1" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    panel.innerHTML = await response.text();
    panel.dispatchEvent(new CustomEvent("acervo:fragment", { bubbles: true }));
  } catch (e) {
    delete panel.dataset.loaded;  // the link in the panel still works
  } finally {
    panel.removeAttribute("aria-busy");
  }
}

// The asset page: left and right arrows open the previous and next item of the list it came from.
function setupAssetKeys() {
  const prev = document.querySelector("a[data-nav=prev]");
  const next = document.querySelector("a[data-nav=next]");
  if (!prev && !next) return;
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT", "VIDEO", "AUDIO"].includes(t.tagName) || t.getAttribute("role") === "tab")) return;
    const link = e.key === "ArrowLeft" ? prev : e.key === "ArrowRight" ? next : null;
    if (link) { e.preventDefault(); window.location.assign(link.href); }
  });
}

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

// Social formats panel: crop previews follow the point of interest; clicking the picture (or arrow
// keys and Enter on it) sets the point and saves it. Without JavaScript the number inputs work.
"use strict";

function setupSocialPanel(panel) {
  const focus = { x: Number(panel.dataset.focusX), y: Number(panel.dataset.focusY) };
  const picture = panel.querySelector("[data-poi-picture]");
  const marker = panel.querySelector("[data-poi-marker]");
  const form = panel.querySelector("[data-poi-form]");
  const status = panel.querySelector("[data-poi-status]");

  function show() {
    const position = `${(focus.x * 100).toFixed(1)}% ${(focus.y * 100).toFixed(1)}%`;
    for (const img of panel.querySelectorAll("[data-social-crop]")) img.style.objectPosition = position;
    if (marker) {
      marker.style.left = `${focus.x * 100}%`;
      marker.style.top = `${focus.y * 100}%`;
    }
    if (form) {
      form.elements.x.value = focus.x.toFixed(2);
      form.elements.y.value = focus.y.toFixed(2);
    }
  }

  async function save() {
    const body = new FormData(form);
    body.set("x", focus.x.toFixed(4));
    body.set("y", focus.y.toFixed(4));
    body.delete("reset");
    try {
      const response = await fetch(picture.dataset.url, {
        method: "POST", body, credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRF-Token": body.get("csrf_token") },
      });
      if (!response.ok) throw new Error(String(response.status));
      const saved = await response.json();
      focus.x = saved.x; focus.y = saved.y;
      show();
      status.textContent = status.dataset.saved;
    } catch (error) {
      status.textContent = `${status.dataset.failed} (${error.message})`;
    }
  }

  show();
  if (!picture || !form) return;
  picture.hidden = false;
  picture.addEventListener("click", (event) => {
    const box = picture.getBoundingClientRect();
    focus.x = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
    focus.y = Math.min(Math.max((event.clientY - box.top) / box.height, 0), 1);
    show();
    save();
  });
  const steps = { ArrowLeft: [-0.02, 0], ArrowRight: [0.02, 0], ArrowUp: [0, -0.02], ArrowDown: [0, 0.02] };
  picture.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      save();
      return;
    }
    const step = steps[event.key];
    if (!step) return;
    event.preventDefault();
    focus.x = Math.min(Math.max(focus.x + step[0], 0), 1);
    focus.y = Math.min(Math.max(focus.y + step[1], 0), 1);
    show();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const panel of document.querySelectorAll("[data-social]")) setupSocialPanel(panel);
});
// The asset page loads this panel when its tab opens (app.js): set it up then.
document.addEventListener("acervo:fragment", (event) => {
  for (const panel of event.target.querySelectorAll("[data-social]")) setupSocialPanel(panel);
});

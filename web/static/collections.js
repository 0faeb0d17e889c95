// Acervo collections: drag and drop, and the arrow buttons, reorder an album without reloading.
// Without JavaScript the arrow buttons are small forms that move one item and reload the page.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  const list = document.querySelector("#collection-items[data-reorder]");
  if (list) setupOrdering(list);
});

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function announce(text) {
  const status = document.getElementById("collection-status");
  if (status) status.textContent = text;
}

// The order of this page's items is saved "within": they take the places they held.
async function saveOrder(list) {
  const body = new URLSearchParams();
  for (const li of list.querySelectorAll("li[data-asset-id]")) body.append("asset_id", li.dataset.assetId);
  body.append("within", "1");
  try {
    const response = await fetch(list.dataset.reorder, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" },
    });
    if (!response.ok) throw new Error(String(response.status));
    list.dataset.saved = String(Number(list.dataset.saved || 0) + 1);
    announce(list.dataset.savedText || "✓");
  } catch (e) {
    window.location.reload(); // show the order the server kept
  }
}

function setupOrdering(list) {
  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li[data-asset-id]");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.assetId);
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest("li[data-asset-id]");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const box = over.getBoundingClientRect();
    const after = event.clientX > box.left + box.width / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", (event) => { if (dragged) event.preventDefault(); });
  list.addEventListener("dragend", () => {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    saveOrder(list);
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("form.move button[name=direction]");
    if (!button) return;
    const li = button.closest("li[data-asset-id]");
    const sibling = button.value === "up" ? li.previousElementSibling : li.nextElementSibling;
    if (!sibling || !sibling.dataset.assetId) return; // at the page's edge: the form moves it
    event.preventDefault();
    list.insertBefore(li, button.value === "up" ? sibling : sibling.nextSibling);
    button.focus();
    saveOrder(list);
  });
}

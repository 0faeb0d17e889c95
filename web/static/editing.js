// Acervo: selecting items in grids (click, shift-click ranges, all on the page; kept across pages
// for this tab) and acting on the selection; the batch edit form's template picker. Without it,
// the checkboxes still submit to the batch edit form.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  setupSelection();
  setupTemplatePicker();
});

// The selection is kept for this tab (sessionStorage) as people page through results or move
// between grids, so material from several pages goes into one edit, album or press kit.
const SELECTION_KEY = "acervo.selection";

function storedSelection() {
  try {
    const ids = JSON.parse(window.sessionStorage.getItem(SELECTION_KEY) || "[]");
    return new Set(Array.isArray(ids) ? ids.map(String) : []);
  } catch (e) {
    return new Set();
  }
}

function storeSelection(ids) {
  try {
    if (ids.size === 0) window.sessionStorage.removeItem(SELECTION_KEY);
    else window.sessionStorage.setItem(SELECTION_KEY, JSON.stringify(Array.from(ids)));
  } catch (e) { /* storage full or disabled: the selection stays on this page */ }
}

function setupSelection() {
  const bar = document.querySelector("form[data-selection-bar]");
  if (!bar) return;
  const boxes = () => Array.from(document.querySelectorAll('input[type="checkbox"][form="selection-form"]'));
  const chosen = storedSelection();
  for (const box of boxes()) box.checked = chosen.has(box.value);  // storage is the truth
  const selected = () => Array.from(chosen);
  const count = bar.querySelector("[data-selection-count]");
  for (const el of bar.querySelectorAll("[data-js-only], [data-select-all], [data-select-none]")) {
    el.hidden = false;
  }
  bar.classList.add("floating");
  const update = () => {
    for (const box of boxes()) {
      if (box.checked) chosen.add(box.value);
      else chosen.delete(box.value);
    }
    storeSelection(chosen);
    const n = chosen.size;
    const onPage = new Set(boxes().map((b) => b.value));
    const elsewhere = selected().filter((id) => !onPage.has(id)).length;
    let text = n === 0 ? count.dataset.none : n === 1 ? count.dataset.one : count.dataset.many.replace("{n}", String(n));
    if (elsewhere > 0) text += " " + count.dataset.elsewhere.replace("{n}", String(elsewhere));
    count.textContent = text;
    bar.classList.toggle("has-selection", n > 0);
    bar.hidden = n === 0;  // the bar appears only when something is selected
    document.body.classList.toggle("selecting", n > 0);
    for (const b of bar.querySelectorAll("[data-needs-selection]")) b.disabled = n === 0;
    for (const box of boxes()) box.closest("li")?.classList.toggle("selected", box.checked);
  };
  let last = null;
  document.addEventListener("click", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || box.getAttribute("form") !== "selection-form") return;
    const all = boxes();
    if (event.shiftKey && last !== null && all.includes(last)) {
      const [a, b] = [all.indexOf(last), all.indexOf(box)].sort((x, y) => x - y);
      for (const other of all.slice(a, b + 1)) other.checked = box.checked;
    }
    last = box;
    update();
  });
  bar.querySelector("[data-select-all]").addEventListener("click", () => {
    for (const box of boxes()) box.checked = true;
    update();
  });
  const every = bar.querySelector("[data-select-every]");
  if (every) {
    every.addEventListener("click", async () => {  // every result of the search, not only this page
      every.disabled = true;
      try {
        const response = await fetch(every.dataset.url, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(String(response.status));
        const found = await response.json();
        for (const id of found.ids) chosen.add(String(id));
        for (const box of boxes()) box.checked = chosen.has(box.value);
        update();
        if (found.capped) count.textContent += " " + every.dataset.capped;
      } finally {
        every.disabled = false;
      }
    });
  }
  bar.querySelector("[data-select-none]").addEventListener("click", () => {
    chosen.clear();  // every page's selection, not only this one's
    for (const box of boxes()) box.checked = false;
    update();
  });
  bar.addEventListener("submit", () => {  // "Edit selection": items of other pages go too
    const onPage = new Set(boxes().map((b) => b.value));
    for (const id of selected()) {
      if (onPage.has(id)) continue;
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "asset_id";
      input.value = id;
      bar.appendChild(input);
    }
  });
  // Ctrl/Cmd+A selects the page's items, Escape clears the selection (outside text fields).
  document.addEventListener("keydown", (event) => {
    const t = event.target;
    if (t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)) && t.getAttribute("form") !== "selection-form") return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "a") {
      event.preventDefault();
      for (const box of boxes()) box.checked = true;
      update();
    } else if (event.key === "Escape" && chosen.size > 0) {
      chosen.clear();
      for (const box of boxes()) box.checked = false;
      update();
    }
  });
  for (const button of bar.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", () => act(bar, button, selected()));
  }
  update();
}

// Actions other than editing: a POST (with the CSRF token) or, for the loupe, a GET.
function act(bar, button, ids) {
  if (ids.length === 0) return;
  const back = bar.querySelector('input[name="volver"]').value;
  if (button.dataset.action === "loupe") {
    const url = new URL(button.dataset.url, window.location.href);
    url.searchParams.set("ids", ids.join(","));
    url.searchParams.set("volver", back);
    window.location.assign(url.toString());
    return;
  }
  const fields = { csrf_token: bar.dataset.csrf, next: back };
  if (button.dataset.action === "collection") {
    const album = bar.querySelector("[data-album]").value;
    if (!album) { bar.querySelector("[data-album]").focus(); return; }
    fields.collection_id = album;
  } else if (button.dataset.action === "state") {
    fields.state = bar.querySelector("[data-state]").value;
  }
  const form = document.createElement("form");
  form.method = "post";
  form.action = button.dataset.url;
  const add = (name, value) => {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  };
  for (const [name, value] of Object.entries(fields)) add(name, value);
  for (const id of ids) add("asset_id", id);
  document.body.appendChild(form);
  if (button.dataset.action !== "presskit") storeSelection(new Set());  // done with it
  form.submit();
}

// Picking a caption template shows its text and chooses "fill from a template".
function setupTemplatePicker() {
  const edit = document.querySelector("form.batch-edit");
  if (edit) edit.addEventListener("submit", () => storeSelection(new Set()));  // applied: done
  const picker = document.querySelector("select[data-template-picker]");
  if (!picker) return;
  const text = document.getElementById("value_caption");
  const op = document.getElementById("op_caption");
  picker.addEventListener("change", () => {
    const option = picker.selectedOptions[0];
    if (option && option.dataset.body !== undefined) {
      text.value = option.dataset.body;
      op.value = "template";
    }
  });
}

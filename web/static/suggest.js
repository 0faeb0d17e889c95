// Acervo suggestions: vocabulary terms as you type, "=code" expansion, caption template preview.
// Progressive enhancement: the server suggests nothing on its own but expands codes on save.
//   <input data-suggest="colonia">          a <datalist> filled from /api/v1/vocabulario/colonia
//   <input data-suggest="keyword" data-list> the same, for the last item of a comma-separated list
//   <textarea data-codes>                   "=cb" becomes its term after a space, punctuation or blur
//   <textarea data-preview-url=… data-preview-target=id>  live preview of a caption template
"use strict";

(() => {
  const SUGGEST_URL = "/api/v1/vocabulario/";
  const CODES_URL = "/api/v1/codigos";
  const DELAY = 180;
  // The same codes the server expands (dam.curation.templates): "=cb", not "a=cb" nor "==cb".
  const CODE_TYPED = /(?<![\w=])=([a-z0-9][a-z0-9_-]{0,31})([\s.,;:!?)\]])$/i;
  const CODE_ANY = /(?<![\w=])=([a-z0-9][a-z0-9_-]{0,31})\b/gi;
  let codesPromise = null;
  let listCount = 0;

  const debounce = (fn, ms) => {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  };

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  // The item being typed: the whole value, or what follows the last comma of a list field.
  function currentItem(field) {
    if (!("list" in field.dataset)) return { head: "", item: field.value };
    const cut = field.value.lastIndexOf(",");
    return { head: field.value.slice(0, cut + 1), item: field.value.slice(cut + 1) };
  }

  function setupSuggest(field) {
    const kind = field.dataset.suggest;
    const list = document.createElement("datalist");
    list.id = `suggest-${++listCount}`;
    field.after(list);
    field.setAttribute("list", list.id);
    field.setAttribute("autocomplete", "off");
    let lastQuery = null;
    const refresh = debounce(async () => {
      const { head, item } = currentItem(field);
      const query = item.trim();
      if (query === lastQuery) return;
      lastQuery = query;
      try {
        const labels = await getJSON(`${SUGGEST_URL}${encodeURIComponent(kind)}?q=${encodeURIComponent(query)}`);
        const prefix = head ? `${head.trimEnd()} ` : "";
        list.replaceChildren(...labels.map((label) => {
          const option = document.createElement("option");
          option.value = prefix + label;
          return option;
        }));
      } catch (e) {
        list.replaceChildren();
      }
    }, DELAY);
    field.addEventListener("input", refresh);
    field.addEventListener("focus", refresh);
  }

  function loadCodes() {
    if (!codesPromise) {
      codesPromise = getJSON(CODES_URL)
        .then((codes) => new Map(Object.entries(codes).map(([k, v]) => [k.toLowerCase(), v])))
        .catch(() => new Map());
    }
    return codesPromise;
  }

  // Expand a code that ends just before the caret (typed, then followed by a separator).
  function expandAtCaret(field, codes) {
    const caret = field.selectionStart ?? field.value.length;
    const match = field.value.slice(0, caret).match(CODE_TYPED);
    if (!match) return;
    const label = codes.get(match[1].toLowerCase());
    if (!label) return;
    const start = caret - match[0].length;
    const replaced = label + match[2];
    field.value = field.value.slice(0, start) + replaced + field.value.slice(caret);
    const position = start + replaced.length;
    if (document.activeElement === field) field.setSelectionRange(position, position);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function expandAll(field, codes) {
    const value = field.value.replace(CODE_ANY, (whole, code) => codes.get(code.toLowerCase()) ?? whole);
    if (value !== field.value) {
      field.value = value;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  function setupCodes(field) {
    loadCodes();
    field.addEventListener("input", async (event) => {
      if (event.isComposing || event.inputType === undefined) return;
      expandAtCaret(field, await loadCodes());
    });
    field.addEventListener("blur", async () => expandAll(field, await loadCodes()));
  }

  function setupPreview(field) {
    const output = document.getElementById(field.dataset.previewTarget);
    const form = field.form;
    if (!output || !form) return;
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const update = debounce(async () => {
      const body = new URLSearchParams({ body: field.value, csrf_token: csrf });
      try {
        const response = await fetch(field.dataset.previewUrl, {
          method: "POST", body, credentials: "same-origin",
          headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
        });
        const data = await response.json();
        output.textContent = data.error ?? data.preview ?? "";
        output.classList.toggle("error", Boolean(data.error));
      } catch (e) { /* the saved preview stays */ }
    }, DELAY * 2);
    field.addEventListener("input", update);
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const field of document.querySelectorAll("input[data-suggest], textarea[data-suggest]")) setupSuggest(field);
    for (const field of document.querySelectorAll("input[data-codes], textarea[data-codes]")) setupCodes(field);
    for (const field of document.querySelectorAll("textarea[data-preview-url]")) setupPreview(field);
  });
})();

// Acervo: the culling loupe. Arrows or J/K move, 0-5 stars, P pick, X reject, U unmark,
// 6-9 and C colour labels, F only picked, Esc or Q leave, ? shortcuts. Each mark is saved with
// fetch at once; a save that fails is shown and retried, never dropped. Without this script the
// page still works through its links and its form.
"use strict";

const COLORS = ["red", "yellow", "green", "blue", "purple"];
const KEY_COLORS = { 6: "red", 7: "yellow", 8: "green", 9: "blue" };
const RETRY_MAX_MS = 10000;

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("loupe");
  const dataBlock = document.getElementById("loupe-data");
  if (!root || !dataBlock) return;
  const data = JSON.parse(dataBlock.textContent);
  if (!data.items.length) return;
  new Loupe(root, data).start();
});

class Loupe {
  constructor(root, data) {
    this.root = root;
    this.items = data.items;
    this.index = data.index;
    this.labels = data.labels;
    this.marksUrl = data.marks_url;
    this.pickedOnly = data.picked_only;
    this.token = document.querySelector('meta[name="csrf-token"]').content;
    this.pending = new Map(); // asset id -> the changes not yet saved
    this.saving = false;
    this.retryMs = 500;
    this.leaveTo = null;
    this.el = (id) => document.getElementById(id);
    this.strip = Array.from(document.querySelectorAll("#filmstrip > li"));
  }

  start() {
    document.addEventListener("keydown", (e) => this.onKey(e));
    this.el("loupe-prev").addEventListener("click", (e) => { e.preventDefault(); this.go(this.index - 1); });
    this.el("loupe-next").addEventListener("click", (e) => { e.preventDefault(); this.go(this.index + 1); });
    this.el("loupe-help-button").addEventListener("click", () => this.toggleHelp());
    this.el("loupe-help-close").addEventListener("click", () => this.toggleHelp(false));
    this.el("loupe-close").addEventListener("click", (e) => { e.preventDefault(); this.leave(this.root.dataset.back); });
    this.el("filmstrip").addEventListener("click", (e) => this.onStripClick(e));
    const form = document.querySelector("#loupe-form form");
    if (form) form.addEventListener("submit", (e) => this.onFormSubmit(e));
    window.addEventListener("beforeunload", (e) => {
      if (this.pending.size || this.saving) { e.preventDefault(); e.returnValue = ""; }
    });
    this.root.dataset.saveState = "idle";
    this.show();
  }

  get current() { return this.items[this.index]; }

  // -- moving -------------------------------------------------------------------------------
  go(index) {
    if (index < 0 || index >= this.items.length || index === this.index) return;
    this.index = index;
    this.show();
  }

  show() {
    const item = this.current;
    const img = this.el("loupe-image");
    const missing = this.el("loupe-missing");
    if (item.src) {
      img.src = item.src;
      if (item.w) { img.width = item.w; img.height = item.h; }
      img.alt = item.title;
      img.hidden = false;
      if (missing) missing.hidden = true;
    } else {
      img.hidden = true;
      if (missing) missing.hidden = false;
    }
    this.el("loupe-counter").textContent = `${this.index + 1} / ${this.items.length}`;
    const name = this.el("loupe-name");
    name.textContent = item.name;
    name.href = item.href;
    this.el("loupe-caption").textContent = item.caption;
    this.el("loupe-prev").hidden = this.index === 0;
    this.el("loupe-next").hidden = this.index === this.items.length - 1;
    this.el("loupe-prev").href = this.urlFor(this.index - 1);
    this.el("loupe-next").href = this.urlFor(this.index + 1);
    this.el("loupe-form").hidden = !item.can;
    this.el("loupe-readonly").hidden = item.can;
    this.strip.forEach((li, i) => li.toggleAttribute("aria-current", i === this.index));
    const here = this.strip[this.index];
    if (here) here.scrollIntoView({ block: "nearest", inline: "center" });
    this.renderMarks();
    history.replaceState(null, "", this.urlFor(this.index));
    this.preload();
  }

  urlFor(index) {
    const url = new URL(window.location.href);
    const item = this.items[Math.min(Math.max(index, 0), this.items.length - 1)];
    url.searchParams.set("start", item.id);
    return url.pathname + url.search;
  }

  preload() {
    for (const step of [1, -1, 2]) {
      const item = this.items[this.index + step];
      if (item && item.src) new Image().src = item.src;
    }
  }

  // -- marks --------------------------------------------------------------------------------
  mark(changes) {
    const item = this.current;
    if (!item.can) { this.status("refused", this.labels.readonly); return; }
    Object.assign(item, changes);
    this.renderMarks();
    this.pending.set(item.id, Object.assign(this.pending.get(item.id) || {}, changes));
    this.flush();
  }

  renderMarks() {
    const item = this.current;
    const box = this.el("loupe-marks");
    const stars = document.createElement("span");
    stars.className = "stars";
    stars.textContent = "★".repeat(item.rating) + "☆".repeat(5 - item.rating);
    stars.title = `${item.rating} ${this.labels.stars}`;
    const pick = document.createElement("span");
    pick.className = `pick pick-${item.cull_mark}`;
    pick.textContent = this.labels[{ 1: "picked", "-1": "rejected", 0: "unmarked" }[item.cull_mark]];
    const parts = [stars, document.createTextNode(" "), pick];
    if (item.color_label) {
      const chip = document.createElement("span");
      chip.className = `color-chip color-${item.color_label}`;
      chip.textContent = this.labels[item.color_label] || item.color_label;
      parts.push(document.createTextNode(" "), chip);
    }
    box.replaceChildren(...parts);
    this.renderForm(item);
    const li = this.strip[this.index];
    if (li) {
      li.dataset.mark = item.cull_mark;
      li.dataset.rating = item.rating;
      li.dataset.color = item.color_label || "";
    }
  }

  renderForm(item) {
    const form = document.querySelector("#loupe-form form");
    if (!form) return;
    form.dataset.asset = item.id;
    form.elements.asset_id.value = item.id;
    form.elements.next.value = this.urlFor(this.index);
    const now = { rating: String(item.rating), cull_mark: String(item.cull_mark), color_label: item.color_label || "" };
    for (const button of form.querySelectorAll("button[name]")) {
      button.setAttribute("aria-pressed", String(now[button.name] === button.value));
    }
  }

  onFormSubmit(event) {
    event.preventDefault();
    const button = event.submitter;
    if (!button || !button.name) return;
    const value = button.name === "color_label" ? button.value : Number(button.value);
    this.mark({ [button.name]: value });
  }

  // -- saving -------------------------------------------------------------------------------
  async flush() {
    if (this.saving) return;
    const next = this.pending.entries().next();
    if (next.done) {
      this.status("saved");
      if (this.leaveTo) window.location.assign(this.leaveTo);
      return;
    }
    const [id, changes] = next.value;
    this.pending.delete(id);
    this.saving = true;
    this.status("saving");
    const started = performance.now();
    let retry = false;
    try {
      const response = await fetch(this.marksUrl.replace(/\/0\/marks$/, `/${id}/marks`), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": this.token },
        body: JSON.stringify(changes),
      });
      if (response.ok) {
        this.confirm(id, await response.json());
        this.root.dataset.lastSaveMs = (performance.now() - started).toFixed(1);
        this.retryMs = 500;
        this.refusal = null;
      } else if (response.status >= 500 || response.status === 429 || response.status === 408) {
        retry = true;
      } else {
        const body = await response.json().catch(() => ({}));
        this.refused(id, body.message || String(response.status));
      }
    } catch (e) {
      retry = true; // the network: try again
    }
    this.saving = false;
    if (retry) {
      // Marks made since take precedence over the ones that failed.
      this.pending.set(id, Object.assign({}, changes, this.pending.get(id) || {}));
      this.status("failed");
      setTimeout(() => this.flush(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      return;
    }
    this.flush();
  }

  confirm(id, marks) {
    if (this.pending.has(id)) return; // newer marks are on their way
    const item = this.items.find((i) => i.id === id);
    if (!item) return;
    item.rating = marks.rating;
    item.cull_mark = marks.cull_mark;
    item.color_label = marks.color_label;
    if (item === this.current) this.renderMarks();
    const li = this.strip[this.items.indexOf(item)];
    if (li) { li.dataset.mark = item.cull_mark; li.dataset.rating = item.rating; li.dataset.color = item.color_label || ""; li.removeAttribute("data-failed"); }
  }

  refused(id, reason) {
    const index = this.items.findIndex((i) => i.id === id);
    if (this.strip[index]) this.strip[index].dataset.failed = "true";
    this.refusal = this.labels.refused.replace("%(reason)s", reason);
  }

  status(state, text) {
    const box = this.el("loupe-save");
    if (state === "saved" && this.refusal) { state = "refused"; text = this.refusal; }
    this.root.dataset.saveState = state;
    this.root.dataset.pending = String(this.pending.size + (this.saving ? 1 : 0));
    box.className = `loupe-save save-${state}`;
    box.setAttribute("role", state === "failed" || state === "refused" ? "alert" : "status");
    box.textContent = text || this.labels[state] || "";
  }

  // -- keys ---------------------------------------------------------------------------------
  onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest && e.target.closest("input, select, textarea")) return;
    const help = this.el("loupe-help");
    if (!help.hidden && (e.key === "Escape" || e.key === "?")) { this.toggleHelp(false); e.preventDefault(); return; }
    if (this.handle(e.key)) e.preventDefault();
  }

  handle(key) {
    const k = key.length === 1 ? key.toLowerCase() : key;
    if (k === "ArrowLeft" || k === "j") this.go(this.index - 1);
    else if (k === "ArrowRight" || k === "k") this.go(this.index + 1);
    else if (k === "Home") this.go(0);
    else if (k === "End") this.go(this.items.length - 1);
    else if (/^[0-5]$/.test(k)) this.mark({ rating: Number(k) });
    else if (/^[6-9]$/.test(k)) this.mark({ color_label: KEY_COLORS[k] });
    else if (k === "p") this.mark({ cull_mark: 1 });
    else if (k === "x") this.mark({ cull_mark: -1 });
    else if (k === "u") this.mark({ cull_mark: 0 });
    else if (k === "c") this.mark({ color_label: this.nextColor(this.current.color_label) });
    else if (k === "f") this.togglePicked();
    else if (k === "Escape" || k === "q") this.leave(this.root.dataset.back);
    else if (k === "?") this.toggleHelp();
    else return false;
    return true;
  }

  nextColor(current) {
    const i = COLORS.indexOf(current);
    return i === COLORS.length - 1 ? "" : COLORS[i + 1];
  }

  togglePicked() {
    const url = new URL(window.location.href);
    if (this.pickedOnly) url.searchParams.delete("picks");
    else url.searchParams.set("picks", "picked");
    url.searchParams.set("start", this.current.id);
    this.leave(url.pathname + url.search);
  }

  toggleHelp(open) {
    const help = this.el("loupe-help");
    const show = open === undefined ? help.hidden : open;
    help.hidden = !show;
    if (show) this.el("loupe-help-close").focus();
    else this.el("loupe-help-button").focus();
  }

  onStripClick(e) {
    const li = e.target.closest("li[data-index]");
    if (!li) return;
    e.preventDefault();
    this.go(Number(li.dataset.index));
  }

  // Leaves once every mark is saved (a save still failing keeps the user here, told why).
  leave(url) {
    this.leaveTo = url;
    if (!this.pending.size && !this.saving) window.location.assign(url);
    else this.status(this.root.dataset.saveState === "failed" ? "failed" : "saving");
  }
}

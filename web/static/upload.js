// Acervo upload: many files, a few at a time, in resumable chunks, with progress per file.
"use strict";

(() => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const labels = JSON.parse(form.dataset.labels);
  const chunkSize = Number(form.dataset.chunk);
  const maxBytes = Number(form.dataset.max);
  const parallel = Number(form.dataset.parallel) || 3;
  const input = document.getElementById("files");
  const zone = document.getElementById("dropzone");
  const list = document.getElementById("file-list");
  const batchBox = document.getElementById("batch-progress");
  const batchBar = document.getElementById("batch-bar");
  const batchText = document.getElementById("batch-text");
  let chosen = [];

  const headers = (extra) => Object.assign({ "X-CSRF-Token": csrf, Accept: "application/json" }, extra || {});
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function addFiles(files) {
    for (const file of files) {
      const row = document.createElement("li");
      row.className = "file";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = file.name;
      const bar = document.createElement("progress");
      bar.max = 100; bar.value = 0;
      bar.setAttribute("aria-label", file.name);
      const status = document.createElement("span");
      status.className = "status";
      status.textContent = labels.waiting;
      row.append(name, bar, status);
      list.appendChild(row);
      chosen.push({ file, row, bar, status, sent: 0 });
    }
  }

  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
  input.addEventListener("click", (e) => e.stopPropagation());
  input.addEventListener("change", () => { addFiles(input.files); input.value = ""; });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); addFiles(e.dataTransfer.files); });

  async function api(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options));
    let body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    return { response, body };
  }

  function updateBatch() {
    const total = chosen.reduce((s, c) => s + c.file.size, 0) || 1;
    const sent = chosen.reduce((s, c) => s + c.sent, 0);
    batchBar.value = Math.round((sent / total) * 100);
    const finished = chosen.filter((c) => c.finished).length;
    batchText.textContent = `${labels.batch_progress}: ${finished} / ${chosen.length}`;
  }

  // Resume key: the same file chosen again (after a reload) goes on where it stopped.
  const resumeKey = (batchId, file) => `acervo-upload:${batchId}:${file.name}:${file.size}:${file.lastModified}`;

  async function startUpload(batchId, item) {
    const key = resumeKey(batchId, item.file);
    const known = localStorage.getItem(key);
    if (known) {
      const { response, body } = await api(known, { headers: headers() });
      if (response.ok && body.state === "receiving") return body;
    }
    const { response, body } = await api(form.dataset.uploads, {
      method: "POST",
      headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({ batch_id: batchId, filename: item.file.name, size: item.file.size }),
    });
    if (!response.ok) throw Object.assign(new Error(body.message || response.status), { final: true });
    localStorage.setItem(key, body.url);
    return body;
  }

  async function sendChunks(item, upload) {
    let offset = upload.offset;
    let failures = 0;
    while (offset < item.file.size) {
      const end = Math.min(offset + (upload.chunk_size || chunkSize), item.file.size);
      try {
        const { response, body } = await api(upload.url, {
          method: "PATCH",
          headers: headers({ "Upload-Offset": String(offset), "Content-Type": "application/octet-stream" }),
          body: item.file.slice(offset, end),
        });
        if (response.status === 409 && typeof body.offset === "number") { offset = body.offset; continue; }
        if (!response.ok) {
          if (response.status >= 500) throw new Error(body.message || response.status);
          throw Object.assign(new Error(body.message || response.status), { final: true });
        }
        offset = body.offset;
        failures = 0;
      } catch (error) {
        if (error.final || failures >= 8) throw error;
        failures += 1;
        item.status.textContent = labels.retrying;
        await sleep(Math.min(1000 * 2 ** failures, 15000));
        const { response, body } = await api(upload.url, { headers: headers() });
        if (response.ok) offset = body.offset;
      }
      item.sent = offset;
      item.bar.value = Math.round((offset / item.file.size) * 100);
      item.status.textContent = `${labels.uploading} ${item.bar.value}%`;
      updateBatch();
    }
  }

  async function uploadOne(batchId, item) {
    if (item.file.size > maxBytes) throw Object.assign(new Error(labels.too_large), { final: true });
    const upload = await startUpload(batchId, item);
    await sendChunks(item, upload);
    const { response, body } = await api(`${upload.url}/complete`, { method: "POST", headers: headers() });
    if (!response.ok) throw Object.assign(new Error(body.message || response.status), { final: true });
    localStorage.removeItem(resumeKey(batchId, item.file));
    return body;
  }

  async function worker(batchId, queue) {
    while (queue.length) {
      const item = queue.shift();
      item.status.textContent = labels.uploading;
      try {
        const result = await uploadOne(batchId, item);
        item.row.classList.add(`outcome-${result.outcome}`);
        item.status.textContent = result.outcome === "failed" ? `${labels.failed}: ${result.reason || result.error}` : labels[result.outcome || result.state];
        item.bar.value = 100;
        item.sent = item.file.size;
      } catch (error) {
        item.row.classList.add("outcome-failed");
        item.status.textContent = `${labels.failed}: ${error.message}`;
        item.sent = item.file.size;
      }
      item.finished = true;
      updateBatch();
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const pending = chosen.filter((c) => !c.finished);
    if (!pending.length) { batchText.textContent = labels.nothing; batchBox.hidden = false; return; }
    const fields = Object.fromEntries(["event", "date", "area", "programme", "place", "photographer", "caption"].map((n) => [n, form.elements[n].value]));
    const { response, body } = await api(form.dataset.api, {
      method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(fields),
    });
    batchBox.hidden = false;
    if (!response.ok) { batchText.textContent = body.message || String(response.status); return; }
    document.getElementById("start").disabled = true;
    updateBatch();
    const queue = pending.slice();
    await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, () => worker(body.id, queue)));
    const refused = pending.filter((c) => c.row.classList.contains("outcome-failed")).length;
    batchText.textContent = refused === 0 ? `${labels.done} `
      : `${labels.done_some.replace("{ok}", String(pending.length - refused)).replace("{n}", String(pending.length)).replace("{bad}", String(refused))} `;
    const link = document.createElement("a");
    link.href = body.page_url;
    link.id = "batch-link";
    link.textContent = labels.see_batch;
    batchText.appendChild(link);
    document.getElementById("start").disabled = false;
    chosen = chosen.filter((c) => !c.finished);
  });
})();

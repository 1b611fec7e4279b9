// Live progress of one job over the WebSocket: percent, step, a per-chunk grid, ETA; the socket
// reconnects with backoff and resumes after the last event it saw, so nothing is missed.

import { api, socketUrl, ApiError } from "./api.js";
import { $, el, notice, confirmDialog, formatDuration } from "./ui.js";

const FINAL = new Set(["completed", "partial", "failed", "cancelled"]);

let current = null; // the job on screen: { id, socket, lastSeq, ... }

export function leaveJob() {
  if (current) {
    current.closed = true;
    clearTimeout(current.timer);
    if (current.socket) current.socket.close();
    current = null;
  }
}

export async function showJob(id) {
  leaveJob();
  const job = { id, lastSeq: 0, snapshotSeq: 0, total: 0, chunks: new Map(), attempt: 0, closed: false, announced: -1, status: null };
  current = job;
  $("#job-missing").hidden = true;
  $("#job-body").hidden = true;
  $("#chunk-grid").replaceChildren();
  $("#open-results").hidden = true;
  let row;
  try {
    row = await api.get(`/jobs/${encodeURIComponent(id)}`);
  } catch (error) {
    if (current !== job) return;
    // Someone else's job answers 404 exactly like one that does not exist.
    $("#job-missing-text").textContent = error instanceof ApiError && error.status === 404
      ? "This job was not found. It may have been deleted, or it belongs to another account."
      : error.message;
    $("#job-missing").hidden = false;
    $("#job-title").textContent = "Job not found";
    return;
  }
  if (current !== job) return;
  $("#job-title").textContent = row.file_name;
  $("#job-file").textContent = `${row.page_count} pages · job ${row.id}`;
  $("#job-error").hidden = true;
  render(job, row);
  $("#job-body").hidden = false;
  connect(job);
}

function connect(job) {
  const socket = new WebSocket(socketUrl());
  job.socket = socket;
  socket.addEventListener("open", () => {
    job.attempt = 0;
    $("#connection").hidden = true;
    // after_seq 0 on the first visit replays the whole log, which fills in the chunk grid.
    socket.send(JSON.stringify({ type: "subscribe", job_id: job.id, after_seq: job.lastSeq }));
  });
  socket.addEventListener("message", (message) => {
    let data;
    try { data = JSON.parse(message.data); } catch { return; }
    if (data.type === "error") {
      $("#job-error").textContent = data.error.message;
      $("#job-error").hidden = false;
      return;
    }
    if (data.type === "snapshot") {
      job.snapshotSeq = data.seq;
      render(job, data);
      return;
    }
    if (data.type !== "event" || data.seq <= job.lastSeq) return;
    job.lastSeq = data.seq;
    if (data.seq <= job.snapshotSeq) {
      // Replayed history: the snapshot already tells where the job is; the old events only
      // fill in the chunk grid, so the bar does not run backwards.
      if (data.chunk) job.chunks.set(data.chunk.index, data.chunk);
      renderGrid(job, Math.max(data.total_chunks || 0, job.total || 0));
    } else {
      render(job, data);
    }
    // A finished job sends nothing more once its log is replayed.
    if (FINAL.has(job.status) && job.lastSeq >= job.snapshotSeq) socket.close();
  });
  socket.addEventListener("close", () => {
    if (job.closed || current !== job || FINAL.has(job.status)) return;
    $("#connection").hidden = false;
    job.attempt += 1;
    const wait = Math.min(10_000, 500 * 2 ** job.attempt);
    job.timer = setTimeout(async () => {
      if (job.closed) return;
      // A failed handshake may be an expired access token: any API call refreshes it.
      try { await api.get("/auth/me"); } catch { /* offline: try the socket again anyway */ }
      if (!job.closed) connect(job);
    }, wait);
  });
}

function render(job, state) {
  const percent = state.progress_percent ?? 0;
  const progress = $("#job-progress");
  progress.value = percent;
  progress.setAttribute("aria-valuetext", `${percent} percent`);
  $("#job-percent").textContent = `${percent} %`;
  const badge = $("#job-status");
  badge.textContent = state.status;
  badge.className = `badge ${state.status}`;
  $("#job-step").textContent = state.current_step || "";
  const running = state.status === "running" || state.status === "queued";
  $("#job-eta").textContent = running && state.eta_seconds != null
    ? `About ${formatDuration(state.eta_seconds)} left`
    : running ? "" : `${state.processed_chunks ?? 0} of ${state.total_chunks ?? 0} chunks done` +
      (state.failed_chunks ? `, ${state.failed_chunks} failed` : "");
  if (state.chunk) job.chunks.set(state.chunk.index, state.chunk);
  job.total = state.total_chunks || 0;
  renderGrid(job, job.total);
  // Screen readers hear every tenth percent and each change of status, not every event.
  const step = Math.floor(percent / 10);
  if (step !== job.announced || state.status !== job.status) {
    job.announced = step;
    $("#job-live").textContent = `${state.status}, ${percent} percent`;
  }
  const wasFinal = FINAL.has(job.status);
  job.status = state.status;
  $("#cancel-job").hidden = !running;
  $("#retry-job").hidden = !(state.status === "partial" || (state.status === "failed" && state.failed_chunks > 0));
  if (!wasFinal && (state.status === "completed" || state.status === "partial")) linkResults(job);
}

function renderGrid(job, total) {
  const grid = $("#chunk-grid");
  while (grid.children.length < total) grid.append(el("li", { text: String(grid.children.length + 1) }));
  [...grid.children].forEach((cell, index) => {
    const chunk = job.chunks.get(index);
    const status = chunk ? chunk.status : "pending";
    cell.className = status.replaceAll(" ", "-");
    const attempts = chunk && chunk.attempts > 1 ? `, attempt ${chunk.attempts}` : "";
    const next = chunk && chunk.next_attempt_at ? `, next attempt at ${new Date(chunk.next_attempt_at).toLocaleTimeString()}` : "";
    cell.setAttribute("aria-label", `Chunk ${index + 1}: ${status}${attempts}${next}`);
    cell.title = chunk && chunk.error ? `${chunk.error}${next}` : `${status}${attempts}${next}`;
  });
}

// The history entry of a finished job: searched by file name, matched by job id.
async function linkResults(job) {
  try {
    const row = await api.get(`/jobs/${encodeURIComponent(job.id)}`);
    const page = await api.get(`/history?limit=100&offset=0&search=${encodeURIComponent(row.file_name)}`);
    const entry = page.entries.find((e) => e.job_id === job.id);
    if (entry && current === job) {
      const link = $("#open-results");
      link.href = `#history/${entry.id}`;
      link.hidden = false;
    }
  } catch { /* the link is a convenience; the entry is in the history list too */ }
}

export function setupProgress() {
  $("#cancel-job").addEventListener("click", async () => {
    if (!current) return;
    const job = current;
    if (!await confirmDialog("Cancel this job?", "Processing stops; chunks already done are kept but the job cannot be resumed.", "Cancel job")) return;
    try {
      await api.post(`/jobs/${encodeURIComponent(job.id)}/cancel`);
      notice("Job cancelled.");
    } catch (error) {
      $("#job-error").textContent = error.message;
      $("#job-error").hidden = false;
    }
  });
  $("#retry-job").addEventListener("click", async () => {
    if (!current) return;
    const id = current.id;
    try {
      await api.post(`/jobs/${encodeURIComponent(id)}/retry`);
      notice("Retrying the failed chunks.");
      showJob(id);
    } catch (error) {
      $("#job-error").textContent = error.message;
      $("#job-error").hidden = false;
    }
  });
}

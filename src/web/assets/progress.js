// Live progress of one job over the WebSocket: percent, step, a per-chunk grid, ETA; the socket
// reconnects with backoff and resumes after the last event it saw, so nothing is missed.

import { api, socketUrl, ApiError } from "./api.js";
import { $, el, fmt, plural, notice, confirmDialog, formatDuration } from "./ui.js";

const FINAL = new Set(["completed", "partial", "failed", "cancelled", "rejected"]);
// Words that name a status: a step that is one of them says nothing the badge does not.
const STATUSES = new Set([...FINAL, "queued", "running"]);

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
  $("#job-actions").hidden = true;
  $("#job-error").hidden = true;
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
  job.fileName = row.file_name;
  $("#job-file").textContent = `${plural(row.page_count, "page")} · job ${row.id}`;
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
      showJobError(data.error.message);
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

// What the job's chunks came to, in a sentence, once it has ended.
function outcome(state) {
  const done = state.processed_chunks ?? 0;
  const total = state.total_chunks ?? 0;
  const failed = state.failed_chunks ?? 0;
  switch (state.status) {
    case "completed":
      return total > 1 ? `All ${plural(total, "chunk")} done.` : total ? "The only chunk is done." : "Done.";
    case "cancelled":
      return done ? `Cancelled after ${fmt(done)} of ${plural(total, "chunk")}.` : "Cancelled before any chunk finished.";
    case "failed":
      if (!total) return "Failed before the book was split into chunks.";
      return `Failed: ${fmt(done)} of ${plural(total, "chunk")} done` + (failed ? `, ${fmt(failed)} failed.` : ".");
    case "partial":
      return `${fmt(done)} of ${plural(total, "chunk")} done, ${fmt(failed)} failed.`;
    case "rejected":
      return "This PDF cannot be processed, and it was not kept. Upload another file.";
    default:
      return "";
  }
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
  const final = FINAL.has(state.status);
  const running = state.status === "running" || state.status === "queued";
  // The step only while it adds something: never a status word, never once the job is over.
  const step = (state.current_step || "").trim();
  $("#job-step").textContent = !final && step && !STATUSES.has(step.toLowerCase()) ? step : "";
  const eta = running && percent < 100 && state.eta_seconds != null && state.eta_seconds > 0
    ? `About ${formatDuration(state.eta_seconds)} left` : "";
  $("#job-eta").textContent = final ? outcome(state) : eta;
  const wasFinal = FINAL.has(job.status);
  const statusChanged = state.status !== job.status;
  job.status = state.status;
  if (state.chunk) job.chunks.set(state.chunk.index, state.chunk);
  job.total = state.total_chunks || 0;
  renderGrid(job, job.total);
  // Screen readers hear every tenth percent and each change of status, not every event.
  const tenth = Math.floor(percent / 10);
  if (tenth !== job.announced || statusChanged) {
    job.announced = tenth;
    $("#job-live").textContent = `${state.status}, ${percent} percent`;
  }
  $("#cancel-job").hidden = !running;
  $("#retry-job").hidden = !(state.status === "partial" || (state.status === "failed" && state.failed_chunks > 0));
  // An ended job is never a dead end: delete it, run it again, or go back. A rejected one has
  // no PDF left to run again: the way on is another file.
  const rejected = state.status === "rejected";
  $("#job-actions").hidden = !final;
  $("#rerun-job").hidden = rejected;
  // A refused PDF was never read: it has no progress and no chunks to show.
  for (const part of [".progress-line", "#chunks-title", "#chunk-grid"]) $(part).hidden = rejected;
  $("#job-back").textContent = rejected ? "Upload another file" : "Back to upload";
  // The job's own words for why it ended without a result, from its view or its final event.
  if (state.error && state.error.message && (state.status === "failed" || rejected)) {
    showJobError(rejected ? `This PDF was refused: ${withStop(state.error.message)}` : state.error.message);
  }
  if (!wasFinal && (state.status === "completed" || state.status === "partial")) linkResults(job);
}

// The server's messages are clauses ("the PDF has no pages"): one ends a sentence here.
function withStop(message) {
  return /[.!?…]$/.test(message) ? message : `${message}.`;
}

function showJobError(message) {
  $("#job-error").textContent = message;
  $("#job-error").hidden = false;
}

function renderGrid(job, total) {
  const grid = $("#chunk-grid");
  while (grid.children.length < total) grid.append(el("li", { text: fmt(grid.children.length + 1) }));
  [...grid.children].forEach((cell, index) => {
    const chunk = job.chunks.get(index);
    // Once the job is over, a chunk still marked as under way never will be.
    const raw = chunk ? chunk.status : "pending";
    const status = FINAL.has(job.status) && raw !== "done" && raw !== "failed" ? "not done" : raw;
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
      showJobError(error.message);
    }
  });
  $("#delete-job").addEventListener("click", async () => {
    if (!current) return;
    const job = current;
    const name = job.fileName || "This job";
    if (!await confirmDialog("Delete this job?", `${name}: the job, its results and its PDF are deleted for good.`, "Delete")) return;
    try {
      await api.del(`/jobs/${encodeURIComponent(job.id)}`);
      notice(`${name} deleted.`);
      location.hash = "#upload";
    } catch (error) {
      showJobError(error.message);
    }
  });
  $("#rerun-job").addEventListener("click", async () => {
    if (!current) return;
    const job = current;
    const button = $("#rerun-job");
    button.disabled = true;
    try {
      const { job_id } = await api.post(`/jobs/${encodeURIComponent(job.id)}/rerun`, {});
      notice(`${job.fileName || "The book"} is processed again as a new job.`);
      location.hash = `#job/${job_id}`;
    } catch (error) {
      // 410 upload_expired: the PDF is gone; its message says so, and Upload is one link away.
      showJobError(error.message);
    } finally {
      button.disabled = false;
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
      showJobError(error.message);
    }
  });
}

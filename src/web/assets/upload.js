// Upload: a drop zone that is also a plain file input (keyboard and screen-reader friendly),
// this book's settings (saying which saved settings apply), a preflight estimate, then off to
// the job's progress screen. Below, the recent jobs, finished ones with a Delete button.

import { api } from "./api.js";
import { $, el, fill, fmt, notice, showError, formatDate, confirmDialog } from "./ui.js";
import { loadSettings, settingsFields, readFields, differences, chosenEngine } from "./settings.js";

let chosen = null;

const ACTIVE = new Set(["queued", "running"]);

function choose(file) {
  const isPdf = file && (file.type === "application/pdf" || /\.pdf$/i.test(file.name));
  chosen = isPdf ? file : null;
  $("#file-name").textContent = chosen
    ? `${chosen.name} (${(chosen.size / 1024 / 1024).toFixed(1)} MB)`
    : file ? `${file.name} is not a PDF.` : "No file chosen.";
  $("#upload-button").disabled = !chosen;
  $("#estimate-button").disabled = !chosen;
  fill($("#estimate"));
}

function formData(form) {
  const data = new FormData();
  for (const [name, value] of Object.entries(readFields(form))) data.append(name, String(value));
  data.append("file", chosen, chosen.name);
  return data;
}

function showEstimate(answer) {
  const e = answer.estimate;
  const gemini = answer.engine === "gemini";
  const rows = [
    ["Pages", e.pages], ["Chunks", e.chunks], ["In parallel", e.parallelism], ["Words", e.words],
  ];
  // Tokens are what a model is paid by: they mean nothing for the local engine.
  if (gemini) {
    rows.push(["Input tokens (est.)", e.estimated_tokens_in], ["Output tokens (est.)", e.estimated_tokens_out]);
  }
  const costs = gemini ? (e.models || []).map((m) =>
    el("li", { text: `${m.preference} (${m.model}): about $${Number(m.estimated_cost_usd).toFixed(3)}` })) : [];
  fill($("#estimate"),
    el("h2", { class: "small", text: `Estimate (${answer.engine} engine)` }),
    el("dl", { class: "fields" }, rows
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => el("div", {}, el("dt", { text: k }), el("dd", { text: fmt(v) })))),
    costs.length ? el("ul", {}, costs) : null,
  );
}

// "Your saved settings apply: …" for every saved setting that is not the server's default.
function showSaved(settings, defaults) {
  const changed = differences(settings, defaults);
  const box = $("#upload-saved");
  box.hidden = !changed.length;
  if (!changed.length) return fill(box);
  fill(box,
    `Your saved settings apply: ${changed.join(", ")}. Change them below for this book or in `,
    el("a", { href: "#settings", text: "Settings" }), ".");
}

async function deleteJob(job, button) {
  if (!await confirmDialog("Delete this job?", `${job.file_name}: the job, its results and its PDF are deleted for good.`, "Delete")) return;
  button.disabled = true;
  try {
    await api.del(`/jobs/${encodeURIComponent(job.id)}`);
    notice(`${job.file_name} deleted.`);
    await showRecent();
    $("#recent-title").focus();
  } catch (error) {
    button.disabled = false;
    showError($("#recent-error"), error);
  }
}

function recentJob(job) {
  const finished = !ACTIVE.has(job.status);
  const del = finished ? el("button", {
    type: "button", class: "secondary small-button", text: "Delete",
    "aria-label": `Delete job ${job.file_name}`,
  }) : null;
  if (del) del.addEventListener("click", () => deleteJob(job, del));
  // A rejected job made nothing: its percent says nothing, why it was refused does.
  const how = job.status === "rejected" ? "PDF refused" : `${fmt(job.progress_percent)} %`;
  return el("li", { "data-job": job.id },
    el("a", { href: `#job/${job.id}`, class: "file-name", text: job.file_name }),
    el("span", { class: `badge ${job.status}`, text: job.status }),
    el("span", { class: "muted", text: `${how} · ${formatDate(job.created_at)}` }),
    del);
}

async function showRecent() {
  showError($("#recent-error"), null);
  try {
    const { jobs } = await api.get("/jobs?limit=10&offset=0");
    fill($("#recent-jobs"), jobs.length ? jobs.map(recentJob) : el("li", { class: "muted", text: "No jobs yet." }));
  } catch (error) {
    fill($("#recent-jobs"), el("li", { class: "error", text: error.message }));
  }
}

export function setupUpload() {
  const form = $("#upload-form");
  const zone = $("#drop-zone");
  $("#file-input").addEventListener("change", (event) => choose(event.target.files[0]));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    choose(event.dataTransfer.files[0]);
  });
  // A new engine makes an estimate for the old one misleading.
  $("#upload-fields").addEventListener("change", (event) => {
    if (event.target.name === "engine") fill($("#estimate"));
  });
  $("#estimate-button").addEventListener("click", async () => {
    showError($("#upload-error"), null);
    $("#estimate").textContent = "Estimating…";
    try {
      const answer = await api.form("/jobs/estimate", formData(form));
      showEstimate({ ...answer, engine: answer.engine || chosenEngine(form) });
    } catch (error) {
      fill($("#estimate"));
      showError($("#upload-error"), error);
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen) return;
    showError($("#upload-error"), null);
    const button = $("#upload-button");
    button.disabled = true;
    button.textContent = "Uploading…";
    try {
      const { job_id } = await api.form("/jobs", formData(form));
      choose(null);
      $("#file-input").value = "";
      location.hash = `#job/${job_id}`;
    } catch (error) {
      showError($("#upload-error"), error);
      button.disabled = false;
    } finally {
      button.textContent = "Upload and process";
    }
  });
}

export async function showUpload() {
  // Fresh on each visit: settings saved a moment ago must show up here.
  const { settings, engines, defaults } = await loadSettings(true);
  fill($("#upload-fields"), settingsFields("upload", settings, engines));
  showSaved(settings, defaults);
  await showRecent();
}

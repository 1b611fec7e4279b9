// Upload: a drop zone that is also a plain file input (keyboard and screen-reader friendly),
// this book's settings, a preflight estimate, then off to the job's progress screen.

import { api } from "./api.js";
import { $, el, showError, formatDate } from "./ui.js";
import { loadSettings, settingsFields, readFields } from "./settings.js";

let chosen = null;

function choose(file) {
  const isPdf = file && (file.type === "application/pdf" || /\.pdf$/i.test(file.name));
  chosen = isPdf ? file : null;
  $("#file-name").textContent = chosen
    ? `${chosen.name} (${(chosen.size / 1024 / 1024).toFixed(1)} MB)`
    : file ? `${file.name} is not a PDF.` : "No file chosen.";
  $("#upload-button").disabled = !chosen;
  $("#estimate-button").disabled = !chosen;
  $("#estimate").replaceChildren();
}

function formData(form) {
  const data = new FormData();
  for (const [name, value] of Object.entries(readFields(form))) data.append(name, String(value));
  data.append("file", chosen, chosen.name);
  return data;
}

function showEstimate(answer) {
  const e = answer.estimate;
  const rows = [
    ["Pages", e.pages], ["Chunks", e.chunks], ["In parallel", e.parallelism], ["Words", e.words],
    ["Input tokens (est.)", e.estimated_tokens_in], ["Output tokens (est.)", e.estimated_tokens_out],
  ];
  const costs = (e.models || []).map((m) =>
    el("li", { text: `${m.preference} (${m.model}): about $${Number(m.estimated_cost_usd).toFixed(3)}` }));
  $("#estimate").replaceChildren(
    el("h2", { class: "small", text: `Estimate (${answer.engine} engine)` }),
    el("dl", { class: "fields" }, rows.map(([k, v]) => el("div", {}, el("dt", { text: k }), el("dd", { text: String(v) })))),
    answer.engine === "gemini" && costs.length ? el("ul", {}, costs) : null,
  );
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
  $("#estimate-button").addEventListener("click", async () => {
    showError($("#upload-error"), null);
    $("#estimate").textContent = "Estimating…";
    try {
      showEstimate(await api.form("/jobs/estimate", formData(form)));
    } catch (error) {
      $("#estimate").replaceChildren();
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
  const { settings, engines } = await loadSettings();
  const box = $("#upload-fields");
  // Rebuilt on each visit so saved settings changes show up.
  box.replaceChildren(...settingsFields("upload", settings, engines));
  try {
    const { jobs } = await api.get("/jobs?limit=10&offset=0");
    $("#recent-jobs").replaceChildren(...(jobs.length ? jobs.map((job) =>
      el("li", {},
        el("a", { href: `#job/${job.id}`, text: job.file_name }),
        el("span", { class: `badge ${job.status}`, text: job.status }),
        el("span", { class: "muted", text: `${job.progress_percent} % · ${formatDate(job.created_at)}` })))
      : [el("li", { class: "muted", text: "No jobs yet." })]));
  } catch (error) {
    $("#recent-jobs").replaceChildren(el("li", { class: "error", text: error.message }));
  }
}

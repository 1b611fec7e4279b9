// One history entry: the sentences with the original beside the normalized text, a filter,
// inline editing, exports (files and Google Sheets), re-process and delete.

import { api, download, ApiError } from "./api.js";
import { $, $$, el, notice, confirmDialog, formDialog, saveBlob, formatDate, showError } from "./ui.js";
import { loadSettings, settingsFields } from "./settings.js";

let entry = null;
let sentences = [];

const enc = encodeURIComponent;
// Source sentences asked for per request (the API's most).
const PAGE = 1000;

export async function showEntry(id) {
  // A filter or a selection typed for another book would hide this one's sentences.
  if (!entry || entry.id !== id) {
    $("#entry-filter").value = "";
    $("#entry-positions").value = "";
  }
  entry = null;
  $("#entry-missing").hidden = true;
  $("#entry-body").hidden = true;
  $("#export-result").replaceChildren();
  let detail;
  try {
    detail = await api.get(`/history/${enc(id)}?limit=${PAGE}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      $("#entry-title").textContent = "Entry not found";
      $("#entry-missing").hidden = false;
      return;
    }
    throw error;
  }
  entry = detail.entry;
  entry.pdf_available = detail.pdf_available;
  sentences = await allPieces(id, detail);
  $("#entry-title").textContent = entry.file_name;
  const sheet = entry.sheet_url ? ` · exported to Sheets ${formatDate(entry.exported_at)}` : "";
  $("#entry-meta").textContent =
    `${entry.status} · ${entry.page_count} pages · ${entry.sentence_count} sentences · ${entry.engine} engine · ${formatDate(entry.created_at)}${sheet}`;
  $("#reprocess-entry").disabled = !detail.pdf_available;
  $("#reprocess-entry").title = detail.pdf_available ? "" : "The PDF is no longer kept";
  renderRows();
  $("#entry-body").hidden = false;
}

// The book comes a page of source sentences at a time; the table lists one piece per row,
// its source sentence beside it.
async function allPieces(id, first) {
  const rows = [];
  let page = first;
  let offset = 0;
  for (;;) {
    for (const source of page.sources) {
      for (const piece of source.pieces) {
        rows.push({ ...piece, original: source.original, page: source.page, chapter: source.chapter });
      }
    }
    offset += page.sources.length;
    if (!page.sources.length || offset >= page.total) return rows;
    page = await api.get(`/history/${enc(id)}?offset=${offset}&limit=${PAGE}`);
  }
}

function matches(sentence, words) {
  if (!words.length) return true;
  const text = `${sentence.original} ${sentence.normalized}`.toLocaleLowerCase();
  return words.every((w) => text.includes(w));
}

function renderRows() {
  const words = $("#entry-filter").value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const shown = sentences.filter((s) => matches(s, words));
  $("#entry-count").textContent = words.length
    ? `${shown.length} of ${sentences.length} sentences match.`
    : `${sentences.length} sentences.`;
  $("#sentences tbody").replaceChildren(...shown.map(row));
}

function row(sentence) {
  const cell = el("td", { class: "normalized" + (sentence.edited ? " edited" : ""), text: sentence.normalized });
  const edit = el("button", { type: "button", class: "secondary", "aria-label": `Edit sentence ${sentence.position}`, text: "Edit" });
  edit.addEventListener("click", () => startEdit(sentence, cell, edit));
  return el("tr", { "data-position": sentence.position },
    el("td", { text: String(sentence.position) }),
    el("td", { class: "original", text: sentence.original }),
    cell,
    el("td", { class: "page", text: String(sentence.page) }),
    el("td", {}, edit));
}

// Enter saves, Escape gives up; focus comes back to the Edit button either way.
function startEdit(sentence, cell, button) {
  const label = `Sentence ${sentence.position}, normalized`;
  const input = el("textarea", { "aria-label": label, rows: 2 });
  input.value = sentence.normalized;
  const error = el("p", { class: "error", role: "alert", hidden: true });
  cell.replaceChildren(input, error);
  button.hidden = true;
  input.focus();
  const finish = () => {
    cell.replaceChildren(sentence.normalized);
    cell.classList.toggle("edited", sentence.edited);
    button.hidden = false;
    button.focus();
  };
  input.addEventListener("keydown", async (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      finish();
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      const text = input.value.trim();
      if (text === sentence.normalized) return finish();
      try {
        const saved = await api.patch(`/history/${enc(entry.id)}/sentences/${sentence.position}`, { normalized: text });
        Object.assign(sentence, saved && saved.normalized !== undefined ? saved : { normalized: text, edited: true });
        finish();
        notice(`Sentence ${sentence.position} saved.`);
      } catch (err) {
        showError(error, err);
      }
    }
  });
}

async function exportFile(format) {
  const positions = $("#entry-positions").value.trim();
  const query = `format=${format}` + (positions ? `&positions=${enc(positions)}` : "");
  const result = $("#export-result");
  result.textContent = `Preparing ${format.toUpperCase()}…`;
  try {
    const { blob, name } = await download(`/history/${enc(entry.id)}/export?${query}`, `export.${format}`);
    saveBlob(blob, name);
    // A second way to the same file, for browsers that block the automatic download.
    const link = el("a", { href: URL.createObjectURL(blob), download: name, id: "export-link", text: `Download ${name} again` });
    result.replaceChildren(`${name} is ready. `, link);
  } catch (error) {
    result.replaceChildren(el("span", { class: "error", text: error.message }));
  }
}

async function exportSheets() {
  const fields = [
    el("label", { for: "sheet-id", text: "Spreadsheet to append to (id or link; empty for a new one)" }),
    el("input", { id: "sheet-id", name: "spreadsheet_id", type: "text" }),
  ];
  const form = await formDialog("Export to Google Sheets", fields, "Export");
  if (!form) return;
  const body = {};
  const sheet = String(form.get("spreadsheet_id") || "").trim();
  const positions = $("#entry-positions").value.trim();
  if (sheet) body.spreadsheet_id = sheet;
  if (positions) body.positions = positions;
  const result = $("#export-result");
  result.textContent = "Exporting to Google Sheets…";
  try {
    const answer = await api.post(`/history/${enc(entry.id)}/sheets`, body);
    result.replaceChildren(`${answer.rows} rows ${answer.appended ? "appended" : "exported"}: `,
      el("a", { href: answer.sheet_url, target: "_blank", rel: "noopener", text: "open the spreadsheet" }));
  } catch (error) {
    const hint = ["google_not_connected", "google_reconnect_required"].includes(error.code)
      ? el("a", { href: "#settings", text: " Connect Google in Settings." }) : null;
    result.replaceChildren(el("span", { class: "error", text: error.message }), hint);
  }
}

async function reprocess() {
  const { settings, engines } = await loadSettings();
  const form = await formDialog("Re-process with other settings", settingsFields("reprocess", { ...settings, ...entry.settings }, engines), "Re-process");
  if (!form) return;
  const body = {};
  for (const [key, value] of form.entries()) body[key] = /^\d+$/.test(value) ? Number(value) : value;
  for (const name of ["ignore_dialogue", "preserve_formatting", "fix_hyphenation"]) body[name] = form.has(name);
  try {
    const answer = await api.post(`/history/${enc(entry.id)}/reprocess`, body);
    location.hash = `#job/${answer.job_id}`;
  } catch (error) {
    showError($("#alert"), error);
  }
}

export function setupResults() {
  $("#entry-filter").addEventListener("input", renderRows);
  $$("[data-export]").forEach((button) => button.addEventListener("click", () => exportFile(button.dataset.export)));
  $("#sheets-export").addEventListener("click", exportSheets);
  $("#reprocess-entry").addEventListener("click", reprocess);
  $("#delete-entry").addEventListener("click", async () => {
    if (!entry) return;
    if (!await confirmDialog("Delete this entry?", `${entry.file_name}: its sentences, its job and its PDF are deleted for good.`, "Delete")) return;
    try {
      await api.del(`/history/${enc(entry.id)}`);
      notice(`${entry.file_name} deleted.`);
      location.hash = "#history";
    } catch (error) {
      showError($("#alert"), error);
    }
  });
}

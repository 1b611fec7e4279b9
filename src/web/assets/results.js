// One history entry, a page at a time: each source sentence once, its short sentences listed
// under it. A chapter menu, a whole-word search and four study filters narrow the list on the
// server; exports take exactly what is selected. The selection and the page live in the
// address (#history/<id>?chapter=3&page=2&q=chien&complete=1), so Back and reload keep them.

import { api, download, ApiError } from "./api.js";
import { $, $$, el, fill, fmt, plural, notice, confirmDialog, formDialog, saveBlob, formatDate, showError } from "./ui.js";
import { loadSettings, settingsFields, differences } from "./settings.js";

const enc = encodeURIComponent;
// Source sentences per page.
const PAGE = 50;
// How long typing may pause before the search goes to the server.
const DEBOUNCE_MS = 250;

// The study filters: the checkbox, its key in the address, its API parameter, how the export
// status line says it.
const FILTERS = [
  { id: "filter-complete", key: "complete", param: "complete_only", words: "complete sentences only" },
  { id: "filter-over", key: "hide_over", param: "hide_over_limit", words: "none over the limit" },
  { id: "filter-duplicates", key: "hide_dups", param: "hide_duplicates", words: "no duplicates" },
  { id: "filter-edited", key: "edited", param: "edited_only", words: "edited only" },
];

let entry = null; // the entry on screen, with `pdf_available`
let chapters = [];
let shown = false; // the entry view is on screen with `entry` loaded
let view = blankView();
let answer = null; // the page on screen, as the server sent it
let seq = 0; // each page request's number: an older answer never replaces a newer one
let controller = null;
let typing = null; // the search's debounce timer

function blankView() {
  return { chapter: null, page: 1, q: "", filters: new Set() };
}

// The view an address asks for (`?chapter=3&page=2&q=chien&complete=1`).
function viewOf(params) {
  const v = blankView();
  const chapter = Number(params.get("chapter"));
  if (Number.isInteger(chapter) && chapter > 0) v.chapter = chapter;
  const page = Number(params.get("page"));
  if (Number.isInteger(page) && page > 1) v.page = page;
  v.q = (params.get("q") || "").trim();
  for (const f of FILTERS) if (params.get(f.key) === "1") v.filters.add(f.key);
  return v;
}

function addressOf(v) {
  const params = new URLSearchParams();
  if (v.chapter) params.set("chapter", String(v.chapter));
  if (v.page > 1) params.set("page", String(v.page));
  if (v.q) params.set("q", v.q);
  for (const f of FILTERS) if (v.filters.has(f.key)) params.set(f.key, "1");
  const query = params.toString();
  return `#history/${enc(entry.id)}${query ? "?" + query : ""}`;
}

// Records the view in the address without a new route: `push` adds a step Back can undo.
function remember(push) {
  const address = addressOf(view);
  if (location.hash === address) return;
  if (push) history.pushState(null, "", address);
  else history.replaceState(null, "", address);
}

// What the server is asked for: the chapter, the words and the filters (pages aside).
function selection() {
  const params = new URLSearchParams();
  if (view.q) params.set("q", view.q);
  for (const f of FILTERS) if (view.filters.has(f.key)) params.set(f.param, "true");
  return params;
}

function chapterOf(index) {
  return chapters.find((c) => c.index === index) || null;
}

function showControls() {
  $("#entry-search").value = view.q;
  $("#entry-chapter").value = view.chapter ? String(view.chapter) : "";
  for (const f of FILTERS) $(`#${f.id}`).checked = view.filters.has(f.key);
}

function narrowed() {
  return !!view.q || view.filters.size > 0;
}

// "of chapter 3 matching “chien” (complete sentences only)": what is selected, in words.
function selectionWords() {
  const parts = [];
  if (view.chapter) parts.push(`of chapter ${fmt(view.chapter)}`);
  if (view.q) parts.push(`matching “${view.q}”`);
  const filters = FILTERS.filter((f) => view.filters.has(f.key)).map((f) => f.words);
  if (filters.length) parts.push(`(${filters.join(", ")})`);
  return parts.join(" ");
}

export function leaveEntry() {
  shown = false;
  clearTimeout(typing);
  if (controller) controller.abort();
}

// Shows entry `id` as the address's `params` ask. Returns the element to focus when only the
// page changed (Back, Forward), or null for a new screen (the router focuses its heading).
export async function showEntry(id, params = new URLSearchParams()) {
  const wanted = viewOf(params);
  if (shown && entry && entry.id === id) {
    view = wanted;
    showControls();
    await loadPage();
    return $("#sentences-title");
  }
  if (!entry || entry.id !== id) $("#entry-positions").value = "";
  leaveEntry();
  entry = null;
  chapters = [];
  answer = null;
  view = wanted;
  $("#entry-missing").hidden = true;
  $("#entry-body").hidden = true;
  fill($("#export-result"));
  fill($("#sentences"));
  const mine = ++seq;
  controller = new AbortController();
  const signal = controller.signal;
  const base = `/history/${enc(id)}`;
  // All at once: the entry, its chapters, whether Sheets is on, and the page asked for.
  const [detail, toc, google, page] = await Promise.allSettled([
    api.get(`${base}?limit=1`, { signal }),
    api.get(`${base}/chapters`, { signal }),
    api.get("/google", { signal }),
    api.get(`${base}/sentences?${pageQuery()}`, { signal }),
  ]);
  if (mine !== seq) return null;
  if (detail.status === "rejected") {
    const error = detail.reason;
    if (error instanceof ApiError && error.status === 404) {
      $("#entry-title").textContent = "Entry not found";
      $("#entry-missing").hidden = false;
      return null;
    }
    throw error;
  }
  entry = { ...detail.value.entry, pdf_available: detail.value.pdf_available };
  chapters = toc.status === "fulfilled" ? toc.value.chapters || [] : [];
  const sheets = google.status === "fulfilled" && google.value && google.value.configured;
  $("#sheets-export").hidden = !sheets;
  showHeader();
  showChapters();
  showControls();
  $("#entry-body").hidden = false;
  shown = true;
  if (page.status === "fulfilled") showPage(page.value);
  else showPageError(page.reason);
  return null;
}

function showHeader() {
  $("#entry-title").textContent = entry.file_name;
  const sheet = entry.sheet_url ? ` · exported to Sheets ${formatDate(entry.exported_at)}` : "";
  $("#entry-meta").textContent = [
    entry.status,
    plural(entry.page_count, "page"),
    plural(entry.sentence_count, "sentence"),
    `${entry.engine} engine`,
    formatDate(entry.created_at),
  ].filter(Boolean).join(" · ") + sheet;
  const reprocess = $("#reprocess-entry");
  reprocess.disabled = !entry.pdf_available;
  $("#reprocess-note").hidden = !!entry.pdf_available;
  if (entry.pdf_available) reprocess.removeAttribute("aria-describedby");
  else reprocess.setAttribute("aria-describedby", "reprocess-note");
}

function showChapters() {
  const select = $("#entry-chapter");
  fill(select,
    el("option", { value: "", text: `All chapters (${plural(entry.sentence_count, "sentence")})` }),
    chapters.map((c) => el("option", { value: String(c.index), text: `${c.title} (${plural(c.sentence_count, "sentence")})` })));
  // A book without detected chapters has nothing to choose.
  $("#chapter-control").hidden = !chapters.length;
}

function pageQuery() {
  const params = selection();
  params.set("offset", String((view.page - 1) * PAGE));
  params.set("limit", String(PAGE));
  if (view.chapter) params.set("chapter", String(view.chapter));
  return params.toString();
}

function busy(on) {
  $("#sentences").setAttribute("aria-busy", String(on));
}

// Loads the page `view` names; only the newest request's answer is shown.
async function loadPage({ focus = false } = {}) {
  if (!entry) return;
  clearTimeout(typing);
  const mine = ++seq;
  if (controller) controller.abort();
  controller = new AbortController();
  busy(true);
  try {
    const page = await api.get(`/history/${enc(entry.id)}/sentences?${pageQuery()}`, { signal: controller.signal });
    if (mine !== seq) return;
    // An address past the end (the book got shorter, a hand-typed page): the last page.
    const last = Math.max(1, Math.ceil(page.total / PAGE));
    if (view.page > last) {
      view.page = last;
      remember(false);
      return loadPage({ focus });
    }
    showPage(page);
    if (focus) $("#sentences-title").focus();
  } catch (error) {
    if (mine !== seq || (error && error.name === "AbortError")) return;
    showPageError(error);
  }
}

function rangeText(page) {
  if (!page.total) return "No sentences";
  const first = page.offset + 1;
  const last = page.offset + page.sources.length;
  return `Sentences ${fmt(first)}–${fmt(last)} of ${fmt(page.total)}`;
}

function countText(page) {
  const chapter = view.chapter && chapterOf(view.chapter);
  const where = view.chapter ? ` in ${chapter ? chapter.title : `chapter ${fmt(view.chapter)}`}` : "";
  if (!narrowed()) return `${plural(page.total, "source sentence")}${where}.`;
  const verb = page.total === 1 ? "matches" : "match";
  const words = view.q ? ` “${view.q}”` : "";
  const filters = FILTERS.filter((f) => view.filters.has(f.key)).map((f) => f.words);
  if (!page.total) return `No source sentence matches${words}${where}${filters.length ? ` (${filters.join(", ")})` : ""}.`;
  return `${plural(page.total, "source sentence")} ${verb}${words}${where}${filters.length ? ` (${filters.join(", ")})` : ""}.`;
}

function showPage(page) {
  answer = page;
  const range = rangeText(page);
  $("#entry-count").textContent = countText(page);
  $("#sentences-title").textContent = range;
  $("#page-status").textContent = range;
  fill($("#sentences"), page.sources.map(sourceItem));
  $("#sentences-empty").hidden = page.sources.length > 0;
  $("#page-prev").disabled = page.offset === 0;
  $("#page-next").disabled = page.offset + page.sources.length >= page.total;
  $("#pager").hidden = page.total <= PAGE;
  busy(false);
  // For anyone timing the screen: the rows of this answer are in the page.
  document.dispatchEvent(new CustomEvent("fnt:results", { detail: { q: view.q, total: page.total, offset: page.offset } }));
}

function showPageError(error) {
  answer = null;
  // A search of punctuation alone has no word to look for (400 invalid_request).
  $("#entry-count").textContent = error && error.code === "invalid_request" && view.q
    ? `“${view.q}” has no word to search for: type at least one whole word.`
    : (error && error.message) || String(error);
  $("#sentences-title").textContent = "No sentences";
  fill($("#sentences"));
  $("#sentences-empty").hidden = true;
  $("#pager").hidden = true;
  busy(false);
  document.dispatchEvent(new CustomEvent("fnt:results", { detail: { q: view.q, total: 0, offset: 0, error: true } }));
}

function sourceItem(source) {
  return el("li", { class: "source", "data-index": source.index },
    el("p", { class: "source-meta" },
      el("span", { text: `Page ${fmt(source.page)}` }),
      el("span", { class: "muted source-number", title: `Sentence ${fmt(source.index)} of the book`, text: `#${fmt(source.index)}` })),
    el("div", { class: "original" },
      el("span", { class: "label", text: "Original" }),
      el("p", { lang: "fr", text: source.original })),
    el("div", { class: "pieces" },
      el("span", { class: "label", text: "Short sentences" }),
      el("ul", { class: "piece-list" }, source.pieces.map(pieceItem))));
}

function marks(piece) {
  const limit = entry.settings && entry.settings.sentence_length_limit;
  return [
    piece.edited ? el("span", { class: "mark edited", text: "edited", title: piece.engine_text ? `The engine wrote: ${piece.engine_text}` : null }) : null,
    piece.kind === "over_limit" ? el("span", { class: "mark over", text: "over the limit", title: limit ? `Longer than ${limit} words: it could not be cut into complete sentences` : null }) : null,
    piece.complete === false ? el("span", { class: "mark fragment", text: "fragment", title: "Not a complete sentence" }) : null,
  ];
}

function pieceItem(piece) {
  const edit = el("button", { type: "button", class: "secondary edit", "aria-label": `Edit sentence ${piece.position}`, text: "Edit" });
  const item = el("li", { class: "piece", "data-position": piece.position },
    el("p", { class: "piece-text", lang: "fr", text: piece.normalized }),
    el("span", { class: "marks" }, marks(piece)),
    edit);
  edit.addEventListener("click", () => startEdit(piece, item));
  return item;
}

// A textarea with Save and Cancel; Enter saves, Escape gives up. Focus comes back to Edit.
function startEdit(piece, item) {
  const id = `edit-${piece.position}`;
  const input = el("textarea", { id, rows: 2, "aria-label": `Sentence ${piece.position}` });
  input.value = piece.normalized;
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const save = el("button", { type: "submit", text: "Save", "aria-label": `Save sentence ${piece.position}` });
  const cancel = el("button", { type: "button", class: "secondary", text: "Cancel", "aria-label": `Cancel editing sentence ${piece.position}` });
  const form = el("form", { class: "edit-form" }, input, error, el("div", { class: "row" }, save, cancel));
  item.replaceWith(el("li", { class: "piece editing", "data-position": piece.position }, form));
  const editing = form.parentElement;
  input.focus();
  const finish = () => {
    const fresh = pieceItem(piece);
    editing.replaceWith(fresh);
    $("button.edit", fresh).focus();
  };
  const submit = async () => {
    const text = input.value.trim();
    if (text === piece.normalized) return finish();
    save.disabled = true;
    try {
      const saved = await api.patch(`/history/${enc(entry.id)}/sentences/${piece.position}`, { normalized: text });
      Object.assign(piece, saved && saved.normalized !== undefined ? saved : { normalized: text, edited: true });
      finish();
      notice(`Sentence ${piece.position} saved.`);
    } catch (err) {
      save.disabled = false;
      showError(error, err);
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  cancel.addEventListener("click", finish);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      finish();
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      submit();
    }
  });
}

// Typing pauses end the debounce at once when something needs the latest words.
async function settleSearch() {
  const q = $("#entry-search").value.trim();
  if (q === view.q) return;
  view.q = q;
  view.page = 1;
  remember(false);
  await loadPage();
}

function exportQuery(format) {
  const params = selection();
  params.set("format", format);
  if (view.chapter) params.set("chapters", String(view.chapter));
  const positions = $("#entry-positions").value.trim();
  if (positions) params.set("positions", positions);
  return params.toString();
}

// "Exported 312 source sentences of chapter 3 (…) matching “chien” to Book.csv."
function exportedText(name) {
  const positions = $("#entry-positions").value.trim();
  const what = positions ? `the sentences at positions ${positions}`
    : answer ? plural(answer.total, "source sentence") : "the sentences";
  const words = selectionWords();
  return `Exported ${what}${words ? " " + words : ""}${name ? ` to ${name}` : ""}.`;
}

async function exportFile(format) {
  await settleSearch();
  const result = $("#export-result");
  result.textContent = `Preparing ${format.toUpperCase()}…`;
  try {
    const { blob, name } = await download(`/history/${enc(entry.id)}/export?${exportQuery(format)}`, `export.${format}`);
    saveBlob(blob, name);
    // A second way to the same file, for browsers that block the automatic download.
    const link = el("a", { href: URL.createObjectURL(blob), download: name, id: "export-link", text: `Download ${name} again` });
    fill(result, `${exportedText(name)} `, link);
  } catch (error) {
    fill(result, el("span", { class: "error", text: error.message }));
  }
}

async function exportSheets() {
  await settleSearch();
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
  if (view.chapter) body.chapters = String(view.chapter);
  if (view.q) body.q = view.q;
  for (const f of FILTERS) if (view.filters.has(f.key)) body[f.param] = true;
  const result = $("#export-result");
  result.textContent = "Exporting to Google Sheets…";
  try {
    const answer = await api.post(`/history/${enc(entry.id)}/sheets`, body);
    const words = selectionWords();
    fill(result,
      `${answer.appended ? "Appended" : "Exported"} ${plural(answer.rows, "sentence")}${words ? " " + words : ""} to Google Sheets: `,
      el("a", { href: answer.sheet_url, target: "_blank", rel: "noopener", text: "open the spreadsheet" }));
  } catch (error) {
    const hint = ["google_not_connected", "google_reconnect_required"].includes(error.code)
      ? el("a", { href: "#settings", text: "Connect Google in Settings." }) : null;
    fill(result, el("span", { class: "error", text: error.message }), hint ? " " : null, hint);
  }
}

async function reprocess() {
  const { settings, engines, defaults } = await loadSettings();
  // The book's own settings, not the saved ones: re-processing changes what this book had.
  const own = { ...settings, ...entry.settings };
  const changed = differences(own, defaults);
  const hint = el("p", { class: "hint span-all", id: "reprocess-hint" },
    `These start from the settings ${entry.file_name} was processed with`,
    changed.length ? `: ${changed.join(", ")}` : " (the defaults)",
    ". Your saved settings do not apply here.");
  const form = await formDialog("Re-process with other settings", [hint, ...settingsFields("reprocess", own, engines)], "Re-process");
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

async function goToPage(page) {
  view.page = page;
  remember(true);
  await loadPage({ focus: true });
}

export function setupResults() {
  $("#entry-search").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(settleSearch, DEBOUNCE_MS);
  });
  $("#entry-controls").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    settleSearch();
  });
  $("#entry-chapter").addEventListener("change", (event) => {
    const value = Number(event.target.value);
    view.chapter = value > 0 ? value : null;
    view.page = 1;
    remember(true);
    loadPage();
  });
  for (const f of FILTERS) {
    $(`#${f.id}`).addEventListener("change", (event) => {
      if (event.target.checked) view.filters.add(f.key);
      else view.filters.delete(f.key);
      view.page = 1;
      remember(false);
      loadPage();
    });
  }
  $("#page-prev").addEventListener("click", () => goToPage(Math.max(1, view.page - 1)));
  $("#page-next").addEventListener("click", () => goToPage(view.page + 1));
  $$("[data-export]").forEach((button) => button.addEventListener("click", () => exportFile(button.dataset.export)));
  $("#sheets-export").addEventListener("click", exportSheets);
  $("#reprocess-entry").addEventListener("click", reprocess);
  $("#delete-entry").addEventListener("click", async () => {
    if (!entry) return;
    if (!await confirmDialog("Delete this entry?", `${entry.file_name}: its sentences, its job and its PDF are deleted for good.`, "Delete")) return;
    try {
      await api.del(`/history/${enc(entry.id)}`);
      notice(`${entry.file_name} deleted.`);
      shown = false;
      location.hash = "#history";
    } catch (error) {
      showError($("#alert"), error);
    }
  });
}

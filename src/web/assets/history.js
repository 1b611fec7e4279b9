// The history list: newest first, searchable by file name, paged.

import { api } from "./api.js";
import { $, el, fill, plural, formatDate } from "./ui.js";

const PAGE = 20;
let offset = 0;
let search = "";

async function load() {
  const query = `limit=${PAGE}&offset=${offset}` + (search ? `&search=${encodeURIComponent(search)}` : "");
  const page = await api.get(`/history?${query}`);
  $("#history-count").textContent = page.total
    ? `${plural(page.total, "entry", "entries")}${search ? ` matching “${search}”` : ""}.`
    : search ? `Nothing matches “${search}”.` : "No history yet: finished jobs appear here.";
  fill($("#history-list"), page.entries.map((e) =>
    el("li", {},
      el("a", { href: `#history/${e.id}`, class: "file-name", text: e.file_name }),
      el("span", { class: `badge ${e.status}`, text: e.status }),
      el("span", { class: "muted", text: `${plural(e.sentence_count, "sentence")} · ${plural(e.page_count, "page")} · ${formatDate(e.created_at)}` }),
      e.exported_to_sheets ? el("span", { class: "muted", text: "· in Sheets" }) : null)));
  $("#history-prev").disabled = offset === 0;
  $("#history-next").disabled = offset + PAGE >= page.total;
}

export async function showHistory() {
  await load();
}

export function setupHistory() {
  $("#history-search").addEventListener("submit", (event) => {
    event.preventDefault();
    search = $("#history-query").value.trim();
    offset = 0;
    load();
  });
  $("#history-prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); load(); });
  $("#history-next").addEventListener("click", () => { offset += PAGE; load(); });
}

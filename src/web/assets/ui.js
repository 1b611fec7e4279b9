// Small DOM helpers shared by every screen: element builder, notices, confirm dialogs.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// Children worth adding: DOM `append`/`replaceChildren` would turn null or undefined into
// the text "null"/"undefined", so those (and false, for `cond && node`) are dropped here.
export function children(...nodes) {
  return nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false);
}

// `node.replaceChildren(...)` without the "null" text for missing children.
export function fill(node, ...nodes) {
  node.replaceChildren(...children(nodes));
  return node;
}

// A count as the reader's locale writes it ("9,682"); anything not a number stays as it is.
export function fmt(value) {
  const n = Number(value);
  return value === null || value === undefined || value === "" || !Number.isFinite(n)
    ? String(value ?? "") : n.toLocaleString();
}

// "1 chunk", "3 chunks": a formatted count with its noun.
export function plural(count, one, many = one + "s") {
  return `${fmt(count)} ${Number(count) === 1 ? one : many}`;
}

// Builds an element; text goes through textContent only, so data is never parsed as HTML.
export function el(tag, attrs = {}, ...kids) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children(kids)) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let noticeTimer;
export function notice(message) {
  const box = $("#notice");
  box.textContent = message;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.textContent = ""; }, 8000);
}

export function alertError(error) {
  const box = $("#alert");
  box.textContent = error ? (error.message || String(error)) : "";
  box.hidden = !error;
}

export function showError(node, error) {
  node.textContent = error ? (error.message || String(error)) : "";
  node.hidden = !error;
}

// A modal confirmation (<dialog> traps focus and closes on Escape); resolves true on confirm.
export function confirmDialog(title, text, confirmLabel = "Confirm") {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-yes").textContent = confirmLabel;
  const opener = document.activeElement;
  dialog.returnValue = "cancel";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (opener && opener.focus) opener.focus();
      resolve(dialog.returnValue === "ok");
    }, { once: true });
    dialog.showModal();
    $("#confirm-no").focus();
  });
}

// A modal form built from `fields` (see settingsFields); resolves with the FormData or null.
export function formDialog(title, fields, okLabel = "OK") {
  const dialog = $("#form-dialog");
  $("#form-dialog-title").textContent = title;
  $("#form-dialog-ok").textContent = okLabel;
  const box = $("#form-dialog-fields");
  fill(box, fields);
  const opener = document.activeElement;
  dialog.returnValue = "cancel";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (opener && opener.focus) opener.focus();
      resolve(dialog.returnValue === "ok" ? new FormData($("#form-dialog-form")) : null);
    }, { once: true });
    dialog.showModal();
  });
}

export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download; the URL can go once the browser has read it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function formatDate(value) {
  if (!value) return "";
  const date = new Date(value);
  return isNaN(date) ? String(value) : date.toLocaleString();
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// Moves focus to a screen's heading so screen readers announce the new screen.
export function focusHeading(view) {
  const heading = view.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

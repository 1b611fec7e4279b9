// The settings form (defaults of new jobs), reused per upload, and the Google connection.

import { api } from "./api.js";
import { $, el, fill, notice, showError, formatDate } from "./ui.js";

const FIELDS = [
  { name: "sentence_length_limit", label: "Longest sentence (words)", type: "number", min: 3, max: 50 },
  { name: "min_sentence_length", label: "Shortest piece (words)", type: "number", min: 1, max: 50 },
  { name: "engine", label: "Engine", type: "engine" },
  { name: "model_preference", label: "Model", type: "select", options: [["speed", "Speed"], ["balanced", "Balanced"], ["quality", "Quality"]] },
  { name: "input_mode", label: "Input", type: "select", options: [["text", "Text"], ["pdf", "PDF pages (scanned books, Gemini only)"]] },
  { name: "ignore_dialogue", label: "Keep dialogue whole", type: "check" },
  { name: "preserve_formatting", label: "Keep quotation marks and dashes", type: "check" },
  { name: "fix_hyphenation", label: "Re-join hyphenated words", type: "check" },
];

let cached = null;
export async function loadSettings(force = false) {
  if (!cached || force) cached = await api.get("/settings");
  return cached;
}

// Settings that only mean something for the Gemini engine.
const GEMINI_ONLY = new Set(["model_preference", "input_mode"]);

// Form controls for every setting, ids prefixed so two forms can live on one page. The model
// and input fields show (and are sent) only when Gemini is available and chosen.
export function settingsFields(prefix, settings, engines) {
  const nodes = FIELDS.map((field) => {
    const id = `${prefix}-${field.name}`;
    const value = settings[field.name];
    if (field.type === "check") {
      return el("div", { class: "check" },
        el("input", { type: "checkbox", id, name: field.name, checked: !!value }),
        el("label", { for: id, text: field.label }));
    }
    let control;
    if (field.type === "number") {
      control = el("input", { type: "number", id, name: field.name, min: field.min, max: field.max, value, required: true, inputmode: "numeric" });
    } else {
      const options = field.type === "engine" ? engines.map((e) => [e, e]) : field.options;
      control = el("select", { id, name: field.name },
        options.map(([v, text]) => el("option", { value: v, selected: v === value, text })));
    }
    return el("div", { "data-field": field.name }, el("label", { for: id, text: field.label }), control);
  });
  const engine = nodes.find((n) => n.dataset.field === "engine");
  const select = engine && engine.querySelector("select");
  const sync = () => {
    const gemini = engines.includes("gemini") && select && select.value === "gemini";
    for (const node of nodes) {
      if (!GEMINI_ONLY.has(node.dataset.field)) continue;
      node.hidden = !gemini;
      for (const control of node.querySelectorAll("input, select")) control.disabled = !gemini;
    }
  };
  if (select) select.addEventListener("change", sync);
  sync();
  return nodes;
}

// The engine a form built by settingsFields has selected.
export function chosenEngine(form) {
  const control = form.elements.engine;
  return control ? control.value : null;
}

const ON_OFF = (v) => (v ? "on" : "off");
const DESCRIBE = {
  sentence_length_limit: (v) => `longest sentence ${v} words`,
  min_sentence_length: (v) => `shortest piece ${v} words`,
  engine: (v) => `engine ${v}`,
  model_preference: (v) => `model ${v}`,
  input_mode: (v) => `input ${v === "pdf" ? "PDF pages" : v}`,
  ignore_dialogue: (v) => `keep dialogue whole ${ON_OFF(v)}`,
  preserve_formatting: (v) => `keep quotation marks and dashes ${ON_OFF(v)}`,
  fix_hyphenation: (v) => `re-join hyphenated words ${ON_OFF(v)}`,
};
const DESCRIBE_DEFAULT = {
  sentence_length_limit: (v) => `default ${v}`,
  min_sentence_length: (v) => `default ${v}`,
  ignore_dialogue: (v) => `default ${ON_OFF(v)}`,
  preserve_formatting: (v) => `default ${ON_OFF(v)}`,
  fix_hyphenation: (v) => `default ${ON_OFF(v)}`,
};

// Each setting whose value differs from the server's defaults, in words:
// ["longest sentence 5 words (default 8)", …]. Gemini-only settings count only when Gemini
// is the engine. Empty without defaults (an older server).
export function differences(settings, defaults) {
  if (!settings || !defaults) return [];
  const gemini = settings.engine === "gemini";
  return FIELDS
    .filter((f) => !(GEMINI_ONLY.has(f.name) && !gemini))
    .filter((f) => settings[f.name] !== undefined && defaults[f.name] !== undefined)
    .filter((f) => settings[f.name] !== defaults[f.name])
    .map((f) => {
      const said = (DESCRIBE_DEFAULT[f.name] || ((v) => `default ${v}`))(defaults[f.name]);
      return `${DESCRIBE[f.name](settings[f.name])} (${said})`;
    });
}

// The settings as the API wants them, read from a form built by settingsFields (fields that
// do not apply to the chosen engine are left out).
export function readFields(form) {
  const out = {};
  for (const field of FIELDS) {
    const control = form.elements[field.name];
    if (!control || control.disabled) continue;
    if (field.type === "check") out[field.name] = control.checked;
    else if (field.type === "number") out[field.name] = Number(control.value);
    else out[field.name] = control.value;
  }
  return out;
}

export async function showSettings() {
  const { settings, engines } = await loadSettings(true);
  fill($("#settings-fields"), settingsFields("settings", settings, engines));
  await showGoogle();
}

async function showGoogle() {
  const status = $("#google-status");
  const connect = $("#google-connect");
  const disconnect = $("#google-disconnect");
  try {
    const google = await api.get("/google");
    connect.hidden = !google.configured || (google.connected && !google.needs_reconnect);
    disconnect.hidden = !google.connected;
    connect.textContent = google.needs_reconnect ? "Reconnect Google" : "Connect Google";
    status.textContent = !google.configured
      ? "This server has no Google client configured, so Sheets exports are off."
      : google.needs_reconnect
        ? "Google refused the saved access; connect again."
        : google.connected
          ? `Connected since ${formatDate(google.connected_at)}.`
          : "Not connected.";
  } catch (error) {
    status.textContent = error.message;
  }
}

export function setupSettings() {
  const form = $("#settings-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError($("#settings-error"), null);
    try {
      await api.put("/settings", readFields(form));
      await loadSettings(true);
      notice("Settings saved.");
    } catch (error) {
      showError($("#settings-error"), error);
    }
  });
  $("#google-connect").addEventListener("click", async () => {
    try {
      // The response sets the consent cookie; Google then comes back to /?google=…#settings.
      const { authorization_url } = await api.post("/google/connect");
      window.location.assign(authorization_url);
    } catch (error) {
      $("#google-status").textContent = error.message;
    }
  });
  $("#google-disconnect").addEventListener("click", async () => {
    try {
      await api.del("/google");
      notice("Google disconnected.");
      await showGoogle();
    } catch (error) {
      $("#google-status").textContent = error.message;
    }
  });
}

// After Google's consent round trip the server redirects to /?google=<result>#settings.
export function googleResultMessage(result) {
  const messages = {
    connected: "Google is connected: you can export to Sheets.",
    denied: "Google access was not granted.",
  };
  return messages[result] || `Google connection: ${result.replaceAll("_", " ")}.`;
}

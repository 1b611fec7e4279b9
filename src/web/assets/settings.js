// The settings form (defaults of new jobs), reused per upload, and the Google connection.

import { api } from "./api.js";
import { $, el, notice, showError, formatDate } from "./ui.js";

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

// Form controls for every setting, ids prefixed so two forms can live on one page.
export function settingsFields(prefix, settings, engines) {
  return FIELDS.map((field) => {
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
    return el("div", {}, el("label", { for: id, text: field.label }), control);
  });
}

// The settings as the API wants them, read from a form built by settingsFields.
export function readFields(form) {
  const out = {};
  for (const field of FIELDS) {
    const control = form.elements[field.name];
    if (!control) continue;
    if (field.type === "check") out[field.name] = control.checked;
    else if (field.type === "number") out[field.name] = Number(control.value);
    else out[field.name] = control.value;
  }
  return out;
}

export async function showSettings() {
  const { settings, engines } = await loadSettings(true);
  $("#settings-fields").replaceChildren(...settingsFields("settings", settings, engines));
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

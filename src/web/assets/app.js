// Entry point: finds out who is signed in, then routes on the URL hash
// (#upload, #job/<id>, #history, #history/<id>[?chapter=3&page=2&q=…], #settings).

import { whenSignedOut, tokens } from "./api.js";
import { $, $$, alertError, focusHeading, notice } from "./ui.js";
import { currentUser, setupSignIn, signOut } from "./auth.js";
import { setupUpload, showUpload } from "./upload.js";
import { setupProgress, showJob, leaveJob } from "./progress.js";
import { setupResults, showEntry, leaveEntry } from "./results.js";
import { setupHistory, showHistory } from "./history.js";
import { setupSettings, showSettings, googleResultMessage } from "./settings.js";

let user = null;

function showView(name) {
  $("#loading").hidden = true;
  for (const view of $$(".view")) view.hidden = view.id !== `view-${name}`;
  const section = name === "job" ? "upload" : name === "entry" ? "history" : name;
  for (const link of $$("[data-nav]")) {
    if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  return $(`#view-${name}`);
}

async function route() {
  alertError(null);
  if (!user) return;
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const [name, id] = path.split("/");
  if (name !== "job") leaveJob();
  if (!(name === "history" && id)) leaveEntry();
  let view;
  let focus = null;
  try {
    if (name === "job" && id) {
      view = showView("job");
      await showJob(decodeURIComponent(id));
    } else if (name === "history" && id) {
      view = showView("entry");
      // Only the page or the selection changed: focus goes to the list, not the title.
      focus = await showEntry(decodeURIComponent(id), new URLSearchParams(query));
    } else if (name === "history") {
      view = showView("history");
      await showHistory();
    } else if (name === "settings") {
      view = showView("settings");
      await showSettings();
    } else {
      view = showView("upload");
      await showUpload();
    }
  } catch (error) {
    alertError(error);
  }
  if (focus) focus.focus();
  else if (view) focusHeading(view);
  document.title = `${$("h1", view || document).textContent} · French novel tool`;
}

function signedIn(me) {
  user = me;
  $("#nav").hidden = false;
  $("#who").textContent = me.auth === "accounts" ? me.email : "";
  $("#sign-out").hidden = me.auth !== "accounts";
  route();
}

function signedOut() {
  user = null;
  leaveJob();
  leaveEntry();
  $("#nav").hidden = true;
  $("#who").textContent = "";
  $("#sign-out").hidden = true;
  const view = showView("signin");
  focusHeading(view);
}

function setupTheme() {
  const toggle = $("#theme-toggle");
  const systemDark = matchMedia("(prefers-color-scheme: dark)");
  const apply = () => {
    const saved = localStorage.getItem("fnt.theme");
    if (saved) document.documentElement.dataset.theme = saved;
    else delete document.documentElement.dataset.theme;
    const dark = saved ? saved === "dark" : systemDark.matches;
    toggle.setAttribute("aria-pressed", String(dark));
    toggle.textContent = dark ? "Light theme" : "Dark theme";
  };
  toggle.addEventListener("click", () => {
    const dark = toggle.getAttribute("aria-pressed") === "true";
    localStorage.setItem("fnt.theme", dark ? "light" : "dark");
    apply();
  });
  systemDark.addEventListener("change", apply);
  apply();
}

async function start() {
  setupTheme();
  setupSignIn(signedIn);
  setupUpload();
  setupProgress();
  setupResults();
  setupHistory();
  setupSettings();
  whenSignedOut(signedOut);
  $("#sign-out").addEventListener("click", async () => {
    await signOut();
    signedOut();
  });
  window.addEventListener("hashchange", route);
  // Back from Google's consent: say how it went, then drop the query from the address.
  const google = new URLSearchParams(location.search).get("google");
  if (google) {
    notice(googleResultMessage(google));
    history.replaceState(null, "", "/" + location.hash);
  }
  try {
    const me = await currentUser();
    if (me) signedIn(me);
    else {
      tokens.clear();
      signedOut();
    }
  } catch (error) {
    $("#loading").hidden = true;
    alertError(error);
  }
}

start();

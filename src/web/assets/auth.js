// Who is signed in. `GET /auth/me` tells the mode: with `--auth none` it answers the local user
// and no sign-in is shown; with accounts a 401 means "show the form".

import { api, tokens, ApiError } from "./api.js";
import { $, showError } from "./ui.js";

export async function currentUser() {
  try {
    return await api.get("/auth/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

// Wires the sign-in form; `onSignedIn(user)` runs after a successful sign-in or registration.
export function setupSignIn(onSignedIn) {
  const form = $("#signin-form");
  const errorBox = $("#signin-error");
  const submit = async (path) => {
    showError(errorBox, null);
    if (!form.reportValidity()) return;
    const body = { email: $("#signin-email").value.trim(), password: $("#signin-password").value };
    try {
      tokens.set(await api.post(path, body));
      $("#signin-password").value = "";
      onSignedIn(await api.get("/auth/me"));
    } catch (error) {
      showError(errorBox, error);
      $("#signin-password").focus();
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit("/auth/login");
  });
  $("#register-submit").addEventListener("click", () => submit("/auth/register"));
}

export async function signOut() {
  try {
    await api.post("/auth/logout");
  } catch { /* the session may already be over; forget the tokens anyway */ }
  tokens.clear();
}

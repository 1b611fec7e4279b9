// The API client: JSON under /api/v1, bearer tokens (kept in localStorage so a reload stays
// signed in), one transparent refresh when an access token has expired.

const ACCESS = "fnt.access_token";
const REFRESH = "fnt.refresh_token";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const tokens = {
  get access() { return localStorage.getItem(ACCESS); },
  get refresh() { return localStorage.getItem(REFRESH); },
  set(pair) {
    localStorage.setItem(ACCESS, pair.access_token);
    localStorage.setItem(REFRESH, pair.refresh_token);
  },
  clear() {
    localStorage.removeItem(ACCESS);
    localStorage.removeItem(REFRESH);
  },
};

// Called when the session is gone for good (refresh refused); app.js shows the sign-in form.
let onSignedOut = () => {};
export function whenSignedOut(handler) { onSignedOut = handler; }

async function errorOf(response) {
  let code = "http_" + response.status;
  let message = response.statusText || "request failed";
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code;
      message = body.error.message;
    }
  } catch { /* not JSON: keep the status text */ }
  return new ApiError(response.status, code, message);
}

// One refresh at a time: parallel requests that all got 401 wait for the same new pair,
// because a refresh token is spent on use and a second refresh would end the session.
let refreshing = null;
async function refresh() {
  const token = tokens.refresh;
  if (!token) return false;
  if (!refreshing) {
    refreshing = fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: token }),
    }).then(async (r) => {
      if (!r.ok) return false;
      tokens.set(await r.json());
      return true;
    }).catch(() => false).finally(() => { refreshing = null; });
  }
  return refreshing;
}

// `signal` (an AbortSignal) drops a request the screen no longer wants (a stale search).
export async function request(path, { method = "GET", json, form, raw = false, signal } = {}) {
  const send = () => {
    const headers = {};
    if (tokens.access) headers.authorization = "Bearer " + tokens.access;
    let body;
    if (json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form) {
      body = form;
    }
    return fetch("/api/v1" + path, { method, headers, body, signal });
  };
  let response = await send();
  if (response.status === 401 && tokens.refresh && path !== "/auth/refresh") {
    if (await refresh()) {
      response = await send();
    } else {
      tokens.clear();
      onSignedOut();
    }
  }
  if (!response.ok) throw await errorOf(response);
  if (raw) return response;
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

export const api = {
  get: (path, options = {}) => request(path, options),
  post: (path, json) => request(path, { method: "POST", json }),
  put: (path, json) => request(path, { method: "PUT", json }),
  patch: (path, json) => request(path, { method: "PATCH", json }),
  del: (path) => request(path, { method: "DELETE" }),
  form: (path, form) => request(path, { method: "POST", form }),
};

// A download that needs the bearer header: fetched, then handed to the browser as a Blob.
export async function download(path, fallbackName) {
  const response = await request(path, { raw: true });
  const blob = await response.blob();
  const disposition = response.headers.get("content-disposition") || "";
  const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : fallbackName;
  return { blob, name };
}

// The WebSocket URL, with the token in the query because browsers cannot set its headers.
export function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = tokens.access;
  return `${scheme}//${location.host}/api/v1/ws` + (token ? "?access_token=" + encodeURIComponent(token) : "");
}

export { refresh as refreshTokens };

// The JSON API client. The session is the HttpOnly cookie the server set
// at login; writes echo the (readable, non-secret-by-itself) CSRF cookie in
// the X-CSRF-Token header. Nothing is ever put in web storage.
import { kindWords } from "./words.js";

// ApiError's message is the kind sentence people read (words.js); the
// API's own message, written for developers, stays in devMessage.
export class ApiError extends Error {
  constructor(status, code, devMessage, field, detail) {
    super(kindWords(status, code, field, devMessage));
    this.status = status;
    this.code = code;
    this.devMessage = devMessage || "";
    this.field = field || "";
    // detail is the whole error object (e.g. ends_at of a sleep_mode 423).
    this.detail = detail || {};
  }
}

function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [k, v] = part.trim().split("=");
    if (k === "pixelpals_csrf") return decodeURIComponent(v || "");
  }
  return "";
}

// api calls METHOD /api/v1{path} with body as JSON (or FormData as is) and
// returns the decoded answer (null for 204), or throws an ApiError carrying
// the server's message.
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch("/api/v1" + path, { method, headers, body: payload, credentials: "same-origin" });
  } catch (e) {
    throw new ApiError(0, "network", "fetch failed: " + e.message);
  }
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) {
    const e = data && data.error;
    const err = e && e.code ? new ApiError(resp.status, e.code, e.message, e.field, e)
      : new ApiError(resp.status, "http_" + resp.status, `The server answered ${resp.status} ${resp.statusText}.`);
    if (resp.status === 401 && !path.startsWith("/auth/") && path !== "/me") unauthorized(err);
    throw err;
  }
  return data;
}

// q builds a query string from the non-empty values of params.
export function q(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") s.set(k, String(v));
  const t = s.toString();
  return t ? "?" + t : "";
}

let unauthorized = () => {};
// onUnauthorized sets what happens when a call finds the session gone;
// fn gets the ApiError (account_rejected says why).
export function onUnauthorized(fn) { unauthorized = fn; }

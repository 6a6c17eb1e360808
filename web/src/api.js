// The one way the UI talks to the server: JSON over fetch, the session cookie, the CSRF token on
// writes, and errors as ApiError with the server's code, Chinese message and per-field details.

let csrfToken = "";
let onUnauthorized = () => {};

export function setCsrf(token) {
  csrfToken = token || "";
}

export function onSessionLost(fn) {
  onUnauthorized = fn;
}

export class ApiError extends Error {
  constructor(status, body) {
    const err = body?.error || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || "http_error";
    this.details = Array.isArray(err.details) ? err.details : [];
  }

  /// Messages by field, for forms: `data.kind` and `kind` both map to `kind`.
  fieldErrors() {
    const out = {};
    for (const d of this.details) {
      if (!d || !d.field) continue;
      const key = String(d.field).replace(/^data\./, "");
      if (!out[key]) out[key] = d.message || d.code;
    }
    return out;
  }
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "") continue;
    q.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export async function api(path, { method = "GET", body, params, raw = false } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  const r = await fetch(path + query(params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (raw && r.ok) return r;
  let data = null;
  const text = await r.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!r.ok) {
    const e = new ApiError(r.status, data);
    if (r.status === 401 && !path.startsWith("/api/v1/auth/login")) onUnauthorized(e);
    throw e;
  }
  return data;
}

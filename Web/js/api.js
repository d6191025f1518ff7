// The API as the console calls it: same origin, the session in an HttpOnly cookie the script
// never sees, and a header a cross-site form cannot send (the server refuses a cookie's write
// without it).

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title;
    this.field = problem?.field;
    this.retryAfter = problem?.retryAfter;
  }
}

const sessionEndedListeners = new Set();
/** Called when a request finds the session gone (401): the app shows the sign-in again. */
export function onSessionEnded(listener) { sessionEndedListeners.add(listener); }

export async function request(method, path, body, { raw = false } = {}) {
  const headers = { 'X-Requested-With': 'fleet-console' };
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, { title: 'network', detail: error.message });
  }
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not JSON: the status says enough */ }
    const error = new ApiError(response.status, problem);
    error.retryAfter = Number(response.headers.get('Retry-After')) || undefined;
    if (response.status === 401 && path !== '/api/v1/sessions') for (const listener of sessionEndedListeners) listener();
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body = {}) => request('POST', path, body),
  put: (path, body = {}) => request('PUT', path, body),
  delete: (path) => request('DELETE', path),
  raw: (method, path, body) => request(method, path, body, { raw: true }),
};

/** A query string from an object, leaving out empty values. */
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined && value !== null && value !== '') search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * The server-sent event stream, one per page however many screens listen:
 * `live.on('booking', data => ...)` returns a function that stops listening.
 * Kinds: booking, alert, positions (one batch a second), settlement, notice.
 */
class LiveStream {
  constructor() { this.handlers = new Map(); this.source = null; this.stateListeners = new Set(); }

  on(kind, handler) {
    if (!this.handlers.has(kind)) {
      this.handlers.set(kind, new Set());
      this.source?.addEventListener(kind, (event) => this.dispatch(kind, event));
    }
    this.handlers.get(kind).add(handler);
    this.open();
    return () => this.handlers.get(kind)?.delete(handler);
  }

  onState(listener) { this.stateListeners.add(listener); return () => this.stateListeners.delete(listener); }

  dispatch(kind, event) {
    let data;
    try { data = JSON.parse(event.data); } catch { return; }
    for (const handler of this.handlers.get(kind) ?? []) handler(data);
  }

  open() {
    if (this.source) return;
    // EventSource reconnects by itself after a drop; the state shows it meanwhile.
    this.source = new EventSource('/api/v1/stream', { withCredentials: true });
    for (const kind of this.handlers.keys()) this.source.addEventListener(kind, (event) => this.dispatch(kind, event));
    this.source.onopen = () => { for (const l of this.stateListeners) l(true); };
    this.source.onerror = () => { for (const l of this.stateListeners) l(false); };
  }

  close() { this.source?.close(); this.source = null; this.handlers.clear(); }
}

export const live = new LiveStream();

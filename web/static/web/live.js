// Shared by the pages: the REST API with the session, and a live event stream that
// reconnects by itself and catches up from its last sequence number (docs/api.md).

const csrf = document.querySelector('meta[name="csrf-token"]').content;
// Translations come from Django's JavaScript catalog (jsi18n), loaded before this module;
// gettext_noop marks a string for the catalog where it is translated later.
export const gettext = (text) => (window.gettext ? window.gettext(text) : text);
export const gettext_noop = (text) => text;
export const interpolate = (format, values) =>
  window.interpolate ? window.interpolate(format, values, true) : format.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
// Dates and times in the page's language (the browser's own may be another: 2:05 PM on a
// Dutch page).
export const LOCALE = document.documentElement.lang || undefined;
// The domain's labels (sectors, begeleidingsvormen) in the page's language.
const labelsScript = document.getElementById("labels");
export const LABELS = labelsScript ? JSON.parse(labelsScript.textContent) : { sectors: {}, kinds: {} };

export async function api(path, { method = "GET", body, form } = {}) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrf };
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((data?.errors || []).map((e) => e.message).join(" ") || response.statusText);
    error.status = response.status;
    error.errors = data?.errors || [];
    throw error;
  }
  return data;
}

export async function allPages(path) {
  const out = [];
  let next = path;
  while (next) {
    const page = await api(next);
    out.push(...(page.results || []));
    next = page.next;
  }
  return out;
}

// A stream of events: onEvent(event) for each event once, in seq order; onStatus(online).
export class LiveStream {
  constructor(path, since, { onEvent, onStatus }) {
    this.path = path;
    this.seq = since;
    this.onEvent = onEvent;
    this.onStatus = onStatus || (() => {});
    this.delay = 500;
    this.open();
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const since = this.seq == null ? "" : `?since=${this.seq}`;
    const socket = new WebSocket(`${scheme}://${location.host}${this.path}${since}`);
    this.socket = socket;
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "stream.ready") {
        this.delay = 500;
        this.seq = Math.max(this.seq ?? 0, data.seq);
        this.onStatus(true);
        return;
      }
      if (this.seq != null && data.seq <= this.seq) return; // seen already
      this.seq = data.seq;
      this.onEvent(data);
    };
    socket.onclose = () => {
      this.onStatus(false);
      // Reconnect with growing pauses (up to 10 s) and catch up from the last seq.
      setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
    socket.onerror = () => socket.close();
  }
}

export function statusBadge(element) {
  return (online) => {
    element.textContent = online ? gettext("Live") : gettext("Offline: reconnecting…");
    element.classList.toggle("offline", !online);
  };
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}


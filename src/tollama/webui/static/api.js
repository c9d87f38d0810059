// Talking to the daemon: the API key (session storage only, sent as a header), JSON calls,
// NDJSON streams, and errors in the daemon's own words.

const KEY_STORE = "tollama.apiKey";
let unauthorized = () => {};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function onUnauthorized(handler) {
  unauthorized = handler;
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORE, key);
  else sessionStorage.removeItem(KEY_STORE);
}

function headers(withBody) {
  const out = { Accept: "application/json" };
  if (withBody) out["Content-Type"] = "application/json";
  const key = sessionStorage.getItem(KEY_STORE);
  if (key) out.Authorization = `Bearer ${key}`;
  return out;
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (body && typeof body.error === "string") message = body.error;
  } catch (_) {
    // not JSON: keep the status line
  }
  const error = new ApiError(response.status, message);
  if (response.status === 401) unauthorized(error);
  return error;
}

async function send(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (exc) {
    throw new ApiError(0, `the daemon is unreachable (${exc.message})`);
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson(path) {
  return (await send("GET", path)).json();
}

export async function postJson(path, body, method = "POST") {
  return (await send(method, path, body)).json();
}

// POST with "stream": true; calls onLine for each status line and returns the final object.
export async function postStream(path, body, onLine) {
  const response = await send("POST", path, { ...body, stream: true });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let last = null;
  const handle = (line) => {
    if (!line.trim()) return;
    const item = JSON.parse(line);
    if (item.error) throw new ApiError(response.status, item.error);
    last = item;
    onLine(item);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n")) >= 0) {
      handle(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 1);
    }
  }
  handle(buffer + decoder.decode());
  if (!last || !last.done) throw new ApiError(response.status, "the daemon ended the stream before its final answer");
  return last;
}

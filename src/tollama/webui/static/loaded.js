// Loaded models: the runners holding a model, a keep-alive countdown, and unload.

import { getJson, postJson } from "./api.js";
import { $, el, fillTable, showError } from "./dom.js";

let timer = null;

// Unloading is a tiny forecast with keep_alive 0 (Ollama's way): the model goes when it is done.
const UNLOAD_SERIES = [{ id: "unload", target: Array.from({ length: 32 }, (_, i) => 1 + (i % 4)) }];

function countdown(expires) {
  if (!expires) return "never";
  const seconds = Math.round((Date.parse(expires) - Date.now()) / 1000);
  if (!Number.isFinite(seconds)) return expires;
  if (seconds <= 0) return "now";
  const m = Math.floor(seconds / 60);
  return m ? `${m} min ${seconds % 60} s` : `${seconds} s`;
}

function tick() {
  for (const cell of document.querySelectorAll("#loaded-table [data-expires]")) {
    cell.textContent = countdown(cell.getAttribute("data-expires"));
  }
}

export async function renderLoaded() {
  showError($("loaded-error"), null);
  try {
    const ps = await getJson("/api/ps");
    fillTable(
      $("loaded-table"),
      ["Name", "Family", "PID", "Runtime", "Unloads in", "Actions"],
      ps.models.map((m) => [
        m.name,
        m.family,
        m.pid ?? "",
        typeof m.runtime === "string" ? m.runtime : JSON.stringify(m.runtime ?? ""),
        el("td", { "data-expires": m.expires_at || "" }, countdown(m.expires_at)),
        el("button", { type: "button", "aria-label": `Unload ${m.name}`, onclick: () => unload(m.name) }, "Unload"),
      ]),
    );
    $("loaded-empty").hidden = ps.models.length > 0;
  } catch (error) {
    showError($("loaded-error"), error);
  }
  if (!timer) timer = setInterval(tick, 1000);
}

async function unload(name) {
  try {
    await postJson("/api/forecast", { model: name, horizon: 1, series: UNLOAD_SERIES, keep_alive: 0, stream: false });
  } catch (error) {
    showError($("loaded-error"), error);
    return;
  }
  // The daemon lets the runner go just after answering: look again for a few seconds.
  for (let tries = 0; tries < 20; tries += 1) {
    const ps = await getJson("/api/ps").catch(() => ({ models: [] }));
    if (!ps.models.some((m) => m.name === name)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await renderLoaded();
}

export function initLoaded() {
  $("loaded-refresh").addEventListener("click", renderLoaded);
}

export function leaveLoaded() {
  clearInterval(timer);
  timer = null;
}
